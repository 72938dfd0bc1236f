import { ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError } from "../../src/dataarts/api-error";
import { Routes } from "../../src/dataarts/route";
import { axiosTransport } from "../../src/dataarts/transport";

describe("the transport and a proxy that asks for credentials", () => {
  it("turns a 407 for an http:// request into reason network naming the proxy, not the credentials", async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(407, { "Proxy-Authenticate": 'Basic realm="corp"' });
      res.end("proxy authentication required");
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const transport = axiosTransport(undefined, new Routes({ proxyUrl: `http://monitor:s3cret-pw@127.0.0.1:${port}` }, {}));
      const err = await transport({ method: "GET", url: "http://dayu.example.invalid/v1/x", headers: {}, timeoutMs: 2000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ reason: "network", message: `proxy 127.0.0.1:${port} refused the request: HTTP 407, it asks for proxy credentials` });
      expect((err as Error).message).not.toContain("s3cret-pw");
    } finally {
      proxy.close();
    }
  });

  it.each([401, 403])(
    "turns a %i without X-Request-Id from a proxy for an http:// request into reason network naming the proxy, not an auth failure",
    async (status) => {
      await withProxy(
        (res) => {
          res.writeHead(status, { "Content-Type": "text/html" });
          res.end("<html>Access denied by corporate policy</html>");
        },
        async (port) => {
          const transport = axiosTransport(undefined, new Routes({ proxyUrl: `http://monitor:s3cret-pw@127.0.0.1:${port}` }, {}));
          const err = await transport({ method: "GET", url: "http://dayu.example.invalid/v1/x", headers: {}, timeoutMs: 2000 }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toMatchObject({
            reason: "network",
            message: `proxy 127.0.0.1:${port} refused the request: HTTP ${status} without the X-Request-Id every DataArts answer carries`,
          });
          expect((err as Error).message).not.toContain("s3cret-pw");
        },
      );
    },
  );

  it("passes on a 401 that carries the service's X-Request-Id through a plain-http proxy, for the client to read as auth", async () => {
    await withProxy(
      (res) => {
        res.writeHead(401, { "Content-Type": "application/json", "X-Request-Id": "0123456789abcdef0123456789abcdef" });
        res.end('{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}');
      },
      async (port) => {
        const transport = axiosTransport(undefined, new Routes({ proxyUrl: `http://127.0.0.1:${port}` }, {}));
        const response = await transport({ method: "GET", url: "http://dayu.example.invalid/v1/x", headers: {}, timeoutMs: 2000 });
        expect(response.status).toBe(401);
        expect(response.headers["x-request-id"]).toBe("0123456789abcdef0123456789abcdef");
      },
    );
  });

  it("names an unusable proxy variable without its value", async () => {
    const transport = axiosTransport(undefined, new Routes({}, { HTTPS_PROXY: "socks5://u:s3cret-pw@h:1080" }));
    await expect(transport({ method: "GET", url: "https://dayu.example.invalid/", headers: {}, timeoutMs: 2000 })).rejects.toMatchObject({
      reason: "network",
      message: "HTTPS_PROXY is not an http(s) proxy URL",
    });
  });
});

/** Runs `body` with a plain-http "proxy" on a free loopback port that answers every request with `answer`. */
async function withProxy(answer: (res: ServerResponse) => void, body: (port: number) => Promise<void>): Promise<void> {
  const proxy = createServer((_req, res) => answer(res));
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  try {
    await body((proxy.address() as AddressInfo).port);
  } finally {
    proxy.close();
  }
}
