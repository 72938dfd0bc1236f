import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { createSimulator, isLoopback, type ReleasePackage } from "../../src/simulator";
import { P, pkg, tenScenario, W1, W2 } from "./fixtures";
import { NOW, page, query, send, startTestSim, type TestSim } from "./helpers";

describe("loopback check", () => {
  it("accepts IPv4 and IPv6 loopback addresses, including IPv4-mapped ones", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(a)).toBe(true);
  });

  it("refuses every other address, and a missing one", () => {
    for (const a of ["10.0.0.1", "192.168.1.20", "::ffff:10.1.2.3", "fe80::1", "0.0.0.0", "::", "", undefined, "127.0.0.1.evil"]) expect(isLoopback(a)).toBe(false);
  });
});

describe("control routes over HTTP", () => {
  let t: TestSim;
  beforeEach(async () => {
    t = await startTestSim(tenScenario());
  });
  afterEach(() => t.sim.close());

  const ws = `/-/sim/projects/${P}/workspaces/${W1}`;
  function ctl(method: string, path: string, body?: unknown) {
    return send(t.sim.url, { method, path, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  it("lists projects and workspaces with package counts", async () => {
    const a = await ctl("GET", "/-/sim/projects");
    expect(a.status).toBe(200);
    expect(a.json()).toEqual([{ projectId: P, instanceId: expect.any(String), workspaces: [{ id: W1, name: "Ten", isDefault: true, packageCount: 10 }, { id: W2, name: "Empty", isDefault: false, packageCount: 0 }] }]);
  });

  it("adds, reads, re-statuses and removes packages", async () => {
    expect((await ctl("POST", `${ws}/packages`, [pkg(11, 1, 11_000, 0, "new_pkg", "erin")])).status).toBe(200);
    expect((await ctl("PUT", `${ws}/packages/4/status`, { status: 5, deployTimestamp: 12_000 })).status).toBe(200);
    expect((await ctl("DELETE", `${ws}/packages/1`)).status).toBe(200);
    const pkgs = (await ctl("GET", `${ws}/packages`)).json() as ReleasePackage[];
    expect(pkgs.map((p) => p.package_id)).toEqual(["11", "10", "9", "8", "7", "6", "5", "4", "3", "2"]);
    expect(pkgs.find((p) => p.package_id === "4")).toMatchObject({ deploy_status: 5, deploy_timestamp: 12_000 });
    expect(page(await query(t, P, { deploy_status_filter: [5] })).total).toBe(2);
  });

  it("adds and removes workspaces", async () => {
    expect((await ctl("POST", `/-/sim/projects/${P}/workspaces`, { id: "w3", name: "Third", packages: [pkg(1, 1, 1, 0, "a", "b")] })).status).toBe(200);
    expect(page(await query(t, P, {}, "w3")).total).toBe(1);
    expect((await ctl("DELETE", `/-/sim/projects/${P}/workspaces/w3`)).status).toBe(200);
    expect((await query(t, P, {}, "w3")).status).toBe(400);
  });

  it("injects, lists and clears faults", async () => {
    expect((await ctl("POST", `${ws}/faults`, { kind: "throttle", retryAfter: "2", times: 3 })).status).toBe(200);
    expect((await ctl("GET", `${ws}/faults`)).json()).toEqual([{ kind: "throttle", retryAfter: "2", times: 3 }]);
    expect((await query(t, P, {}, W1)).status).toBe(429);
    expect((await ctl("DELETE", "/-/sim/faults")).status).toBe(200);
    expect((await query(t, P, {}, W1)).status).toBe(200);
  });

  it("reads and resets request counts, ticks and expires tokens", async () => {
    await query(t, P, {}, W1);
    await query(t, P, {}, W2);
    await query(t, P, {}, W2);
    expect((await ctl("GET", "/-/sim/counts")).json()).toEqual({ iam: 0, workspaces: 0, rejected: 0, [`${P}/${W1}`]: 1, [`${P}/${W2}`]: 2 });
    expect((await ctl("POST", "/-/sim/counts/reset")).status).toBe(200);
    expect(t.sim.control.requestCounts()).toEqual({ iam: 0, workspaces: 0, rejected: 0, [`${P}/${W1}`]: 0, [`${P}/${W2}`]: 0 });
    expect((await ctl("POST", "/-/sim/tick")).status).toBe(200);
    expect((await ctl("POST", "/-/sim/expire-tokens")).status).toBe(200);
  });

  it("answers unknown names with 404, bad input with 400 and unknown routes with 404, all as JSON", async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ["GET", `/-/sim/projects/nope/workspaces/${W1}/packages`, undefined, 404],
      ["DELETE", `${ws}/packages/999`, undefined, 404],
      ["PUT", `${ws}/packages/999/status`, { status: 2 }, 404],
      ["PUT", `${ws}/packages/4/status`, { status: "done" }, 400],
      ["POST", `${ws}/packages`, [{ package_id: "x" }], 400],
      ["POST", `${ws}/faults`, { kind: "meteor" }, 400],
      ["POST", `/-/sim/projects/${P}/workspaces`, { id: W1, name: "dup" }, 400],
      ["GET", "/-/sim/nothing-here", undefined, 404],
    ];
    for (const [method, path, body, status] of cases) {
      const a = await ctl(method, path, body);
      expect({ method, path, status: a.status }).toEqual({ method, path, status });
      expect(a.json()).toEqual({ error_code: expect.stringMatching(/^SIM\./), error_msg: expect.any(String) });
    }
    const garbled = await send(t.sim.url, { method: "POST", path: `${ws}/packages`, body: "{not json" });
    expect(garbled.status).toBe(400);
  });

  it("needs no service credentials (the loopback check is its guard)", async () => {
    const a = await send(t.sim.url, { path: "/-/sim/counts" });
    expect(a.status).toBe(200);
    expect(a.headers["x-request-id"]).toBeDefined();
  });
});

/**
 * Answers one request through the app as if it came from `address`. Tests send traffic
 * only to loopback, so a remote peer is played by the socket's address instead.
 */
function answerFrom(address: string, method: string, path: string, headers: Record<string, string> = {}, body = ""): Promise<number> {
  const { app } = createSimulator({ scenario: tenScenario(), clock: () => NOW });
  const socket = new Socket();
  Object.defineProperty(socket, "remoteAddress", { value: address });
  const req = new IncomingMessage(socket);
  Object.assign(req, { method, url: path, headers: { host: "sim.test", ...headers } });
  req.push(body);
  req.push(null);
  const res = new ServerResponse(req);
  return new Promise((resolve) => {
    res.end = ((..._args: unknown[]) => {
      resolve(res.statusCode);
      return res;
    }) as typeof res.end;
    void app.callback()(req, res);
  });
}

it("refuses control routes to a peer that is not on loopback, while the service answers it", async () => {
  expect(await answerFrom("10.1.2.3", "GET", "/-/sim/counts")).toBe(403);
  expect(await answerFrom("::ffff:192.168.0.9", "POST", "/-/sim/tick")).toBe(403);
  expect(await answerFrom("127.0.0.1", "GET", "/-/sim/counts")).toBe(200);
  const service = await answerFrom("10.1.2.3", "POST", `/v2/${P}/factory/release-packages`, { "x-auth-token": "sim-static-token", "content-type": "application/json" }, "{}");
  expect(service).toBe(200);
});

describe("in-process control", () => {
  it("works on a simulator created without a server", () => {
    const { app, control } = createSimulator({ scenario: tenScenario(), clock: () => NOW });
    expect(typeof app.callback()).toBe("function");
    control.setStatus(P, W1, "4", 2);
    expect(control.packages(P, W1).find((p) => p.package_id === "4")).toMatchObject({ deploy_status: 2, deploy_timestamp: NOW });
  });

  it("replaces a package added again with the same id, and hands out copies", () => {
    const { control } = createSimulator({ scenario: tenScenario(), clock: () => NOW });
    control.addPackages(P, W1, [pkg(3, 2, 3000, 3600, "renamed", "alice", "rev_x")]);
    const copy = control.packages(P, W1);
    expect(copy).toHaveLength(10);
    expect(copy.find((p) => p.package_id === "3")!.package_name).toBe("renamed");
    copy[0]!.deploy_status = 99;
    expect(control.packages(P, W1)[0]!.deploy_status).not.toBe(99);
  });

  it("does not change the scenario object it was given", () => {
    const scenario = tenScenario();
    const before = JSON.stringify(scenario);
    const { control } = createSimulator({ scenario, clock: () => NOW });
    control.removePackage(P, W1, "1");
    control.tick();
    expect(JSON.stringify(scenario)).toBe(before);
  });

  it("throws on unknown projects, workspaces and packages", () => {
    const { control } = createSimulator({ scenario: tenScenario() });
    expect(() => control.packages("nope", W1)).toThrow(/unknown project/);
    expect(() => control.removeWorkspace(P, "nope")).toThrow(/unknown workspace/);
    expect(() => control.removePackage(P, W1, "nope")).toThrow(/unknown package/);
    expect(() => control.clearFaults(P, "nope")).toThrow(/unknown workspace/);
  });
});
