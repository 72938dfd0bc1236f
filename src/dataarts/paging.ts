/** Paging through release packages, learning once per project how the service reads `offset`. */
import { DataArtsClient } from "./client";
import { MAX_LIMIT, ReleasePackage, ReleasePackageQuery } from "./model";

/** 100 000 packages at 100 a page: far beyond any burst, and a bound on a service answering nonsense. */
export const MAX_PAGES = 1_000;

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
    // Returns whether the page brought anything new: a service that ignores offset must not loop us.
    const add = (pkgs: ReleasePackage[]) => {
      const before = found.size;
      for (const p of pkgs) if (found.size < target && !found.has(p.package_id)) found.set(p.package_id, p);
      return found.size > before;
    };
    add(first.data);
    const done = () => ({ packages: [...found.values()], total: first.total });
    if (found.size >= target || first.data.length === 0) return done();

    let pageIndex = 1;
    let recordOffset = first.data.length;
    if (this.reading === undefined && first.data.length >= 2) {
      // Asking for offset 1 is page 1 under the page reading (the next page anyway) and
      // records 1.. under the record reading. Any overlap with the first page means the
      // latter, even if a package left the list in between.
      const probe = await query(1);
      const firstIds = new Set(first.data.slice(1).map((p) => p.package_id));
      this.reading = probe.data.some((p) => firstIds.has(p.package_id)) ? "offset" : "page";
      if (!add(probe.data) && probe.data.length === 0) return done();
      pageIndex = 2;
      recordOffset = 1 + probe.data.length;
    }
    // Stop at total; and whatever total says, after a bounded number of pages.
    const maxPages = Math.min(Math.ceil(target / Math.max(1, first.data.length)) + 2, MAX_PAGES);
    for (let pages = 0; found.size < target && pages < maxPages; pages++) {
      const page = await query(this.reading === "offset" ? recordOffset : pageIndex);
      if (!add(page.data)) break;
      pageIndex += 1;
      recordOffset += page.data.length;
    }
    return done();
  }
}
