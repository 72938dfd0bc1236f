import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials";
import { sdkDate } from "../../src/dataarts/signer";
import { SIM_CREDENTIALS } from "../../src/simulator";
import { errorCode, NOW, page, releasePackagesPath, send, signedHeaders, startTestSim, type TestSim } from "./helpers";

const MINUTE = 60_000;

let t: TestSim;
let projectA: string;
let projectB: string;
let workspace: string;

beforeEach(async () => {
  t = await startTestSim();
  projectA = t.scenario.projects[0]!.projectId;
  projectB = t.scenario.projects[1]!.projectId;
  workspace = t.scenario.projects[0]!.workspaces[1]!.id;
});
afterEach(() => t.sim.close());

/** Signs with Huawei's own SDK signer, as an SDK user's request would be. */
function officialSigned(opts: { path: string; method?: string; data?: object; queryParams?: Record<string, string | number>; headers?: Record<string, string>; at?: number }): Record<string, string> {
  const credential = new BasicCredentials().withAk(SIM_CREDENTIALS.accessKey).withSk(SIM_CREDENTIALS.secretKey).withProjectId(projectA);
  const request = {
    method: opts.method ?? "POST",
    endpoint: t.sim.url + opts.path,
    queryParams: opts.queryParams ?? {},
    headers: { "content-type": "application/json;charset=UTF-8", "X-Sdk-Date": sdkDate(new Date(opts.at ?? t.clock.now)), "X-Project-Id": projectA, ...opts.headers },
    data: opts.data,
  };
  return AKSKSigner.sign(request, credential) as Record<string, string>;
}

describe("SDK-HMAC-SHA256 signatures", () => {
  const body = { deploy_status_filter: [1], limit: 5, offset: 0 };

  it("accepts a release-package query signed by the official SDK signer over real HTTP", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, headers: { workspace } });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body) });
    expect(page(answer).data.every((p) => p.deploy_status === 1)).toBe(true);
    expect(t.sim.control.requestCounts()[`${projectA}/${workspace}`]).toBe(1);
  });

  it("accepts a signed workspace listing whose query string is part of the signature", async () => {
    const instance = t.sim.control.projects()[0]!.instanceId;
    const path = `/v1/${projectA}/workspaces/${instance}`;
    const headers = officialSigned({ method: "GET", path, queryParams: { limit: 20, offset: 0 } });
    const answer = await send(t.sim.url, { path: `${path}?limit=20&offset=0`, headers });
    expect(answer.status).toBe(200);
    const tampered = await send(t.sim.url, { path: `${path}?limit=1&offset=0`, headers });
    expect(errorCode(tampered)).toBe("APIGW.0301");
  });

  it("accepts a signature made with temporary credentials (signed X-Security-Token)", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, headers: { "X-Security-Token": SIM_CREDENTIALS.securityToken } });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body) });
    expect(answer.status).toBe(200);
  });

  it("rejects a wrong security token even when the signature matches it", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, headers: { "X-Security-Token": "stolen" } });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body) });
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe("APIGW.0301");
  });

  it("rejects a signed request whose body was changed after signing", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify({ ...body, limit: 6 }) });
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe("APIGW.0301");
  });

  it("rejects a signed request whose body was re-serialized with different whitespace", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body, null, 1) });
    expect(answer.status).toBe(401);
  });

  it("rejects a signed request sent to another path than the one signed", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectB), headers, body: JSON.stringify(body) });
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe("APIGW.0301");
  });

  it("rejects a signed request whose workspace header was swapped after signing", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, headers: { workspace } });
    const other = t.scenario.projects[0]!.workspaces[0]!.id;
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers: { ...headers, workspace: other }, body: JSON.stringify(body) });
    expect(answer.status).toBe(401);
  });

  it("rejects a signature dated more than 15 minutes from the simulator's clock, either way", async () => {
    for (const at of [NOW - 16 * MINUTE, NOW + 16 * MINUTE]) {
      const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, at });
      const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body) });
      expect(answer.status).toBe(401);
      expect(errorCode(answer)).toBe("APIGW.0301");
    }
  });

  it("accepts a signature dated within the 15-minute window", async () => {
    const headers = officialSigned({ path: releasePackagesPath(projectA), data: body, at: NOW - 14 * MINUTE });
    const answer = await send(t.sim.url, { method: "POST", path: releasePackagesPath(projectA), headers, body: JSON.stringify(body) });
    expect(answer.status).toBe(200);
  });

  it("accepts our own signer's signature, including the host header and an empty body", async () => {
    const path = releasePackagesPath(projectA);
    const headers = signedHeaders(t, { method: "POST", path, headers: { workspace } });
    expect(headers.authorization).toContain("host;");
    expect((await send(t.sim.url, { method: "POST", path, headers })).status).toBe(200);
  });

  it("rejects an unknown access key, a malformed Authorization header and a request with no credentials", async () => {
    const path = releasePackagesPath(projectA);
    const good = signedHeaders(t, { method: "POST", path, body: "{}" });
    const cases: Array<Record<string, string>> = [
      { ...good, authorization: good.authorization!.replace(SIM_CREDENTIALS.accessKey, "SOMEONEELSE") },
      { ...good, authorization: "SDK-HMAC-SHA256 nonsense" },
      { "content-type": "application/json" },
    ];
    for (const headers of cases) {
      const answer = await send(t.sim.url, { method: "POST", path, headers, body: "{}" });
      expect(answer.status).toBe(401);
      expect(errorCode(answer)).toBe("APIGW.0301");
    }
    expect(t.sim.control.requestCounts().rejected).toBe(3);
  });
});

describe("IAM tokens", () => {
  function tokenBody(overrides: { password?: string; projectId?: string } = {}): string {
    return JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: SIM_CREDENTIALS.user, password: overrides.password ?? SIM_CREDENTIALS.password, domain: { name: SIM_CREDENTIALS.domain } } },
        },
        scope: { project: { id: overrides.projectId ?? projectA } },
      },
    });
  }

  async function issue(overrides: { password?: string; projectId?: string } = {}) {
    return send(t.sim.url, { method: "POST", path: "/v3/auth/tokens", headers: { "content-type": "application/json" }, body: tokenBody(overrides) });
  }

  function withToken(token: string, projectId = projectA) {
    return send(t.sim.url, { method: "POST", path: releasePackagesPath(projectId), headers: { "x-auth-token": token, "content-type": "application/json" }, body: "{}" });
  }

  it("issues a token in X-Subject-Token with a 201 and expires_at in microseconds, 24 hours ahead by default", async () => {
    const answer = await issue();
    expect(answer.status).toBe(201);
    expect(answer.headers["x-subject-token"]).toEqual(expect.any(String));
    const { token } = answer.json() as { token: { expires_at: string } };
    expect(token.expires_at).toBe(new Date(NOW + 24 * 3_600_000).toISOString().replace(".000Z", ".000000Z"));
    expect(t.sim.control.requestCounts().iam).toBe(1);
  });

  it("accepts an issued token until it expires, then answers APIGW.0307", async () => {
    const token = (await issue()).headers["x-subject-token"] as string;
    expect((await withToken(token)).status).toBe(200);
    t.clock.now = NOW + 24 * 3_600_000;
    const expired = await withToken(token);
    expect(expired.status).toBe(401);
    expect(errorCode(expired)).toBe("APIGW.0307");
  });

  it("honours a short token lifetime", async () => {
    await t.sim.close();
    t = await startTestSim(t.scenario, { tokenTtlMs: 1000 });
    const answer = await issue();
    const token = answer.headers["x-subject-token"] as string;
    expect((answer.json() as { token: { expires_at: string } }).token.expires_at).toBe("2026-01-15T12:00:01.000000Z");
    t.clock.now = NOW + 999;
    expect((await withToken(token)).status).toBe(200);
    t.clock.now = NOW + 1000;
    expect(errorCode(await withToken(token))).toBe("APIGW.0307");
  });

  it("expires every issued token on expireTokens() but keeps the static token working", async () => {
    const token = (await issue()).headers["x-subject-token"] as string;
    t.sim.control.expireTokens();
    expect(errorCode(await withToken(token))).toBe("APIGW.0307");
    expect((await withToken(SIM_CREDENTIALS.staticToken)).status).toBe(200);
    const fresh = (await issue()).headers["x-subject-token"] as string;
    expect((await withToken(fresh)).status).toBe(200);
  });

  it("answers APIGW.0301 for an unknown token and for a token scoped to another project", async () => {
    expect(errorCode(await withToken("MIIbogus"))).toBe("APIGW.0301");
    const token = (await issue()).headers["x-subject-token"] as string;
    const other = await withToken(token, projectB);
    expect(other.status).toBe(401);
    expect(errorCode(other)).toBe("APIGW.0301");
  });

  it("refuses a wrong password with 401, a malformed body with 400 and an unknown project with 400", async () => {
    const wrong = await issue({ password: "guess" });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ error_code: expect.any(String), error_msg: expect.any(String) });
    expect(wrong.headers["x-subject-token"]).toBeUndefined();
    const malformed = await send(t.sim.url, { method: "POST", path: "/v3/auth/tokens", body: "{\"auth\":" });
    expect(malformed.status).toBe(400);
    expect((await issue({ projectId: "nope" })).status).toBe(400);
    expect(t.sim.control.requestCounts()).toMatchObject({ iam: 3, rejected: 1 });
  });
});
