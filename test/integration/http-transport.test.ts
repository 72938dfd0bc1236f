import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { ApiError } from "../../src/dataarts/api-error";
import { nodeTransport } from "../../src/dataarts/http-transport";
import { MAX_RESPONSE_BYTES } from "../../src/dataarts/transport";

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => handler(req, res, body));
  });
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

const stop = (server: Server) => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("the node:http transport", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(stop));
  });
  const start = async (handler: Handler) => {
    const s = await serve(handler);
    servers.push(s.server);
    return s;
  };

  it("sends the exact body and headers and resolves with any status, its headers lower-cased", async () => {
    const seen: Array<{ method: string; body: string; header: string | undefined; length: string | undefined }> = [];
    const { url } = await start((req, res, body) => {
      seen.push({ method: req.method!, body, header: req.headers["x-sdk-date"] as string, length: req.headers["content-length"] });
      res.writeHead(429, { "Retry-After": "7", "X-Request-Id": "r1" }).end('{"error_code":"APIG.0308"}');
    });
    const answer = await nodeTransport()({ method: "POST", url: `${url}/v2/p/x`, headers: { "X-Sdk-Date": "20261129T120000Z" }, body: '{"a":"é"}', timeoutMs: 5_000 });
    expect(answer).toEqual({ status: 429, headers: expect.objectContaining({ "retry-after": "7", "x-request-id": "r1" }), body: '{"error_code":"APIG.0308"}' });
    expect(seen).toEqual([{ method: "POST", body: '{"a":"é"}', header: "20261129T120000Z", length: String(Buffer.byteLength('{"a":"é"}')) }]);
  });

  it("keeps one connection alive per endpoint across requests", async () => {
    const a = await start((_req, res) => res.end("a"));
    const b = await start((_req, res) => res.end("b"));
    const transport = nodeTransport();
    for (let i = 0; i < 10; i++) {
      expect((await transport({ method: "GET", url: `${a.url}/x?i=${i}`, headers: {}, timeoutMs: 5_000 })).body).toBe("a");
      expect((await transport({ method: "GET", url: `${b.url}/y`, headers: {}, timeoutMs: 5_000 })).body).toBe("b");
    }
    expect([a.connections(), b.connections()]).toEqual([1, 1]);
  });

  it("gives up on a server that never answers with reason timeout", async () => {
    const { url } = await start(() => undefined);
    const err = await failure(nodeTransport()({ method: "GET", url, headers: {}, timeoutMs: 200 }));
    expect([err.reason, err.message]).toEqual(["timeout", "no answer within 200ms"]);
  });

  it("reports a refused connection and an answer cut short as network errors", async () => {
    const { server, url } = await start((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("partial");
      setImmediate(() => res.socket?.destroy());
    });
    const cut = await failure(nodeTransport()({ method: "GET", url, headers: {}, timeoutMs: 5_000 }));
    expect(cut.reason).toBe("network");
    await stop(server);
    const refused = await failure(nodeTransport()({ method: "GET", url, headers: {}, timeoutMs: 5_000 }));
    expect([refused.reason, refused.message]).toEqual(["network", `request to ${new URL(url).host} failed: ECONNREFUSED`]);
  });

  it("refuses a header value with a control character without sending anything", async () => {
    const { url, connections } = await start((_req, res) => res.end());
    const err = await failure(nodeTransport()({ method: "GET", url, headers: { workspace: "a\nb" }, timeoutMs: 5_000 }));
    expect(err.reason).toBe("network");
    expect(connections()).toBe(0);
  });

  it("decompresses an answer sent gzipped, and refuses one larger than the cap", async () => {
    const big = Buffer.alloc(MAX_RESPONSE_BYTES + 1, "x");
    const { url } = await start((req, res) => {
      if (req.url === "/big") return res.end(big);
      res.writeHead(200, { "Content-Encoding": "gzip" }).end(gzipSync('{"total":0}'));
    });
    expect((await nodeTransport()({ method: "GET", url: `${url}/gz`, headers: {}, timeoutMs: 5_000 })).body).toBe('{"total":0}');
    const err = await failure(nodeTransport()({ method: "GET", url: `${url}/big`, headers: {}, timeoutMs: 10_000 }));
    expect([err.reason, err.message]).toEqual(["invalid_response", `response larger than ${MAX_RESPONSE_BYTES} bytes`]);
  });
});
