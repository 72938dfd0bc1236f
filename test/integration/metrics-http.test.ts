import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "node:http";
import { connect, createServer as createHttp2Server, type ClientHttp2Session, type Http2Server } from "node:http2";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { ScrapeMetrics } from "../../src/http/self-metrics";
import { close, createApp, listenOn } from "../../src/http/server";
import { ScrapeCache } from "../../src/metrics/scrape-cache";
import { family } from "../helpers/promtool";
import { FakeClock } from "../helpers/fake-clock";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(url: string, method: string, headers: Record<string, string> = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (r) => {
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
  let scrapes: ScrapeMetrics;
  let app: ReturnType<typeof createApp>;

  beforeEach(async () => {
    clock = new FakeClock();
    cache = new ScrapeCache({
      clock,
      render: function* (_variant, nowMs) {
        yield `# TYPE test_now_seconds gauge\ntest_now_seconds ${nowMs / 1000}\n`;
      },
      process: { render: async () => "" },
    });
    scrapes = new ScrapeMetrics();
    app = createApp({
      telemetryPath: "/metrics",
      metrics: (format, encoding, load) => cache.body(format, encoding, load, (f) => (f === "openmetrics" ? "# EOF\n" : "")),
      landingPage: () => "",
      ready: () => true,
      reload: async () => ({ ok: true }),
      scrapes,
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

  describe("scraped from two connections", () => {
    const start = Date.UTC(2026, 10, 29, 12, 0, 0, 250);
    // One socket each, kept alive: two scrapers, as an HA pair of Prometheus servers.
    const a = new Agent({ keepAlive: true, maxSockets: 1 });
    const b = new Agent({ keepAlive: true, maxSockets: 1 });
    const now = (answer: Answer) => Number(/^test_now_seconds (\S+)$/m.exec(answer.body.toString())![1]);

    beforeEach(() => {
      clock.t = start;
    });
    afterAll(() => {
      a.destroy();
      b.destroy();
    });

    it("gives the first scrape of a second the last body when another connection scraped under a second ago, and builds the new one meanwhile", async () => {
      expect(now(await send(url, "GET", {}, a))).toBe(start / 1000 - 0.25);
      clock.advance(900);
      const standIn = await send(url, "GET", {}, b);
      expect(now(standIn)).toBe(start / 1000 - 0.25);
      await cache.backgroundBuild();
      expect(cache.builds).toBe(2);
      expect(now(await send(url, "GET", {}, b))).toBe(start / 1000 + 0.75);
      expect(cache.builds).toBe(2);
    });

    it("makes a lone connection's scrape wait for the new second's body", async () => {
      expect(now(await send(url, "GET", {}, a))).toBe(start / 1000 - 0.25);
      clock.advance(900);
      expect(now(await send(url, "GET", {}, a))).toBe(start / 1000 + 0.75);
    });

    it("makes a scrape wait when the other connection's was a second ago or more", async () => {
      await send(url, "GET", {}, a);
      clock.advance(1_000);
      expect(now(await send(url, "GET", {}, b))).toBe(start / 1000 + 0.75);
    });

    it("shows a connection a poll between two of its own back-to-back scrapes, though another connection scraped just before", async () => {
      await send(url, "GET", {}, b);
      const before = await send(url, "GET", {}, a);
      cache.invalidate();
      const after = await send(url, "GET", {}, a);
      expect(after.headers.etag).not.toBe(before.headers.etag);
    });
  });

  describe("scraped over one HTTP/2 connection whose reader holds its bytes back", () => {
    let h2: Http2Server;
    let session: ClientHttp2Session;

    beforeEach(async () => {
      h2 = await listenOn(createHttp2Server(app.callback()), { host: "127.0.0.1", port: 0 });
      // A window of 0 bytes: the server sends headers but no body, so each scrape stays in flight.
      session = connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`, { settings: { initialWindowSize: 0 } });
    });
    afterEach(async () => {
      session.destroy();
      await new Promise<void>((resolve) => h2.close(() => resolve()));
    });

    const etagOf = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ":path": "/metrics" });
        stream.on("response", (headers) => resolve(String(headers.etag)));
        stream.on("error", reject);
      });
    const inFlight = () => family(scrapes.render(), "dataarts_exporter_scrapes_in_flight")[0]!.value;

    it("counts a scrape in flight until its bytes are sent, and gives the next scrape the last body rather than a wait", async () => {
      const first = await etagOf();
      expect(inFlight()).toBe(1);
      clock.advance(1_000);
      cache.invalidate();
      // The same connection: only the scrape still in flight makes /metrics busy.
      const second = await etagOf();
      expect(second).toBe(first);
      expect(inFlight()).toBe(2);
      await cache.backgroundBuild();
      expect(cache.builds).toBe(2);
    });
  });
});
