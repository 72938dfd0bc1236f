import { DataArtsClient } from "../../../src/dataarts/client";
import { ReleasePackage, ReleasePackagePage, ReleasePackageQuery } from "../../../src/dataarts/model";
import { ReleasePackagePager } from "../../../src/dataarts/paging";
import { MAX_PAGES } from "../../../src/dataarts/page-walk";

/**
 * Services that misbehave in ways the simulator does not: each answers one query
 * from `rows` as it stands when asked.
 */
type Service = (q: ReleasePackageQuery, call: number) => ReleasePackagePage;

function pkg(n: number): ReleasePackage {
  return { package_id: String(n), apply_timestamp: n, deploy_status: 1, deploy_timestamp: 0 };
}

function clientOf(service: Service): { client: DataArtsClient; calls: () => number } {
  let calls = 0;
  const client = { queryReleasePackages: async (_ws: string, q: ReleasePackageQuery) => service(q, calls++) };
  return { client: client as unknown as DataArtsClient, calls: () => calls };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => pkg(i));
const byRecord = (all: () => ReleasePackage[], cap = Infinity): Service => (q) => {
  const limit = Math.min(q.limit ?? 10, cap);
  return { data: all().slice(q.offset ?? 0, (q.offset ?? 0) + limit), total: all().length };
};
const byPage = (all: ReleasePackage[], cap = Infinity): Service => (q) => {
  const limit = Math.min(q.limit ?? 10, cap);
  return { data: all.slice((q.offset ?? 0) * limit, (q.offset ?? 0) * limit + limit), total: all.length };
};

describe("the pager against misbehaving services", () => {
  it("stops when a service ignores offset instead of asking for the same page for ever", async () => {
    const all = rows(500);
    const { client, calls } = clientOf((q) => ({ data: all.slice(0, q.limit), total: all.length }));
    const result = await new ReleasePackagePager(client, "page").all("ws", { limit: 100 });
    expect(result.packages).toHaveLength(100);
    expect(calls()).toBe(2);
  });

  it("stops after a bounded number of pages whatever total claims", async () => {
    let n = 0;
    const { client, calls } = clientOf((q) => ({ data: Array.from({ length: q.limit ?? 10 }, () => pkg(n++)), total: 1e12 }));
    await new ReleasePackagePager(client, "page").all("ws", { limit: 100 });
    expect(calls()).toBeLessThanOrEqual(MAX_PAGES + 2);
  });

  it("detects the record reading even when the oldest package leaves the list between the first page and the probe", async () => {
    let all = rows(250);
    const { client } = clientOf((q, call) => {
      if (call === 1) all = all.slice(1);
      return byRecord(() => all)(q, call);
    });
    const pager = new ReleasePackagePager(client, "auto");
    const result = await pager.all("ws", { limit: 100 });
    expect(pager.detectedReading).toBe("offset");
    expect(result.packages.length).toBeGreaterThanOrEqual(249);
  });

  it.each([
    ["record", (all: ReleasePackage[]) => byRecord(() => all, 20), "offset"],
    ["page", (all: ReleasePackage[]) => byPage(all, 20), "page"],
  ] as const)("loses nothing when a service reading offset as a %s serves smaller pages than asked", async (_what, make, mode) => {
    const all = rows(130);
    const { client } = clientOf(make(all));
    const result = await new ReleasePackagePager(client, mode).all("ws", { limit: 100 });
    expect(new Set(result.packages.map((p) => p.package_id)).size).toBe(130);
  });
});
