import fc from "fast-check";
import { ApiError } from "../../src/dataarts/api-error";
import { parseFlags, parseListenAddress } from "../../src/flags";
import { renderLandingPage } from "../../src/http/landing";
import { parseReleasePackagePage } from "../../src/dataarts/response";
import { initialState } from "../../src/polling/state";

describe("command-line flags", () => {
  it("defaults to :19918, /metrics, info and logfmt, without a web config and without the lifecycle API", () => {
    expect(parseFlags([])).toMatchObject({
      configFile: "config.yml",
      listen: [{ port: 19918 }],
      telemetryPath: "/metrics",
      logLevel: "info",
      logFormat: "logfmt",
      webConfigFile: undefined,
      lifecycle: false,
      configCheck: false,
      demo: false,
    });
  });

  it("reads the Prometheus-style dotted flags", () => {
    const flags = parseFlags(["--config.file=/etc/x.yml", "--web.listen-address=127.0.0.1:9000", "--web.telemetry-path=/m", "--log.level=debug", "--log.format=pretty", "--config.check"]);
    expect(flags).toMatchObject({ configFile: "/etc/x.yml", listen: [{ host: "127.0.0.1", port: 9000 }], telemetryPath: "/m", logLevel: "debug", logFormat: "pretty", configCheck: true });
  });

  it("keeps accounting in memory unless --storage.path names a directory", () => {
    expect(parseFlags([]).storagePath).toBeUndefined();
    expect(parseFlags(["--storage.path=/var/lib/dataarts-exporter"]).storagePath).toBe("/var/lib/dataarts-exporter");
    expect(() => parseFlags(["--storage.path="])).toThrow("--storage.path: must name a directory");
  });

  it("lists every bad flag value at once", () => {
    expect(() => parseFlags(["--log.level=loud", "--log.format=xml", "--web.telemetry-path=metrics"])).toThrow(
      /--web.telemetry-path: "metrics" must start with \/.*\n--log.level: "loud" is not one of debug, info, warn, error\n--log.format: "xml" is not one of logfmt, json, pretty/s,
    );
  });

  it("takes --web.listen-address more than once, and the web config and lifecycle flags", () => {
    const flags = parseFlags(["--web.listen-address=127.0.0.1:9000", "--web.listen-address=[::1]:9000", "--web.config.file=web.yml", "--web.enable-lifecycle"]);
    expect(flags).toMatchObject({ listen: [{ host: "127.0.0.1", port: 9000 }, { host: "::1", port: 9000 }], webConfigFile: "web.yml", lifecycle: true });
    expect(() => parseFlags(["--web.listen-address=:1", "--web.listen-address=nonsense"])).toThrow(/--web.listen-address: "nonsense"/);
  });

  it("reads listen addresses with and without a host, IPv6 in brackets", () => {
    expect(parseListenAddress(":19918")).toEqual({ host: undefined, port: 19918 });
    expect(parseListenAddress("0.0.0.0:80")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseListenAddress("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
    expect(parseListenAddress("19918")).toBeUndefined();
    expect(parseListenAddress(":99999")).toBeUndefined();
  });
});

describe("the landing page", () => {
  it("escapes workspace names and says when a workspace never succeeded", () => {
    const state = initialState({ projectId: "p", workspaceId: "w", name: "<script>x</script>", region: "r" });
    const html = renderLandingPage({ version: "1.0.0", telemetryPath: "/metrics", nowMs: 0 }, [state]);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;");
    expect(html).toContain("never");
    expect(html).toContain('href="/metrics"');
  });
});

describe("response validation", () => {
  it("throws nothing but an invalid_response ApiError, whatever the body", () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ data: fc.anything(), total: fc.anything() }).map((v) => JSON.stringify(v)),
      fc.record({
        data: fc.array(fc.record({ package_id: fc.anything(), apply_timestamp: fc.anything(), deploy_status: fc.anything(), deploy_timestamp: fc.anything() }, { requiredKeys: [] })),
        total: fc.oneof(fc.integer(), fc.double(), fc.string()),
      }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(body, (text) => {
        try {
          const page = parseReleasePackagePage(text);
          // What passes is usable: no NaN can reach a metric.
          expect(Number.isFinite(page.total)).toBe(true);
          for (const p of page.data) expect(Number.isFinite(p.apply_timestamp) && Number.isFinite(p.deploy_timestamp)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          expect((err as ApiError).reason).toBe("invalid_response");
        }
      }),
      { numRuns: 500 },
    );
  });
});
