import { bypassed, chooseProxy, proxyLabel } from "../../../src/dataarts/proxy";

const dayu = new URL("https://dayu.cn-north-4.myhuaweicloud.com/v2/p/factory/release-packages");
const plain = new URL("http://sim.internal:8080/x");

describe("choosing a proxy", () => {
  it("takes HTTPS_PROXY for https:// and HTTP_PROXY for http://, lower case first", () => {
    const env = { HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128", HTTP_PROXY: "http://plain:8080" };
    expect(chooseProxy(dayu, env)).toMatchObject({ source: "https_proxy", url: new URL("http://lower:3128") });
    expect(chooseProxy(plain, env)).toMatchObject({ source: "HTTP_PROXY", url: new URL("http://plain:8080") });
    expect(chooseProxy(dayu, { HTTP_PROXY: "http://plain:8080" })).toBeUndefined();
  });

  it("reads a proxy without a scheme as http://", () => {
    expect(chooseProxy(dayu, { HTTPS_PROXY: "proxy.corp:3128" })?.url.href).toBe("http://proxy.corp:3128/");
  });

  it("lets proxy_url override the environment, NO_PROXY included", () => {
    const env = { HTTPS_PROXY: "http://env:3128", NO_PROXY: "*" };
    expect(chooseProxy(dayu, env, "http://cfg:3128")).toMatchObject({ source: "proxy_url", url: new URL("http://cfg:3128") });
  });

  it("refuses an unusable proxy naming the variable, never its value", () => {
    expect(() => chooseProxy(dayu, { HTTPS_PROXY: "socks5://u:s3cret@h:1080" })).toThrow("HTTPS_PROXY is not an http(s) proxy URL");
    try {
      chooseProxy(dayu, { HTTPS_PROXY: "socks5://u:s3cret@h:1080" });
    } catch (err) {
      expect((err as Error).message).not.toContain("s3cret");
    }
  });

  it.each([
    ["*", true],
    ["myhuaweicloud.com", true],
    [".myhuaweicloud.com", true],
    ["*.myhuaweicloud.com", true],
    ["dayu.cn-north-4.myhuaweicloud.com:443", true],
    ["dayu.cn-north-4.myhuaweicloud.com:8443", false],
    ["huaweicloud.com", false],
    ["other.example, cn-north-4.myhuaweicloud.com", true],
    ["", false],
  ])("NO_PROXY=%j bypasses dayu: %s", (noProxy, expected) => {
    expect(bypassed(dayu, noProxy)).toBe(expected);
    expect(chooseProxy(dayu, { HTTPS_PROXY: "http://p:1", no_proxy: noProxy }) === undefined).toBe(expected);
  });

  it("matches IP addresses and bracketed IPv6 entries", () => {
    expect(bypassed(new URL("http://127.0.0.1:9/"), "127.0.0.1")).toBe(true);
    expect(bypassed(new URL("http://[::1]:9/"), "[::1]:9")).toBe(true);
    expect(bypassed(new URL("http://[::1]:9/"), "::1")).toBe(true);
  });

  it("labels a proxy by host and port only", () => {
    expect(proxyLabel(new URL("http://user:s3cret@proxy.corp:3128"))).toBe("proxy.corp:3128");
    expect(proxyLabel(new URL("https://proxy.corp"))).toBe("proxy.corp:443");
    expect(proxyLabel(new URL("http://[::1]:3128"))).toBe("[::1]:3128");
  });
});
