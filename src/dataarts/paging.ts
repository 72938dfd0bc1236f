/** Paging through release packages, learning once per project how the service reads `offset`. */
import { DataArtsClient } from "./client";
import { MAX_LIMIT, ReleasePackage, ReleasePackageQuery } from "./model";
import { PageCollector, walkPages } from "./page-walk";

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
    const found = new PageCollector<ReleasePackage>((p) => p.package_id, Math.min(first.total, max));
    found.add(first.data);
    const done = () => ({ packages: found.items(), total: first.total });
    if (found.full || first.data.length === 0) return done();

    let pageIndex = 1;
    let recordOffset = first.data.length;
    if (this.reading === undefined && first.data.length >= 2) {
      // Asking for offset 1 is page 1 under the page reading (the next page anyway) and
      // records 1.. under the record reading. Any overlap with the first page means the
      // latter, even if a package left the list in between.
      const probe = await query(1);
      const firstIds = new Set(first.data.slice(1).map((p) => p.package_id));
      this.reading = probe.data.some((p) => firstIds.has(p.package_id)) ? "offset" : "page";
      if (!found.add(probe.data) && probe.data.length === 0) return done();
      pageIndex = 2;
      recordOffset = 1 + probe.data.length;
    }
    if (found.full) return done();
    // Stop at total; and whatever total says, after a bounded number of pages.
    await walkPages(async () => {
      const page = await query(this.reading === "offset" ? recordOffset : pageIndex);
      if (!found.add(page.data)) return false;
      pageIndex += 1;
      recordOffset += page.data.length;
      return !found.full;
    }, Math.ceil(found.target / Math.max(1, first.data.length)) + 2);
    return done();
  }
}
