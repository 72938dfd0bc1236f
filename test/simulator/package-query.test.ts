import fc from "fast-check";
import type { OrderColumn, ReleasePackage, SortDirection } from "../../src/dataarts/model";
import { generatePackages } from "../../src/simulator";
import { parseQuery } from "../../src/simulator/query";
import type { PackageQuery } from "../../src/simulator/package-query";
import { WorkspaceData } from "../../src/simulator/workspace-data";
import { NOW } from "./helpers";

/** The obvious, slow implementation the indexed store must agree with. */
function reference(all: readonly ReleasePackage[], q: PackageQuery): { ids: string[]; total: number } {
  const within = (ts: number, r: { begin?: number; end?: number }) => (r.begin === undefined || ts >= r.begin) && (r.end === undefined || ts <= r.end);
  const matches = all.filter(
    (p) =>
      (!q.statuses || q.statuses.includes(p.deploy_status)) &&
      (q.keyWord === undefined || (p.package_name ?? "").toLowerCase().includes(q.keyWord.toLowerCase())) &&
      (q.applyUserName === undefined || p.apply_user_name === q.applyUserName) &&
      (q.deployUserName === undefined || p.deploy_user_name === q.deployUserName) &&
      (!q.applyUsers || q.applyUsers.has(p.apply_user_name ?? "")) &&
      (!q.deployUsers || q.deployUsers.has(p.deploy_user_name ?? "")) &&
      within(p.apply_timestamp, q.apply) &&
      within(p.deploy_timestamp, q.deploy),
  );
  const col = q.order;
  matches.sort((a, b) => a[col] - b[col] || (a.package_id < b.package_id ? -1 : a.package_id > b.package_id ? 1 : 0));
  if (q.direction === "desc") matches.reverse();
  return { total: matches.length, ids: matches.slice(q.skip, q.skip + q.limit).map((p) => p.package_id) };
}

const NAMES = ["ods_order", "dws_sales", "ADS_gmv", "dim_sku"] as const;
const USERS = ["alice", "bob", "carol"] as const;

const packageArb = (id: number) =>
  fc.record({
    status: fc.constantFrom(1, 2, 3, 5, 4),
    apply: fc.integer({ min: 0, max: 40 }),
    deploy: fc.integer({ min: 0, max: 40 }),
    name: fc.constantFrom(...NAMES),
    applicant: fc.constantFrom(...USERS),
    deployer: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  }).map((r): ReleasePackage => ({
    package_id: String(id),
    package_name: `${r.name}_${id}`,
    apply_timestamp: r.apply,
    apply_user_name: r.applicant,
    deploy_status: r.status,
    deploy_timestamp: r.deploy,
    ...(r.deployer ? { deploy_user_name: r.deployer } : {}),
  }));

const packagesArb = fc.integer({ min: 0, max: 60 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => packageArb(i + 1))));

const rangeArb = fc.record({ begin: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }), end: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }) });

const queryArb: fc.Arbitrary<PackageQuery> = fc.record({
  keyWord: fc.option(fc.constantFrom("ods", "SALES", "gmv_", "x"), { nil: undefined }),
  applyUserName: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  deployUserName: fc.option(fc.constantFrom(...USERS), { nil: undefined }),
  apply: rangeArb,
  deploy: rangeArb,
  applyUsers: fc.option(fc.subarray([...USERS], { minLength: 1 }).map((a) => new Set(a)), { nil: undefined }),
  deployUsers: fc.option(fc.subarray([...USERS], { minLength: 1 }).map((a) => new Set(a)), { nil: undefined }),
  statuses: fc.option(fc.array(fc.constantFrom(1, 2, 3, 4, 5, 7), { minLength: 1, maxLength: 4 }), { nil: undefined }),
  order: fc.constantFrom<OrderColumn>("apply_timestamp", "deploy_timestamp"),
  direction: fc.constantFrom<SortDirection>("asc", "desc"),
  limit: fc.integer({ min: 1, max: 100 }),
  skip: fc.integer({ min: 0, max: 70 }),
});

/** Only the status, timestamp and paging fields: the indexed fast path without a residual filter. */
const indexOnlyQueryArb = queryArb.map((q): PackageQuery => ({ apply: {}, deploy: {}, statuses: q.statuses, order: q.order, direction: q.direction, limit: q.limit, skip: q.skip, ...(q.order === "apply_timestamp" ? { apply: q.apply } : { deploy: q.deploy }) }));

function loaded(pkgs: readonly ReleasePackage[]): WorkspaceData {
  const ws = new WorkspaceData("p", "w", "W");
  ws.add(pkgs);
  return ws;
}

function answer(ws: WorkspaceData, q: PackageQuery) {
  const page = ws.query(q);
  return { total: page.total, ids: page.data.map((p) => p.package_id) };
}

describe("indexed store", () => {
  it("answers every query like a naive filter-sort-slice", () => {
    fc.assert(fc.property(packagesArb, queryArb, (pkgs, q) => expect(answer(loaded(pkgs), q)).toEqual(reference(pkgs, q))), { numRuns: 400 });
  });

  it("answers index-only queries (counts, oldest first) like a naive filter-sort-slice", () => {
    fc.assert(fc.property(packagesArb, indexOnlyQueryArb, (pkgs, q) => expect(answer(loaded(pkgs), q)).toEqual(reference(pkgs, q))), { numRuns: 400 });
  });

  it("stays consistent after status changes, removals and replacements", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("status" as const), id: fc.integer({ min: 1, max: 60 }), status: fc.constantFrom(1, 2, 3, 5), ts: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant("remove" as const), id: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ kind: fc.constant("replace" as const), id: fc.integer({ min: 1, max: 60 }), apply: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(packagesArb, fc.array(op, { maxLength: 30 }), queryArb, (pkgs, ops, q) => {
        const ws = loaded(pkgs);
        const model = new Map(pkgs.map((p) => [p.package_id, structuredClone(p)]));
        for (const o of ops) {
          const id = String(o.id);
          const current = model.get(id);
          if (!current) continue;
          if (o.kind === "status") {
            ws.setStatus(id, o.status, o.ts, 0);
            Object.assign(current, { deploy_status: o.status, deploy_timestamp: o.ts });
          } else if (o.kind === "remove") {
            ws.remove(id);
            model.delete(id);
          } else {
            const replacement = { ...current, apply_timestamp: o.apply };
            ws.add([replacement]);
            model.set(id, replacement);
          }
        }
        expect(answer(ws, q)).toEqual(reference([...model.values()], q));
        expect(ws.size).toBe(model.size);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the last of two packages with the same id in one batch", () => {
    const ws = loaded([
      { package_id: "1", apply_timestamp: 1, deploy_status: 1, deploy_timestamp: 0 },
      { package_id: "1", apply_timestamp: 2, deploy_status: 2, deploy_timestamp: 3 },
    ]);
    expect(ws.size).toBe(1);
    expect(ws.query({ apply: {}, deploy: {}, order: "apply_timestamp", direction: "desc", limit: 10, skip: 0 })).toEqual({
      data: [{ package_id: "1", apply_timestamp: 2, deploy_status: 2, deploy_timestamp: 3 }],
      total: 1,
    });
  });

  it("refuses packages without an id or with non-integer timestamps, leaving the store unchanged", () => {
    const ws = loaded([]);
    const good: ReleasePackage = { package_id: "1", apply_timestamp: 1, deploy_status: 1, deploy_timestamp: 0 };
    for (const bad of [{ ...good, package_id: "" }, { ...good, apply_timestamp: Number.NaN }, { ...good, deploy_status: "1" }, { ...good, deploy_timestamp: 1.5 }, null]) {
      expect(() => ws.add([good, bad as ReleasePackage])).toThrow();
    }
    expect(ws.size).toBe(0);
  });
});

describe("a workspace of 100 000 packages", () => {
  const ws = loaded(
    generatePackages({ workspaceId: "w", projectId: "p", counts: { pending_review: 2_000, releasing: 500, succeeded: 95_000, failed: 2_500 }, now: NOW, seed: 7, maxAgeMs: 365 * 86_400_000 }),
  );
  const parse = (body: object, mode: "page" | "offset" = "page"): PackageQuery => {
    const r = parseQuery(Buffer.from(JSON.stringify(body)), mode);
    if (!r.ok) throw new Error(r.message);
    return r.query;
  };

  it("holds all of them", () => {
    expect(ws.size).toBe(100_000);
  });

  it("answers a limit-1 count query per status", () => {
    expect(ws.query(parse({ deploy_status_filter: [1], limit: 1 })).total).toBe(2_000);
    expect(ws.query(parse({ deploy_status_filter: [2, 3], limit: 1 })).total).toBe(97_500);
    expect(ws.query(parse({ limit: 1 })).total).toBe(100_000);
  });

  it("answers an oldest-first query with the oldest pending package", () => {
    const [oldest] = ws.query(parse({ deploy_status_filter: [1], sorted_direction: "asc", limit: 1 })).data;
    const all = ws.byApplyTime(1);
    expect(oldest).toBe(all[0]);
    expect(all.every((p) => p.apply_timestamp >= oldest!.apply_timestamp)).toBe(true);
  });

  it("answers a deep page across statuses and a windowed count by deploy time", () => {
    const deep = ws.query(parse({ limit: 100, offset: 999 }));
    expect(deep.data.map((p) => p.package_id)).toEqual(Array.from({ length: 100 }, (_, i) => String(100 - i)));
    expect(ws.query(parse({ limit: 100, offset: 1000 })).data).toHaveLength(0);
    const last = ws.query(parse({ limit: 100, offset: 99_950 }, "offset"));
    expect(last.data).toHaveLength(50);
    const day = ws.query(parse({ order_column: "deploy_timestamp", deploy_begin_time: NOW - 86_400_000, deploy_end_time: NOW, deploy_status_filter: [2], limit: 1 }));
    expect(day.total).toBeGreaterThan(0);
  });

  it("answers a residual-filter query (key_word) with an exact total", () => {
    const r = ws.query(parse({ key_word: "ods_order_detail", limit: 1 }));
    expect(r.total).toBe(ws.all().filter((p) => p.package_name!.includes("ods_order_detail")).length);
  });
});
