import { ApiError } from "../../src/dataarts/api-error";
import { DeployStatus } from "../../src/dataarts/model";
import { ReleasePackagePager } from "../../src/dataarts/paging";
import { Fault, SIM_CREDENTIALS, startSimulator } from "../../src/simulator";
import { NO_RETRY, PROJECT, WS, clientFor, failureOf, oneWorkspace, packages, withSim } from "../helpers/sim";

describe("the API client against the simulator", () => {
  it("queries release packages with AK/SK signing and reads total and data", async () => {
    const pkgs = packages({ pending_review: 3, succeeded: 5, failed: 2, releasing: 1 });
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const { client, events } = clientFor(sim);
      const page = await client.queryReleasePackages(WS, { deploy_status_filter: [DeployStatus.succeeded], limit: 2, offset: 0 });
      expect(page.total).toBe(5);
      expect(page.data).toHaveLength(2);
      expect(page.data.every((p) => p.deploy_status === DeployStatus.succeeded)).toBe(true);
      expect(events).toMatchObject([{ projectId: PROJECT, workspaceId: WS, kind: "release_packages", code: "200" }]);
    });
  });

  it("accepts temporary credentials with a security token", async () => {
    await withSim(oneWorkspace(packages({ failed: 1 })), async (sim) => {
      const { client } = clientFor(sim, { securityToken: SIM_CREDENTIALS.securityToken });
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 1 });
    });
  });

  it("reports a wrong secret key as an auth error with the gateway's code and request id", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      const { client } = clientFor(sim, { secretKey: "wrong-secret-value" });
      const err = await failureOf(client.queryReleasePackages(WS, {}));
      expect(err).toMatchObject({ reason: "auth", status: 401, errorCode: "APIGW.0301" });
      expect(err.requestId).toMatch(/.+/);
      expect(`${err.message} ${JSON.stringify(err.toLog())}`).not.toContain("wrong-secret-value");
    });
  });

  it("accepts the static token", async () => {
    await withSim(oneWorkspace(packages({ failed: 1 })), async (sim) => {
      const { client } = clientFor(sim, { auth: "token" });
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 1 });
    });
  });

  it("reports a rejected static token as an auth error without retrying", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      const { client, events } = clientFor(sim, { auth: "token", token: "not-a-token" });
      expect(await failureOf(client.queryReleasePackages(WS, {}))).toMatchObject({ reason: "auth", status: 401 });
      expect(events).toHaveLength(1);
    });
  });

  it("gets an IAM token, and on APIGW.0307 refreshes it once and retries the request", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 2 })), async (sim) => {
      const { client, events } = clientFor(sim, { auth: "password" });
      await client.queryReleasePackages(WS, { limit: 1 });
      sim.control.expireTokens();
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 2 });
      expect(sim.control.requestCounts().iam).toBe(2);
      expect(events.map((e) => `${e.kind}:${e.code}`)).toEqual([
        "iam_token:201",
        "release_packages:200",
        "release_packages:401",
        "iam_token:201",
        "release_packages:200",
      ]);
      expect(events[0]!.workspaceId).toBe("");
    });
  });

  it("reports an unknown workspace as a client error, not retried", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      const { client, events } = clientFor(sim);
      expect(await failureOf(client.queryReleasePackages("no-such-workspace", {}))).toMatchObject({ reason: "client" });
      expect(events).toHaveLength(1);
    });
  });

  it("reports a refused connection as a network error", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(), port: 0 });
    await sim.close();
    const { client } = clientFor(sim, { retry: NO_RETRY });
    expect(await failureOf(client.queryReleasePackages(WS, {}))).toMatchObject({ reason: "network" });
  });

  const faults: Array<[string, string, Fault, Record<string, unknown>]> = [
    ["a 503 with a JSON body", "server", { kind: "server_error", status: 503 }, { status: 503 }],
    ["a 502 HTML error page", "server", { kind: "server_error", status: 502, html: true }, { status: 502, errorCode: undefined }],
    ["a 429 without Retry-After", "throttled", { kind: "throttle" }, { status: 429, errorCode: "APIGW.0308" }],
    ["a 429 with Retry-After", "throttled", { kind: "throttle", retryAfter: "2" }, { retryAfterSeconds: 2 }],
    ["a hung connection", "timeout", { kind: "hang" }, { status: undefined }],
    ["a truncated JSON body", "invalid_response", { kind: "malformed_json" }, { status: 200 }],
    ["data that is not an array", "invalid_response", { kind: "wrong_shape", variant: "data_not_array" }, {}],
    ["a total that is not a number", "invalid_response", { kind: "wrong_shape", variant: "total_not_number" }, {}],
    ["a timestamp that is not a number", "invalid_response", { kind: "wrong_shape", variant: "timestamp_not_number" }, {}],
    ["a body that is not an object", "invalid_response", { kind: "wrong_shape", variant: "not_an_object" }, {}],
    ["an HTML page with status 200", "invalid_response", { kind: "html" }, {}],
    ["a 403", "auth", { kind: "status", status: 403, errorCode: "DLF.0818" }, { status: 403, errorCode: "DLF.0818" }],
    ["a 404", "client", { kind: "status", status: 404, errorCode: "DLF.0100" }, { status: 404 }],
  ];

  it.each(faults)("maps %s to the %s reason", async (_what, reason, fault, details) => {
    await withSim(oneWorkspace(packages({ succeeded: 1 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, fault);
      const { client } = clientFor(sim, { timeoutMs: 300, retry: NO_RETRY });
      const err = await failureOf(client.queryReleasePackages(WS, { limit: 1 }));
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ reason, ...details });
    });
  });

  it("names the field of an invalid response", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 1 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "wrong_shape", variant: "total_not_number" });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      expect((await failureOf(client.queryReleasePackages(WS, {}))).message).toMatch(/^invalid response: total: /);
    });
  });

  it("retries a burst of 5xx and 429 answers, honouring Retry-After, and then succeeds", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 3 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "server_error", status: 500, times: 1 });
      sim.control.injectFault(PROJECT, WS, { kind: "throttle", retryAfter: "3", times: 1 });
      const { client, clock, events } = clientFor(sim, { retry: { baseDelayMs: 100 } });
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 3 });
      expect(events.map((e) => e.code)).toEqual(["500", "429", "200"]);
      expect(clock.sleeps).toEqual([50, 3_000]);
    });
  });

  it("stops retrying after the last attempt and reports the last failure", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "server_error", status: 503 });
      const { client } = clientFor(sim, { retry: { maxAttempts: 3 } });
      expect(await failureOf(client.queryReleasePackages(WS, {}))).toMatchObject({ reason: "server" });
      expect(sim.control.requestCounts()[`${PROJECT}/${WS}`]).toBe(3);
    });
  });

  it("lists an instance's workspaces", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      const { client } = clientFor(sim);
      const page = await client.listWorkspaces("inst-1");
      expect(page.data.map((w) => w.id)).toEqual([WS]);
      expect(page.count).toBe(1);
    });
  });
});

describe("paging through every release package", () => {
  const many = packages({ pending_review: 90, succeeded: 120, failed: 40, releasing: 10 });

  it.each([
    ["page", "page"],
    ["offset", "offset"],
    ["page", "auto"],
    ["offset", "auto"],
  ] as const)("loses and repeats nothing when the service reads offset as a %s and the client is set to %s", async (served, mode) => {
    await withSim(
      oneWorkspace(many),
      async (sim) => {
        const { client } = clientFor(sim);
        const pager = new ReleasePackagePager(client, mode);
        const result = await pager.all(WS, { limit: 30 });
        const ids = result.packages.map((p) => p.package_id);
        expect(result.total).toBe(260);
        expect(new Set(ids).size).toBe(ids.length);
        expect(new Set(ids)).toEqual(new Set(many.map((p) => p.package_id)));
        if (mode === "auto") expect(pager.detectedReading).toBe(served);
        const requests = sim.control.requestCounts()[`${PROJECT}/${WS}`];
        expect(requests).toBeLessThanOrEqual(Math.ceil(260 / 30) + 1);
      },
      served,
    );
  });

  it("detects the reading once and remembers it for later walks", async () => {
    await withSim(
      oneWorkspace(many),
      async (sim) => {
        const { client } = clientFor(sim);
        const pager = new ReleasePackagePager(client, "auto");
        await pager.all(WS, { limit: 100 });
        sim.control.resetCounts();
        await pager.all(WS, { limit: 100 });
        expect(sim.control.requestCounts()[`${PROJECT}/${WS}`]).toBe(3);
      },
      "offset",
    );
  });

  it("stops at the number asked for", async () => {
    await withSim(oneWorkspace(many), async (sim) => {
      const { client } = clientFor(sim);
      const result = await new ReleasePackagePager(client, "page").all(WS, { limit: 100 }, 150);
      expect(result.packages).toHaveLength(150);
      expect(sim.control.requestCounts()[`${PROJECT}/${WS}`]).toBe(2);
    });
  });
});
