import { DataArtsClient } from "./client";
import { MAX_LIMIT, ReleasePackage, ReleasePackageQuery } from "./model";

/** How the service reads `offset` in the release-packages query. */
export type OffsetReading = "page" | "offset";

export interface PagedResult {
  packages: ReleasePackage[];
  /** The service's `total` for the filter, from the first page. */
  total: number;
}

/**
 * Walks every page of a release-packages query, deduplicating by `package_id`.
 * Under `auto` it learns once how the service reads `offset` and remembers it.
 */
export class ReleasePackagePager {
  private reading?: OffsetReading;

  constructor(
    private readonly client: DataArtsClient,
    mode: OffsetReading | "auto",
  ) {
    if (mode !== "auto") this.reading = mode;
  }

  get detectedReading(): OffsetReading | undefined {
    return this.reading;
  }

  /** All matching packages (at most `max`), in the order the service returned them. */
  async all(workspaceId: string, filter: ReleasePackageQuery, max = Infinity): Promise<PagedResult> {
    const pageSize = Math.min(filter.limit ?? MAX_LIMIT, MAX_LIMIT);
    const query = (offset: number) => this.client.queryReleasePackages(workspaceId, { ...filter, limit: pageSize, offset });
    const first = await query(0);
    const found = new Map<string, ReleasePackage>();
    const target = Math.min(first.total, max);
    const add = (pkgs: ReleasePackage[]) => {
      for (const p of pkgs) if (found.size < target && !found.has(p.package_id)) found.set(p.package_id, p);
    };
    add(first.data);
    if (found.size >= target || first.data.length < pageSize) return { packages: [...found.values()], total: first.total };

    let pageIndex = 1;
    let recordOffset = first.data.length;
    if (this.reading === undefined && pageSize >= 2) {
      // Asking for offset 1 is page 1 under the page reading (the next page anyway) and
      // records 1.. under the record reading; which one came back tells the reading.
      const probe = await query(1);
      this.reading = probe.data.some((p) => p.package_id === first.data[1]?.package_id) ? "offset" : "page";
      add(probe.data);
      if (probe.data.length === 0) return { packages: [...found.values()], total: first.total };
      pageIndex = 2;
      recordOffset = 1 + probe.data.length;
    }
    const maxPages = Math.ceil(first.total / pageSize) + 2;
    for (let pages = 0; found.size < target && pages < maxPages; pages++) {
      const page = await query(this.reading === "offset" ? recordOffset : pageIndex);
      add(page.data);
      if (page.data.length === 0) break;
      pageIndex += 1;
      recordOffset += page.data.length;
    }
    return { packages: [...found.values()], total: first.total };
  }
}
