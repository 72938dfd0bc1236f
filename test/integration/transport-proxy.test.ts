import { createServer } from "node:http";
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

  it("names an unusable proxy variable without its value", async () => {
    const transport = axiosTransport(undefined, new Routes({}, { HTTPS_PROXY: "socks5://u:s3cret-pw@h:1080" }));
    await expect(transport({ method: "GET", url: "https://dayu.example.invalid/", headers: {}, timeoutMs: 2000 })).rejects.toMatchObject({
      reason: "network",
      message: "HTTPS_PROXY is not an http(s) proxy URL",
    });
  });
});
