/** Packages kept sorted per timestamp column, for counts over time ranges and pages from either end. */
import type { OrderColumn, ReleasePackage } from "../dataarts/model";

/**
 * Packages kept sorted ascending by (column timestamp, package_id), so that a count over a
 * time range is two binary searches and a page is a walk from either end. The id tie-break
 * makes paging stable when many packages share a timestamp.
 *
 * The caller must remove a package before changing its timestamp or id, and re-insert it after.
 */
export class SortedIndex {
  private items: ReleasePackage[] = [];

  constructor(readonly column: OrderColumn) {}

  get size(): number {
    return this.items.length;
  }

  at(i: number): ReleasePackage {
    return this.items[i]!;
  }

  insert(pkg: ReleasePackage): void {
    this.items.splice(this.lowerBoundKey(pkg), 0, pkg);
  }

  /** Adds many at once: one sort instead of many splices (bulk loads of 100k packages). */
  insertMany(pkgs: readonly ReleasePackage[]): void {
    if (pkgs.length < 64) {
      for (const p of pkgs) this.insert(p);
      return;
    }
    this.items = this.items.concat(pkgs);
    this.items.sort((a, b) => this.compare(a, b));
  }

  remove(pkg: ReleasePackage): boolean {
    const i = this.lowerBoundKey(pkg);
    if (this.items[i] !== pkg) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** First position whose timestamp is >= ts. */
  lowerBound(ts: number): number {
    return this.search((p) => this.ts(p) < ts);
  }

  /** First position whose timestamp is > ts. */
  upperBound(ts: number): number {
    return this.search((p) => this.ts(p) <= ts);
  }

  ts(pkg: ReleasePackage): number {
    return pkg[this.column] ?? 0;
  }

  compare(a: ReleasePackage, b: ReleasePackage): number {
    const d = this.ts(a) - this.ts(b);
    if (d !== 0) return d;
    return a.package_id < b.package_id ? -1 : a.package_id > b.package_id ? 1 : 0;
  }

  private lowerBoundKey(pkg: ReleasePackage): number {
    return this.search((p) => this.compare(p, pkg) < 0);
  }

  /** First position where `before` turns false (it must be true then false along the array). */
  private search(before: (p: ReleasePackage) => boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
