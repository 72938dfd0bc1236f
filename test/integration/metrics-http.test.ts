import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { close, createApp, listenOn } from "../../src/http/server";
import { ScrapeCache } from "../../src/metrics/scrape-cache";
import { FakeClock } from "../helpers/fake-clock";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(url: string, method: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => resolve({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("/metrics over HTTP from the scrape cache", () => {
  let server: Server;
  let url: string;
  let cache: ScrapeCache;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    cache = new ScrapeCache({
      clock,
      render: function* (_variant, nowMs) {
        yield `# TYPE test_now_seconds gauge\ntest_now_seconds ${nowMs / 1000}\n`;
      },
      process: { render: async () => "" },
    });
    const app = createApp({
      telemetryPath: "/metrics",
      metrics: (format, encoding, load) => cache.body(format, encoding, load, (f) => (f === "openmetrics" ? "# EOF\n" : "")),
      landingPage: () => "",
      ready: () => true,
      reload: async () => ({ ok: true }),
      logger: pino({ level: "silent" }),
    });
    server = await listenOn(createServer(app.callback()), { host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });

  afterEach(() => close(server));

  it("answers HEAD with the headers and an ETag, and builds nothing", async () => {
    const head = await send(url, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(head.headers.etag).toMatch(/^"text-.+"$/);
    expect(head.body.length).toBe(0);
    expect(cache.builds).toBe(0);
  });

  it("answers a request whose If-None-Match holds the current ETag with 304, without building", async () => {
    const { etag } = (await send(url, "HEAD")).headers as { etag: string };
    const again = await send(url, "GET", { "If-None-Match": etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(cache.builds).toBe(0);
  });

  it("sends the same bytes and ETag to every scrape of one second, and a new ETag once data changed", async () => {
    const first = await send(url, "GET");
    const second = await send(url, "GET");
    expect(first.status).toBe(200);
    expect(second.body.equals(first.body)).toBe(true);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(cache.builds).toBe(1);
    const head = await send(url, "HEAD");
    expect(head.headers["content-length"]).toBe(String(first.body.length));
    cache.invalidate();
    const stale = await send(url, "GET", { "If-None-Match": first.headers.etag as string });
    expect(stale.status).toBe(200);
    expect(stale.headers.etag).not.toBe(first.headers.etag);
    expect(cache.builds).toBe(2);
  });

  it("serves OpenMetrics to a scraper that asks for it, as its own body ending in # EOF", async () => {
    const om = await send(url, "GET", { Accept: "application/openmetrics-text; version=1.0.0" });
    expect(om.headers["content-type"]).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    expect(om.headers.etag).toMatch(/^"openmetrics-/);
    expect(om.body.toString()).toMatch(/# EOF\n$/);
  });

  it("gzips for a scraper that accepts it, under its own ETag", async () => {
    const plain = await send(url, "GET");
    const gz = await send(url, "GET", { "Accept-Encoding": "gzip" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.headers.vary).toBe("Accept, Accept-Encoding");
    expect(gz.headers.etag).not.toBe(plain.headers.etag);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect(cache.builds).toBe(1);
  });
});
