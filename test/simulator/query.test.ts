import { MAX_LIMIT } from "../../src/dataarts/model";
import { generatePackages, SIM_CREDENTIALS } from "../../src/simulator";
import { ids, INSTANCE, P, tenScenario, W1, W2 } from "./fixtures";
import { errorCode, NOW, page, query, send, startTestSim, type TestSim } from "./helpers";

let t: TestSim;
afterEach(() => t.sim.close());

async function ask(body: unknown, workspace?: string): Promise<{ ids: number[]; total: number }> {
  const p = page(await query(t, P, body, workspace));
  return { ids: ids(p.data), total: p.total };
}

describe("release-package query", () => {
  beforeEach(async () => {
    t = await startTestSim(tenScenario());
  });

  it("answers the newest ten applied first by default, with the total of all matches", async () => {
    expect(await ask({})).toEqual({ ids: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1], total: 10 });
    expect(await ask({ limit: 3 })).toEqual({ ids: [10, 9, 8], total: 10 });
  });

  it("reads an absent workspace header as the project's default workspace", async () => {
    expect((await ask({}, undefined)).total).toBe(10);
    expect((await ask({}, W2)).total).toBe(0);
    expect(t.sim.control.requestCounts()[`${P}/${W1}`]).toBe(1);
  });

  it("answers an unknown workspace with 400 and an unknown project with 404, both as JSON DLF errors", async () => {
    const ws = await query(t, P, {}, "nope");
    expect(ws.status).toBe(400);
    expect(errorCode(ws)).toMatch(/^DLF\./);
    const project = await query(t, "nope", {});
    expect(project.status).toBe(404);
    expect(errorCode(project)).toMatch(/^DLF\./);
  });

  it("filters by key_word as a case-insensitive substring of the package name", async () => {
    expect(await ask({ key_word: "ods_order" })).toEqual({ ids: [6, 3, 1], total: 3 });
  });

  it("filters by exact applicant and deployer names", async () => {
    expect(await ask({ apply_user_name: "alice" })).toEqual({ ids: [9, 7, 3, 1], total: 4 });
    expect(await ask({ deploy_user_name: "rev_y" })).toEqual({ ids: [8, 5, 2], total: 3 });
  });

  it("filters by applicant and deployer name lists", async () => {
    expect(await ask({ apply_user_name_filter: ["bob", "dave"] })).toEqual({ ids: [10, 8, 5, 2], total: 4 });
    expect(await ask({ deploy_user_name_filter: ["rev_x"], apply_user_name_filter: ["alice"] })).toEqual({ ids: [9, 3, 1], total: 3 });
  });

  it("filters by apply and deploy time windows, both ends inclusive", async () => {
    expect(await ask({ apply_begin_time: 3000, apply_end_time: 6000 })).toEqual({ ids: [6, 5, 4, 3], total: 4 });
    expect(await ask({ deploy_begin_time: 5500, deploy_end_time: 9000 })).toEqual({ ids: [9, 8, 6, 5], total: 4 });
    expect(await ask({ apply_begin_time: 7000, apply_end_time: 3000 })).toEqual({ ids: [], total: 0 });
  });

  it("filters by status list, and combines every filter", async () => {
    expect(await ask({ deploy_status_filter: [1] })).toEqual({ ids: [10, 7, 4], total: 3 });
    expect(await ask({ deploy_status_filter: [3, 5] })).toEqual({ ids: [8, 6, 3], total: 3 });
    expect(await ask({ deploy_status_filter: [2, 3], apply_user_name: "alice", apply_begin_time: 1001, key_word: "ods" })).toEqual({ ids: [3], total: 1 });
  });

  it("sorts by deploy time or apply time in either direction", async () => {
    expect((await ask({ order_column: "deploy_timestamp", sorted_direction: "desc", deploy_status_filter: [2] })).ids).toEqual([2, 9, 5, 1]);
    expect((await ask({ order_column: "deploy_timestamp", sorted_direction: "asc", deploy_status_filter: [2, 3] })).ids).toEqual([1, 3, 5, 8, 9, 2]);
    expect((await ask({ sorted_direction: "asc", limit: 4 })).ids).toEqual([1, 2, 3, 4]);
  });

  it("treats empty strings as absent fields, as the page's own example sends them", async () => {
    const example = {
      key_word: "", apply_user_name: "", deploy_user_name: "",
      apply_begin_time: 2000, apply_end_time: 5000,
      deploy_begin_time: "", deploy_end_time: "",
      apply_user_name_filter: "", deploy_user_name_filter: "", deploy_status_filter: "",
      sorted_direction: "desc", order_column: "apply_timestamp", limit: 10, offset: 0,
    };
    expect(await ask(example)).toEqual({ ids: [5, 4, 3, 2], total: 4 });
  });

  it("reads offset as a page number by default", async () => {
    expect(await ask({ limit: 3, offset: 1 })).toEqual({ ids: [7, 6, 5], total: 10 });
    expect(await ask({ limit: 3, offset: 3 })).toEqual({ ids: [1], total: 10 });
    expect(await ask({ limit: 3, offset: 4 })).toEqual({ ids: [], total: 10 });
  });

  it("rejects a limit over 100, a negative or fractional limit or offset, bad enums and bad JSON with DLF.3051", async () => {
    expect((await query(t, P, { limit: MAX_LIMIT })).status).toBe(200);
    const bad: unknown[] = [
      { limit: MAX_LIMIT + 1 }, { limit: -1 }, { limit: 0 }, { limit: 1.5 }, { offset: -1 }, { offset: 0.5 }, { limit: "ten" },
      { sorted_direction: "up" }, { order_column: "package_name" }, { deploy_status_filter: ["x"] }, { apply_begin_time: true },
      { apply_user_name_filter: "alice" }, "{\"limit\": 1", "[1,2]", "null",
    ];
    for (const body of bad) {
      const answer = await query(t, P, body);
      expect({ body, status: answer.status, code: errorCode(answer) }).toEqual({ body, status: 400, code: "DLF.3051" });
    }
  });

  it("puts a unique X-Request-Id on every answer, errors included", async () => {
    const answers = [await query(t, P, {}), await query(t, P, { limit: 101 }), await query(t, "nope", {}), await send(t.sim.url, { path: "/nowhere" })];
    const idsSeen = answers.map((a) => a.headers["x-request-id"]);
    expect(idsSeen.every((id) => typeof id === "string" && /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set(idsSeen).size).toBe(answers.length);
  });

  it("refuses a body over 1 MiB with DLF.3051 and survives garbage paths and bodies", async () => {
    const huge = await query(t, P, JSON.stringify({ key_word: "x".repeat(2 * 1024 * 1024) }));
    expect(huge.status).toBe(400);
    expect(errorCode(huge)).toBe("DLF.3051");
    const badEscape = await send(t.sim.url, { method: "POST", path: "/v2/%E0%A4%A/factory/release-packages", headers: { "x-auth-token": SIM_CREDENTIALS.staticToken }, body: "{}" });
    expect(badEscape.status).toBe(404);
    const binary = await query(t, P, Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString("latin1"));
    expect(errorCode(binary)).toBe("DLF.3051");
    expect(page(await query(t, P, {})).total).toBe(10);
  });

  it("serves a limit-1 count and an oldest-first query over a workspace of 100 000 packages", async () => {
    const pkgs = generatePackages({ workspaceId: W2, projectId: P, counts: { pending_review: 1_000, releasing: 200, succeeded: 97_000, failed: 1_800 }, now: NOW, seed: 5 });
    t.sim.control.addPackages(P, W2, pkgs);
    const count = page(await query(t, P, { deploy_status_filter: [1], limit: 1 }, W2));
    expect(count.total).toBe(1_000);
    const oldest = page(await query(t, P, { deploy_status_filter: [1], sorted_direction: "asc", limit: 1 }, W2));
    const expected = pkgs.filter((p) => p.deploy_status === 1).sort((a, b) => a.apply_timestamp - b.apply_timestamp || (a.package_id < b.package_id ? -1 : 1))[0]!;
    expect(oldest.data[0]!.package_id).toBe(expected.package_id);
    expect(page(await query(t, P, { limit: 1 }, W2)).total).toBe(100_000);
  });

  it("answers an unknown path or method with a JSON 404", async () => {
    const answer = await send(t.sim.url, { method: "GET", path: `/v2/${P}/factory/release-packages`, headers: { "x-auth-token": SIM_CREDENTIALS.staticToken } });
    expect(answer.status).toBe(404);
    expect(answer.json()).toEqual({ error_code: "APIGW.0101", error_msg: expect.any(String) });
  });
});

describe("release-package query with offset read as a record offset", () => {
  beforeEach(async () => {
    t = await startTestSim(tenScenario(), { offsetMode: "offset" });
  });

  it("skips offset records", async () => {
    expect(await ask({ limit: 3, offset: 1 })).toEqual({ ids: [9, 8, 7], total: 10 });
    expect(await ask({ limit: 3, offset: 9 })).toEqual({ ids: [1], total: 10 });
    expect(await ask({ limit: 3, offset: 10 })).toEqual({ ids: [], total: 10 });
  });
});

describe("workspace listing", () => {
  beforeEach(async () => {
    t = await startTestSim(tenScenario());
    for (let i = 3; i <= 25; i++) t.sim.control.addWorkspace(P, { id: `w${i}`, name: `Workspace ${i}` });
  });

  function list(instance: string, qs = ""): ReturnType<typeof send> {
    return send(t.sim.url, { path: `/v1/${P}/workspaces/${instance}${qs}`, headers: { "x-auth-token": SIM_CREDENTIALS.staticToken } });
  }

  it("pages workspaces with a record offset and reports count and total_page", async () => {
    const first = (await list(INSTANCE, "?limit=20&offset=0")).json() as { count: number; total_page: number; data: Array<{ id: string; name: string; is_default: number }> };
    expect(first).toMatchObject({ count: 25, total_page: 2 });
    expect(first.data).toHaveLength(20);
    expect(first.data[0]).toMatchObject({ id: W1, name: "Ten", is_default: 1 });
    expect(first.data[1]).toMatchObject({ id: W2, is_default: 0 });
    const second = (await list(INSTANCE, "?limit=20&offset=20")).json() as { data: Array<{ id: string }> };
    expect(second.data.map((w) => w.id)).toEqual(["w21", "w22", "w23", "w24", "w25"]);
    expect(t.sim.control.requestCounts().workspaces).toBe(2);
  });

  it("answers an unknown instance with a JSON 404 and a bad limit with DLF.3051", async () => {
    const unknown = await list("nope");
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toMatch(/^DLF\./);
    expect(errorCode(await list(INSTANCE, "?limit=abc"))).toBe("DLF.3051");
    expect(errorCode(await list(INSTANCE, "?limit=101"))).toBe("DLF.3051");
  });
});
