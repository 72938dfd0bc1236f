import { connect, Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { Agent, request } from "node:https";
import type { HandshakeLimits, TlsServer } from "../../src/http/tls-server";
import pino from "pino";
import { WebConfigSource } from "../../src/http/web-config-source";
import { closeTlsServer, createTlsServer } from "../../src/http/tls-server";
import { TestPki, makePki } from "../helpers/pki";
import { httpsGet } from "../helpers/https-client";
import { http2Get } from "../helpers/http2-client";
import { connect as connectHttp2, constants } from "node:http2";
import { connect as tlsConnect } from "node:tls";
import { tempDir } from "../helpers/exporter-process";
import { readFileSync } from "node:fs";

let pki: TestPki;
let dir: string;
beforeAll(() => {
  dir = tempDir();
  pki = makePki(dir);
});

/** Both listeners the web config can ask for: HTTP/2 with HTTP/1.1 (the default), and HTTP/1.1 only. */
const MODES = [
  { name: "HTTP/2 with HTTP/1.1 (http2 default)", http: "" },
  { name: "HTTP/1.1 only (http2: false)", http: "http_server_config:\n  http2: false\n" },
];
let mode = MODES[0]!;

function writeConfig(file: string, tlsExtra: string): void {
  writeFileSync(file, `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n${tlsExtra}${mode.http}`);
}

async function start(limits: { timeoutMs: number; maxPending: number; idleTimeoutMs?: number }, extra = ""): Promise<{ server: TlsServer; url: string; port: number }> {
  const file = join(dir, "web.yml");
  writeConfig(file, extra);
  const source = new WebConfigSource(file, (p) => readFileSync(p), () => Date.now());
  const server = createTlsServer((_req, res) => void res.end("scraped\n"), source, limits, pino({ level: "silent" }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, url: `https://127.0.0.1:${port}`, port };
}

/** A TCP client that connects and never says a word (or only the first bytes of a TLS record). */
function stalled(port: number, firstBytes?: Buffer): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      if (firstBytes) socket.write(firstBytes);
      resolve({ socket, closed: new Promise((r) => socket.once("close", () => r())) });
    });
    socket.on("error", () => undefined);
    socket.once("error", reject);
  });
}

const isClosed = async (p: Promise<void>) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]);

describe.each(MODES)("$name", (m) => {
  beforeAll(() => {
    mode = m;
  });

  describe("TLS handshakes", () => {
    it("drops a client that never finishes its handshake after the handshake timeout", async () => {
      const { server, port } = await start({ timeoutMs: 200, maxPending: 10 });
      try {
        // Silent, and a TLS record header that promises bytes that never come.
        const silent = await stalled(port);
        const partial = await stalled(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
        await silent.closed;
        await partial.closed;
      } finally {
        server.close();
      }
    });

    it("bounds unfinished handshakes by dropping the oldest, so stalled clients cannot keep a scraper out", async () => {
      // A timeout far longer than the test: only the bound can close these.
      const { server, url, port } = await start({ timeoutMs: 600_000, maxPending: 5 });
      try {
        const clients = [];
        for (let i = 0; i < 20; i++) clients.push(await stalled(port));
        // Each new connection past the bound closes the oldest unfinished one.
        for (const c of clients.slice(0, 14)) await c.closed;
        const scrape = await httpsGet(`${url}/metrics`, { ca: pki.ca });
        expect("status" in scrape && scrape.status).toBe(200);
        const open = [];
        for (const c of clients) if (!(await isClosed(c.closed))) open.push(c);
        // The scrape's own connection took the place of the oldest stalled one.
        expect(open.length).toBeLessThanOrEqual(5);
        expect(open.length).toBeGreaterThan(0);
        for (const c of open) c.socket.destroy();
      } finally {
        server.close();
      }
    });

    it("never drops an established connection to make room: only unfinished handshakes count", async () => {
      const { server, port } = await start({ timeoutMs: 600_000, maxPending: 3 });
      try {
        const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(pki.ca) });
        const get = () =>
          new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
            const req = request({ host: "127.0.0.1", port, path: "/metrics", agent }, (res) => {
              res.resume();
              res.on("end", () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
            });
            req.on("error", reject);
            req.end();
          });
        const first = await get();
        const clients = [];
        for (let i = 0; i < 10; i++) clients.push(await stalled(port));
        const second = await get();
        // The same keep-alive connection served both: ten stalled clients did not evict it.
        expect(second).toEqual({ status: 200, socket: first.socket });
        for (const c of clients) c.socket.destroy();
        agent.destroy();
      } finally {
        server.close();
      }
    });

    it("closes an idle HTTP/1.1 keep-alive connection after the idle timeout", async () => {
      const { server, port } = await start({ timeoutMs: 5_000, maxPending: 10, idleTimeoutMs: 200 });
      try {
        // A raw client that asks for keep-alive and never closes: only the server can end the connection.
        const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(pki.ca), servername: "localhost", ALPNProtocols: ["http/1.1"] });
        let answer = "";
        socket.setEncoding("utf8");
        socket.on("data", (d: string) => (answer += d));
        socket.on("error", () => undefined);
        socket.once("secureConnect", () => socket.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"));
        await new Promise<void>((resolve) => socket.once("close", () => resolve()));
        expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(answer).toMatch(/\r\n\r\nscraped\n$/);
      } finally {
        server.close();
      }
    });

    it("closes with clients still connected: an HTTP/2 session (where served), an HTTP/1.1 keep-alive connection and a stalled handshake", async () => {
      const { server, url, port } = await start({ timeoutMs: 600_000, maxPending: 10, idleTimeoutMs: 600_000 });
      const session = connectHttp2(url, { ca: readFileSync(pki.ca) });
      session.on("error", () => undefined);
      if (mode === MODES[0]) await new Promise<void>((resolve) => session.once("connect", () => resolve()));
      const agent = new Agent({ keepAlive: true, ca: readFileSync(pki.ca) });
      expect(await new Promise<number>((resolve) => request({ host: "127.0.0.1", port, path: "/", agent }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).end())).toBe(200);
      const silent = await stalled(port);
      await closeTlsServer(server);
      await silent.closed;
      agent.destroy();
      session.destroy();
    });

    it("applies a reloaded client_auth_type to the next connection", async () => {
      const file = join(dir, "web.yml");
      const { server, url } = await start({ timeoutMs: 5_000, maxPending: 10 }, `  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${pki.ca}\n`);
      try {
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ error: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" });
        writeConfig(file, "");
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ status: 200 });
      } finally {
        server.close();
      }
    });

    it("keeps serving scrapes while 300 clients stall their handshakes", async () => {
      const { server, url, port } = await start({ timeoutMs: 600_000, maxPending: 128 });
      try {
        const clients = [];
        for (let i = 0; i < 300; i++) clients.push(await stalled(port, i % 2 ? Buffer.from([0x16, 0x03, 0x01]) : undefined));
        for (let i = 0; i < 5; i++) {
          const scrape = await httpsGet(`${url}/metrics`, { ca: pki.ca });
          expect("status" in scrape && scrape.status).toBe(200);
        }
        let open = 0;
        for (const c of clients) if (!(await isClosed(c.closed))) open += 1;
        expect(open).toBeLessThanOrEqual(128);
        for (const c of clients) c.socket.destroy();
      } finally {
        server.close();
      }
    });
  });

  describe("client certificate rules Node's handshake cannot express", () => {
    const config = (type: string) => `  client_auth_type: ${type}\n  client_ca_file: ${pki.ca}\n`;

    it("RequireAnyClientCert: any certificate, even self-signed; none is refused", async () => {
      const { server, url } = await start({ timeoutMs: 5_000, maxPending: 10 }, `  client_auth_type: RequireAnyClientCert\n`);
      try {
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey })).toMatchObject({ status: 200 });
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ error: "ECONNRESET" });
      } finally {
        server.close();
      }
    });

    it("VerifyClientCertIfGiven: none is fine, a verified one is fine, an unverified one is refused", async () => {
      const { server, url } = await start({ timeoutMs: 5_000, maxPending: 10 }, config("VerifyClientCertIfGiven"));
      try {
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ status: 200 });
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).toMatchObject({ status: 200 });
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey })).toMatchObject({ error: "ECONNRESET" });
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.expiredClientCert, key: pki.expiredClientKey })).toMatchObject({ error: "ECONNRESET" });
      } finally {
        server.close();
      }
    });

    it("checks client_allowed_sans only on a verified certificate, whatever the client_auth_type", async () => {
      const { server, url } = await start({ timeoutMs: 5_000, maxPending: 10 }, `${config("RequestClientCert")}  client_allowed_sans: [prometheus]\n`);
      try {
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).toMatchObject({ status: 200 });
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.otherClientCert, key: pki.otherClientKey })).toMatchObject({ error: "ECONNRESET" });
        // Self-signed, claiming the allowed name.
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey })).toMatchObject({ error: "ECONNRESET" });
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ error: "ECONNRESET" });
      } finally {
        server.close();
      }
    });

    it("RequestClientCert: asks, but lets anyone in", async () => {
      const { server, url } = await start({ timeoutMs: 5_000, maxPending: 10 }, `  client_auth_type: RequestClientCert\n`);
      try {
        expect(await httpsGet(url, { ca: pki.ca })).toMatchObject({ status: 200 });
        expect(await httpsGet(url, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey })).toMatchObject({ status: 200 });
      } finally {
        server.close();
      }
    });
  });
});

describe("HTTP/2 (http_server_config.http2)", () => {
  const http2Off = "http_server_config:\n  http2: false\n";
  async function startWith(http: string, limits: HandshakeLimits = { timeoutMs: 5_000, maxPending: 10 }, tlsExtra = "") {
    mode = { name: "", http };
    return start(limits, tlsExtra);
  }

  it("negotiates h2 by ALPN by default, and serves HTTP/1.1 clients on the same port", async () => {
    const { server, url } = await startWith("");
    try {
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca })).toMatchObject({ alpn: "h2", status: 200, body: "scraped\n" });
      expect(await httpsGet(`${url}/metrics`, { ca: pki.ca })).toMatchObject({ status: 200, body: "scraped\n" });
    } finally {
      server.close();
    }
  });

  it("with http2: false, an HTTP/2-only client is refused in the handshake with OpenSSL's no_application_protocol alert, as Go's server does", async () => {
    const { server, url } = await startWith(http2Off);
    try {
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca })).toMatchObject({ message: expect.stringMatching(/no application protocol/) });
      expect(await httpsGet(`${url}/metrics`, { ca: pki.ca })).toMatchObject({ status: 200 });
    } finally {
      server.close();
    }
  });

  it("applies the client certificate rules to HTTP/2 sessions too", async () => {
    const { server, url } = await startWith("", { timeoutMs: 5_000, maxPending: 10 }, `  client_auth_type: RequestClientCert\n  client_ca_file: ${pki.ca}\n  client_allowed_sans: [prometheus]\n`);
    try {
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })).toMatchObject({ alpn: "h2", status: 200 });
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, cert: pki.otherClientCert, key: pki.otherClientKey })).toMatchObject({ alpn: "h2", error: "ERR_HTTP2_NO_ANSWER" });
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey })).toMatchObject({ alpn: "h2", error: "ERR_HTTP2_NO_ANSWER" });
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca })).toMatchObject({ alpn: "h2", error: "ERR_HTTP2_NO_ANSWER" });
    } finally {
      server.close();
    }
  });

  it("answers 431 to an HTTP/2 header list above HTTP/1.1's limit, and refuses the stream above the advertised one", async () => {
    const { server, url } = await startWith("");
    try {
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, headers: { "x-padding": "a".repeat(15_000) } })).toMatchObject({ alpn: "h2", status: 200 });
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, headers: { "x-padding": "a".repeat(20_000) } })).toMatchObject({ alpn: "h2", status: 431 });
      expect(await http2Get(`${url}/metrics`, { ca: pki.ca, headers: { "x-padding": "a".repeat(70_000) } })).toMatchObject({ alpn: "h2", rstCode: constants.NGHTTP2_REFUSED_STREAM });
    } finally {
      server.close();
    }
  });

  it("closes an idle HTTP/2 session with GOAWAY after the idle timeout", async () => {
    const { server, url } = await startWith("", { timeoutMs: 5_000, maxPending: 10, idleTimeoutMs: 200 });
    try {
      const session = connectHttp2(url, { ca: readFileSync(pki.ca) });
      const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
      session.on("error", () => undefined);
      expect(await goaway).toBe(constants.NGHTTP2_NO_ERROR);
      session.destroy();
    } finally {
      server.close();
    }
  });

  it("destroys an idle HTTP/2 session that GOAWAY did not end: a stream left open by both sides", async () => {
    mode = { name: "", http: "" };
    const file = join(dir, "web.yml");
    writeConfig(file, "");
    const source = new WebConfigSource(file, (p) => readFileSync(p), () => Date.now());
    // A handler that never answers, and a client that never ends its request: only the server can end this.
    const server = createTlsServer(() => undefined, source, { timeoutMs: 5_000, maxPending: 10, idleTimeoutMs: 200 }, pino({ level: "silent" }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const session = connectHttp2(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { ca: readFileSync(pki.ca) });
      session.on("error", () => undefined);
      const goaway = new Promise<void>((resolve) => session.once("goaway", () => resolve()));
      const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
      session.request({ ":path": "/metrics", ":method": "POST" }, { endStream: false }).on("error", () => undefined);
      await goaway;
      await closed;
    } finally {
      server.close();
    }
  });

  it("never drops an established HTTP/2 session to make room for stalled handshakes", async () => {
    const { server, url, port } = await startWith("", { timeoutMs: 600_000, maxPending: 3 });
    const session = connectHttp2(url, { ca: readFileSync(pki.ca) });
    try {
      const get = () =>
        new Promise<number>((resolve, reject) => {
          const stream = session.request({ ":path": "/metrics" });
          stream.on("response", (h) => resolve(Number(h[":status"])));
          stream.on("error", reject);
          stream.resume();
          stream.end();
        });
      expect(await get()).toBe(200);
      const clients = [];
      for (let i = 0; i < 10; i++) clients.push(await stalled(port));
      expect(await get()).toBe(200);
      for (const c of clients) c.socket.destroy();
    } finally {
      session.destroy();
      server.close();
    }
  });
});
