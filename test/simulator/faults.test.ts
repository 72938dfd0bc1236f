import { request } from "node:http";
import { OPTIONAL_PACKAGE_FIELDS, SIM_CREDENTIALS, type Fault } from "../../src/simulator";
import { P, tenScenario, W1, W2 } from "./fixtures";
import { errorCode, page, query, startTestSim, until, type Answer, type TestSim } from "./helpers";

let t: TestSim;
beforeEach(async () => {
  t = await startTestSim(tenScenario());
});
afterEach(() => t.sim.close());

function faulted(fault: Fault, body: unknown = { limit: 3 }): Promise<Answer> {
  t.sim.control.injectFault(P, W1, fault);
  return query(t, P, body, W1);
}

describe("injected faults", () => {
  it("server_error answers 500 with a JSON DLF.0100 body by default", async () => {
    const a = await faulted({ kind: "server_error" });
    expect(a.status).toBe(500);
    expect(a.json()).toEqual({ error_code: "DLF.0100", error_msg: expect.any(String) });
    expect(a.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("server_error can be a 502, 503 or 504 gateway HTML page", async () => {
    for (const status of [502, 503, 504] as const) {
      t.sim.control.clearFaults();
      const a = await faulted({ kind: "server_error", status, html: true });
      expect(a.status).toBe(status);
      expect(a.headers["content-type"]).toMatch(/^text\/html/);
      expect(a.text).toContain(`${status}`);
      expect(() => JSON.parse(a.text)).toThrow();
    }
  });

  it("throttle answers 429 APIGW.0308 with Retry-After in seconds or as an HTTP date, or none", async () => {
    const seconds = await faulted({ kind: "throttle", retryAfter: "7", times: 1 });
    expect(seconds.status).toBe(429);
    expect(errorCode(seconds)).toBe("APIGW.0308");
    expect(seconds.headers["retry-after"]).toBe("7");
    const date = "Thu, 15 Jan 2026 12:00:30 GMT";
    expect((await faulted({ kind: "throttle", retryAfter: date, times: 1 })).headers["retry-after"]).toBe(date);
    const bare = await faulted({ kind: "throttle", times: 1 });
    expect(bare.status).toBe(429);
    expect(bare.headers["retry-after"]).toBeUndefined();
  });

  it("slow answers correctly after its delay", async () => {
    const a = await faulted({ kind: "slow", delayMs: 30 });
    expect(page(a).total).toBe(10);
  });

  it("hang never answers; a client that gives up is let go and the simulator keeps serving", async () => {
    t.sim.control.injectFault(P, W1, { kind: "hang", times: 1 });
    const abort = new AbortController();
    const hung = query(t, P, {}, W1, abort.signal);
    await until(() => t.sim.control.requestCounts()[`${P}/${W1}`] === 1, "the hung request to arrive");
    abort.abort();
    await expect(hung).rejects.toThrow();
    expect(page(await query(t, P, {}, W1)).total).toBe(10);
  });

  it("close() ends hung and slow requests promptly", async () => {
    t.sim.control.injectFault(P, W1, { kind: "hang", times: 1 });
    t.sim.control.injectFault(P, W1, { kind: "slow", delayMs: 600_000, times: 1 });
    const hung = query(t, P, {}, W1);
    const slow = query(t, P, {}, W1);
    const outcomes = Promise.allSettled([hung, slow]);
    await until(() => t.sim.control.requestCounts()[`${P}/${W1}`] === 2, "both requests to arrive");
    await t.sim.close();
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe("rejected");
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/socket hang up|ECONNRESET/);
    }
  });

  it("malformed_json answers 200 with a JSON content type and a truncated body", async () => {
    const a = await faulted({ kind: "malformed_json" });
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toMatch(/json/);
    expect(a.text.startsWith("{\"data\":[")).toBe(true);
    expect(() => JSON.parse(a.text)).toThrow();
  });

  it("wrong_shape bends the real answer in each of its four ways", async () => {
    const body = (variant: "data_not_array" | "total_not_number" | "timestamp_not_number" | "not_an_object") => {
      t.sim.control.clearFaults();
      return faulted({ kind: "wrong_shape", variant }).then((a) => {
        expect(a.status).toBe(200);
        return a.json() as Record<string, unknown>;
      });
    };
    expect(Array.isArray((await body("data_not_array")).data)).toBe(false);
    expect((await body("total_not_number")).total).toBe("10");
    const ts = (await body("timestamp_not_number")) as { data: Array<{ apply_timestamp: unknown }> };
    expect(ts.data.length).toBeGreaterThan(0);
    expect(ts.data.every((p) => typeof p.apply_timestamp === "string")).toBe(true);
    expect(Array.isArray(await body("not_an_object"))).toBe(true);
  });

  it("wrong_shape timestamp_not_number still shows a bad timestamp when nothing matches", async () => {
    t.sim.control.injectFault(P, W2, { kind: "wrong_shape", variant: "timestamp_not_number" });
    const a = (await query(t, P, {}, W2)).json() as { data: Array<{ apply_timestamp: unknown }> };
    expect(typeof a.data[0]!.apply_timestamp).toBe("string");
  });

  it("html answers 200 with an HTML page", async () => {
    const a = await faulted({ kind: "html" });
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toMatch(/^text\/html/);
    expect(a.text).toMatch(/^<!DOCTYPE html>/);
  });

  it("status pads error_msg to errorMsgBytes, for a service that sends megabytes of message", async () => {
    const a = await faulted({ kind: "status", status: 400, errorCode: "DLF.3051", errorMsg: "too long. ", errorMsgBytes: 5_000_000 });
    const body = a.json() as { error_code: string; error_msg: string };
    expect(a.status).toBe(400);
    expect(body.error_code).toBe("DLF.3051");
    expect(body.error_msg).toHaveLength(5_000_000);
    expect(body.error_msg.startsWith("too long. too long. ")).toBe(true);
  });

  it("null_fields answers the real page with every optional field of every package set to null", async () => {
    const a = page(await faulted({ kind: "null_fields" }));
    expect(a.total).toBe(10);
    expect(a.data).toHaveLength(3);
    for (const p of a.data) {
      for (const field of OPTIONAL_PACKAGE_FIELDS) expect(p[field]).toBeNull();
      expect(typeof p.package_id).toBe("string");
      expect(typeof p.apply_timestamp).toBe("number");
      expect(typeof p.deploy_status).toBe("number");
    }
  });

  it("null_fields can null only the fields it lists", async () => {
    const [first] = page(await faulted({ kind: "null_fields", fields: ["deploy_user_name"] })).data;
    expect(first!.deploy_user_name).toBeNull();
    expect(typeof first!.package_name).toBe("string");
  });

  it("truncated declares the whole body's Content-Length, sends half of it and closes the connection", async () => {
    t.sim.control.injectFault(P, W1, { kind: "truncated", times: 1 });
    const seen = await new Promise<{ declared: number; received: number; aborted: boolean }>((resolve, reject) => {
      const r = request(new URL(`/v2/${P}/factory/release-packages`, t.sim.url), {
        method: "POST",
        headers: { "content-type": "application/json", "x-auth-token": SIM_CREDENTIALS.staticToken, workspace: W1 },
      }, (res) => {
        let received = 0;
        res.on("data", (c: Buffer) => (received += c.length));
        res.on("error", () => undefined);
        res.on("close", () => resolve({ declared: Number(res.headers["content-length"]), received, aborted: !res.complete }));
      });
      r.on("error", reject);
      r.end("{}");
    });
    expect(seen.aborted).toBe(true);
    expect(seen.received).toBe(Math.floor(seen.declared / 2));
    expect(seen.declared).toBeGreaterThan(100);
    expect(page(await query(t, P, {}, W1)).total).toBe(10);
  });

  it("status answers any other error with its status and code", async () => {
    const a = await faulted({ kind: "status", status: 403, errorCode: "DLF.0818" });
    expect(a.status).toBe(403);
    expect(errorCode(a)).toBe("DLF.0818");
    t.sim.control.clearFaults(P, W1);
    expect((await faulted({ kind: "status", status: 404, errorCode: "DLF.0404", errorMsg: "gone" })).json()).toEqual({ error_code: "DLF.0404", error_msg: "gone" });
  });
});

describe("fault lifetime", () => {
  it("a fault with times answers that many requests, then removes itself", async () => {
    t.sim.control.injectFault(P, W1, { kind: "server_error", times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await query(t, P, {}, W1)).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect(t.sim.control.faults(P, W1)).toEqual([]);
  });

  it("faults queue: each answers its own turns in the order injected", async () => {
    t.sim.control.injectFault(P, W1, { kind: "throttle", retryAfter: "1", times: 1 });
    t.sim.control.injectFault(P, W1, { kind: "server_error", status: 503, times: 1 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await query(t, P, {}, W1)).status);
    expect(statuses).toEqual([429, 503, 200]);
  });

  it("a fault without times stays until cleared, and only affects its own workspace", async () => {
    t.sim.control.injectFault(P, W1, { kind: "server_error" });
    expect((await query(t, P, {}, W1)).status).toBe(500);
    expect((await query(t, P, {}, W1)).status).toBe(500);
    expect((await query(t, P, {}, W2)).status).toBe(200);
    t.sim.control.clearFaults(P);
    expect((await query(t, P, {}, W1)).status).toBe(200);
  });

  it("faults given in the scenario apply from the first request", async () => {
    await t.sim.close();
    const scenario = tenScenario();
    scenario.projects[0]!.workspaces[0]!.faults = [{ kind: "throttle", times: 1 }];
    t = await startTestSim(scenario);
    expect((await query(t, P, {}, W1)).status).toBe(429);
    expect((await query(t, P, {}, W1)).status).toBe(200);
  });

  it("faulted requests count as requests for their workspace", async () => {
    t.sim.control.injectFault(P, W1, { kind: "server_error", times: 1 });
    await query(t, P, {}, W1);
    await query(t, P, {}, W1);
    expect(t.sim.control.requestCounts()[`${P}/${W1}`]).toBe(2);
  });

  it("refuses a malformed fault instead of storing it", () => {
    const bad: unknown[] = [{ kind: "explode" }, { kind: "slow" }, { kind: "server_error", status: 418 }, { kind: "wrong_shape", variant: "odd" }, { kind: "throttle", times: 0 }, { kind: "null_fields", fields: ["package_id"] }, { kind: "status", status: 400, errorCode: "X", errorMsgBytes: 30_000_000 }];
    for (const fault of bad) expect(() => t.sim.control.injectFault(P, W1, fault as Fault)).toThrow(/invalid fault/);
    expect(t.sim.control.faults(P, W1)).toEqual([]);
  });
});
