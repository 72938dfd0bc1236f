/**
 * End to end over TLS: Debian's Prometheus scrapes the exporter with a client certificate and
 * basic auth (tls_config and basic_auth in its scrape config), once as it always asks (OpenMetrics)
 * and once through a small proxy that asks for the text format, as a scraper that knows no
 * OpenMetrics does. Prometheus' own target metadata says which format each job parsed.
 */
import { writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { CLI, eventually, tempDir } from "../helpers/exporter-process";
import { TestPki, makePki } from "../helpers/pki";
import { Daemon, freePort, startDaemon } from "./processes";
import { promQuery } from "./stack";

// From `htpasswd -nbB -C 10 prometheus 's3cret pass'` (test/fixtures/web-config/users.yml).
const USER = "prometheus";
const PASSWORD = "s3cret pass";
const HASH = "$2y$10$rjjIpqcDSq2eqlX5TTr.fOqkR9QZrJGLuzRPC/OSByFZWAPR3Esre";
const TEXT = "text/plain;version=0.0.4";

describe("Prometheus scraping the exporter over mutual TLS with basic auth", () => {
  const daemons: Daemon[] = [];
  let dir: string;
  let pki: TestPki;
  let prometheus: string;
  let proxy: Server;
  const seen: { accept: string[]; contentType: string[] } = { accept: [], contentType: [] };

  const within = <T>(what: string, ms: number, check: () => Promise<T | undefined>) =>
    eventually(check, what, ms).catch((err: Error) => {
      throw new Error(`${err.message}\n${daemons.map((d) => `--- ${d.name} ---\n${d.output().slice(-3000)}`).join("\n")}`);
    });

  /** A scraper that knows only the text format: Prometheus' request, re-sent to the exporter over TLS with a text-only Accept. */
  function textOnlyProxy(exporter: URL): Promise<Server> {
    const server = createServer((req, res) => {
      seen.accept.push(String(req.headers.accept));
      const upstream = request(
        { host: exporter.hostname, port: exporter.port, path: req.url, ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey), agent: false, headers: { authorization: req.headers.authorization ?? "", accept: TEXT } },
        (up) => {
          seen.contentType.push(String(up.headers["content-type"]));
          res.writeHead(up.statusCode ?? 502, { "content-type": up.headers["content-type"] ?? "text/plain" });
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      upstream.end();
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
  }

  beforeAll(async () => {
    dir = tempDir();
    pki = makePki(dir);
    const webConfig = join(dir, "web.yml");
    writeFileSync(
      webConfig,
      `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca}\nbasic_auth_users:\n  ${USER}: ${HASH}\n`,
    );
    const exporter = startDaemon("exporter", process.execPath, [CLI, "--demo", `--web.config.file=${webConfig}`, "--web.listen-address=127.0.0.1:0", "--log.format=json"]);
    daemons.push(exporter);
    const exporterUrl = new URL(
      await within("the exporter to start", 15_000, async () => {
        const line = exporter.output().split("\n").find((l) => l.includes('"exporter started"'));
        return line ? (JSON.parse(line) as { address: string }).address : undefined;
      }),
    );
    expect(exporterUrl.protocol).toBe("https:");
    proxy = await textOnlyProxy(exporterUrl);

    const promPort = await freePort();
    const auth = `    basic_auth:\n      username: ${USER}\n      password: "${PASSWORD}"\n`;
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n` +
        `  - job_name: tls-openmetrics\n    scheme: https\n    tls_config:\n      ca_file: ${pki.ca}\n      cert_file: ${pki.clientCert}\n      key_file: ${pki.clientKey}\n${auth}    static_configs:\n      - targets: ["${exporterUrl.host}"]\n` +
        `  - job_name: tls-text\n${auth}    static_configs:\n      - targets: ["127.0.0.1:${(proxy.address() as AddressInfo).port}"]\n`,
    );
    prometheus = `http://127.0.0.1:${promPort}`;
    daemons.push(
      startDaemon("prometheus", "prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "prometheus")}`, `--web.listen-address=127.0.0.1:${promPort}`]),
    );
    await within("Prometheus to be ready", 30_000, async () => ((await fetch(`${prometheus}/-/ready`)).ok ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    proxy?.close();
    await Promise.all(daemons.map((d) => d.stop()));
  }, 30_000);

  it.each(["tls-openmetrics", "tls-text"])("up{job=%p} is 1", async (job) => {
    const up = await within(`up{job="${job}"} == 1`, 20_000, async () => {
      const r = await promQuery(prometheus, `up{job="${job}"} == 1`);
      return r.length > 0 ? r : undefined;
    });
    expect(up).toHaveLength(1);
  });

  it("stores the exporter's series from both jobs, build_info with its labels", async () => {
    const info = await within("build_info from both jobs", 20_000, async () => {
      const r = await promQuery(prometheus, "dataarts_exporter_build_info");
      return r.length === 2 ? r : undefined;
    });
    for (const s of info) expect(Object.keys(s.metric)).toEqual(expect.arrayContaining(["version", "revision", "branch", "nodejs_version", "platform"]));
    const scrapes = await promQuery(prometheus, 'sum by (job) (dataarts_exporter_scrapes_total{code="200"})');
    expect(scrapes.length).toBe(2);
  });

  it("parsed OpenMetrics from the direct job and the text format through the proxy, as Prometheus' metadata shows", async () => {
    type Meta = { target: { job: string }; metric: string; type: string; unit: string };
    const meta = await within("target metadata of both jobs", 20_000, async () => {
      const res = await fetch(`${prometheus}/api/v1/targets/metadata?metric=`);
      const body = (await res.json()) as { data: Meta[] };
      const jobs = new Set(body.data.map((m) => m.target.job));
      return jobs.size === 2 ? body.data : undefined;
    });
    const of = (job: string, metric: string) => meta.find((m) => m.target.job === job && m.metric === metric);
    // OpenMetrics names a counter family without _total and carries units; the text format does neither.
    expect(of("tls-openmetrics", "dataarts_exporter_scrapes")).toMatchObject({ type: "counter" });
    expect(of("tls-openmetrics", "process_cpu_seconds")).toMatchObject({ type: "counter", unit: "seconds" });
    expect(of("tls-text", "dataarts_exporter_scrapes_total")).toMatchObject({ type: "counter", unit: "" });
    expect(seen.accept[0]).toMatch(/^application\/openmetrics-text/);
    expect(new Set(seen.contentType)).toEqual(new Set(["text/plain; version=0.0.4; charset=utf-8"]));
  });
});
