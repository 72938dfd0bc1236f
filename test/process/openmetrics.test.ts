import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { request } from "node:http";
import { ExporterProcess, eventually, startExporter } from "../helpers/exporter-process";
import { parseOpenMetrics } from "../helpers/openmetrics";
import { family, promtoolCheckMetrics } from "../helpers/promtool";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";

/** Raw GET (fetch would gunzip on its own): status, headers and the body's bytes. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

// What Prometheus 2.x sends when it scrapes.
const PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

describe("OpenMetrics", () => {
  let exporter: ExporterProcess;
  beforeAll(async () => {
    exporter = await startExporter(["--demo"]);
    // Wait for a poll, so that counters and per-workspace families are there to check.
    await eventually(async () => {
      const text = (await get(`${exporter.url}/metrics`, {})).body.toString();
      return family(text, F.up).length > 0 && text.includes(`${F.apiRequests}{`);
    }, "a first poll", 20_000);
  });
  afterAll(() => exporter?.stop());

  it("is served when Prometheus asks for it, and the reference parser reads it", async () => {
    const res = await get(`${exporter.url}/metrics`, { Accept: PROMETHEUS_ACCEPT });
    expect(res.headers["content-type"]).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    const text = res.body.toString();
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    const families = parseOpenMetrics(text);
    const byName = new Map(families.map((f) => [f.name, f]));
    // Counter families are named without _total; their samples keep it.
    expect(byName.get("dataarts_api_requests")).toMatchObject({ type: "counter" });
    expect(byName.get("dataarts_api_requests")!.samples.every((s) => s === "dataarts_api_requests_total")).toBe(true);
    expect(byName.get("dataarts_exporter_scrapes")).toMatchObject({ type: "counter" });
    expect(byName.get("process_cpu_seconds")).toMatchObject({ type: "counter", unit: "seconds" });
    expect(byName.get("dataarts_api_request_duration_seconds")).toMatchObject({ type: "histogram", unit: "seconds" });
    expect(byName.get("dataarts_workspace_up")).toMatchObject({ type: "gauge" });
    expect(text).not.toMatch(/^# TYPE \S+_total counter$/m);
  });

  it("is gzipped as usual when asked, and still ends with # EOF", async () => {
    const res = await get(`${exporter.url}/metrics`, { Accept: "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip" });
    expect(res.headers["content-encoding"]).toBe("gzip");
    const text = gunzipSync(res.body).toString();
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    expect(parseOpenMetrics(text).length).toBeGreaterThan(10);
    // One gzip member: curl reads only the first, and must still see the end.
    const r = spawnSync("curl", ["-sS", "--compressed", "-H", "Accept: application/openmetrics-text; version=1.0.0", `${exporter.url}/metrics`], { encoding: "utf8" });
    expect(r.stdout.endsWith("\n# EOF\n")).toBe(true);
    expect(r.stdout).toContain("dataarts_exporter_scrapes_total{");
  });

  it("leaves the text format as it was for everyone else, clean for promtool", async () => {
    for (const accept of [undefined, "text/plain", "*/*"]) {
      const res = await get(`${exporter.url}/metrics`, accept ? { Accept: accept } : {});
      expect({ accept, type: res.headers["content-type"] }).toEqual({ accept, type: "text/plain; version=0.0.4; charset=utf-8" });
      const text = res.body.toString();
      expect(text).not.toContain("# EOF");
      expect(text).toMatch(/^# TYPE dataarts_api_requests_total counter$/m);
      expect(promtoolCheckMetrics(text)).toBe("");
    }
  });

  it("labels build_info with version, revision, branch, nodejs_version and platform", async () => {
    const text = (await get(`${exporter.url}/metrics`, {})).body.toString();
    const [info] = family(text, F.buildInfo);
    expect(Object.keys(info!.labels).sort()).toEqual(["branch", "nodejs_version", "platform", "revision", "version"]);
    expect(info!.labels.nodejs_version).toBe(process.version);
    expect(info!.labels.platform).toBe(`${process.platform}/${process.arch}`);
  });

  it("answers 403 to POST /-/reload without --web.enable-lifecycle", async () => {
    const res = await fetch(`${exporter.url}/-/reload`, { method: "POST" });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/--web.enable-lifecycle/);
  });
});
