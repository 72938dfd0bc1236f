import fc from "fast-check";
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials";
import { canonicalQuery, canonicalUri, parseAuthorization, parseSdkDate, sdkDate, sign, uriEncode } from "../../../src/dataarts/signer";

const credentials = { accessKey: "AccessKey", secretKey: "SecretKey" };

describe("the SDK-HMAC-SHA256 signer", () => {
  it("matches the first known answer of the API notes (GET with a query)", () => {
    const { signature } = sign(
      { method: "GET", path: "/path", query: { limit: 1 }, headers: { "X-Sdk-Date": "20060102T150405Z" } },
      credentials,
    );
    expect(signature).toBe("5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
  });

  it("matches the second known answer of the API notes (POST with a body ending in a newline)", () => {
    const { signature } = sign(
      {
        method: "POST",
        path: "/path",
        query: { key: "value" },
        headers: { "X-Sdk-Date": "20060102T150405Z" },
        body: '{"Name":"test","Id":1}\n',
      },
      credentials,
    );
    expect(signature).toBe("cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
  });

  it("writes the Authorization header the gateway expects and reads it back", () => {
    const result = sign({ method: "GET", path: "/p", headers: { "X-Sdk-Date": "20060102T150405Z", Host: "h" } }, credentials);
    expect(result.authorization).toBe(
      `SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=${result.signature}`,
    );
    expect(parseAuthorization(result.authorization)).toEqual({
      accessKey: "AccessKey",
      signedHeaders: ["host", "x-sdk-date"],
      signature: result.signature,
    });
    expect(parseAuthorization("Bearer abc")).toBeUndefined();
  });

  it("refuses to sign without an X-Sdk-Date header", () => {
    expect(() => sign({ method: "GET", path: "/", headers: {} }, credentials)).toThrow(/X-Sdk-Date/);
  });

  it("keeps unreserved characters and upper-cases the hex of everything else", () => {
    expect(uriEncode("aZ09-_.~ /é")).toBe("aZ09-_.~%20%2F%C3%A9");
    expect(canonicalUri("/v2/p1/factory")).toBe("/v2/p1/factory/");
    expect(canonicalQuery({ b: "2", a: ["y", "x"] })).toBe("a=x&a=y&b=2");
  });

  it("formats and parses X-Sdk-Date in UTC", () => {
    const at = new Date(Date.UTC(2026, 10, 29, 13, 5, 9));
    expect(sdkDate(at)).toBe("20261129T130509Z");
    expect(parseSdkDate("20261129T130509Z")?.getTime()).toBe(at.getTime());
    expect(parseSdkDate("2026-11-29")).toBeUndefined();
  });
});

describe("the signer against the official Huawei Cloud SDK signer", () => {
  // Segments as a client sends them: percent-encoded, so that Node's legacy url.parse in
  // the SDK (which escapes ' on its own) sees the same path that we sign.
  const segment = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }).map(uriEncode);
  // Names share a prefix so that the SDK's locale-aware header sort and our code-point sort agree.
  const headerName = fc.stringMatching(/^x-[a-z0-9]{1,10}$/).filter((n) => !n.startsWith("x-sdk"));
  const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
  const date = fc.date({ min: new Date("2001-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true });

  it("computes the same signature for random paths, queries, headers and bodies", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "POST", "PUT", "DELETE"),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8, unit: "grapheme" }), fc.string({ maxLength: 12, unit: "grapheme" }), { maxKeys: 4 }),
        fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
        fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }), { nil: undefined }),
        date,
        (method, segments, query, extraHeaders, data, at) => {
          const path = `/${segments.join("/")}`;
          const headers = { ...extraHeaders, "X-Sdk-Date": sdkDate(at), "Content-Type": "application/json;charset=UTF-8" };
          const official = AKSKSigner.sign(
            { method, endpoint: `https://dayu.example.com${path}`, queryParams: { ...query }, headers: { ...headers }, data } as never,
            new BasicCredentials({ ak: "AK-prop", sk: "SK-prop" }),
          ) as Record<string, string>;
          const ours = sign(
            {
              method,
              path,
              query,
              headers: { ...headers, host: "dayu.example.com" },
              body: data === undefined ? "" : JSON.stringify(data),
            },
            { accessKey: "AK-prop", secretKey: "SK-prop" },
          );
          expect(ours.authorization).toBe(official.Authorization);
        },
      ),
      { numRuns: 300 },
    );
  });
});
