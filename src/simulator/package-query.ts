/** The release-package query over a workspace's sorted indexes: filters, k-way merge, rank-based deep pages. */
import type { OrderColumn, ReleasePackage, ReleasePackagePage, SortDirection } from "../dataarts/model";
import type { SortedIndex } from "./sorted-index";

export interface TimeRange {
  begin?: number;
  end?: number;
}

/** A validated release-package query (see query.ts for how a request body becomes one). */
export interface PackageQuery {
  keyWord?: string;
  applyUserName?: string;
  deployUserName?: string;
  apply: TimeRange;
  deploy: TimeRange;
  applyUsers?: ReadonlySet<string>;
  deployUsers?: ReadonlySet<string>;
  statuses?: readonly number[];
  order: OrderColumn;
  direction: SortDirection;
  limit: number;
  /** Records to skip, already computed from `offset` and the offset mode. */
  skip: number;
}

/** The part of one status's index a query's time window covers. */
export interface Range {
  index: SortedIndex;
  lo: number;
  hi: number;
}

/** The page `q` asks for from the union of `ranges` (one per status). */
export function queryRanges(ranges: readonly Range[], q: PackageQuery): ReleasePackagePage {
  const residual = residualFilter(q);
  if (!residual) {
    const total = ranges.reduce((n, r) => n + (r.hi - r.lo), 0);
    return { data: pageOf(ranges, q.direction, q.skip, q.limit), total };
  }
  return filteredPage(ranges, q, residual);
}

/** Every package of a workspace, newest applied first. */
export function fullQuery(size: number): PackageQuery {
  return { apply: {}, deploy: {}, order: "apply_timestamp", direction: "desc", limit: size, skip: 0 };
}

function inRange(ts: number, r: TimeRange): boolean {
  return (r.begin === undefined || ts >= r.begin) && (r.end === undefined || ts <= r.end);
}

/** The filters the index bounds do not already apply, or undefined when there are none (the fast path). */
function residualFilter(q: PackageQuery): ((p: ReleasePackage) => boolean) | undefined {
  const checks: Array<(p: ReleasePackage) => boolean> = [];
  if (q.keyWord !== undefined) {
    const kw = q.keyWord.toLowerCase();
    checks.push((p) => (p.package_name ?? "").toLowerCase().includes(kw));
  }
  if (q.applyUserName !== undefined) checks.push((p) => p.apply_user_name === q.applyUserName);
  if (q.deployUserName !== undefined) checks.push((p) => p.deploy_user_name === q.deployUserName);
  const applyUsers = q.applyUsers;
  if (applyUsers) checks.push((p) => applyUsers.has(p.apply_user_name ?? ""));
  const deployUsers = q.deployUsers;
  if (deployUsers) checks.push((p) => deployUsers.has(p.deploy_user_name ?? ""));
  const other = q.order === "apply_timestamp" ? q.deploy : q.apply;
  const otherColumn: OrderColumn = q.order === "apply_timestamp" ? "deploy_timestamp" : "apply_timestamp";
  if (other.begin !== undefined || other.end !== undefined) checks.push((p) => inRange(p[otherColumn] ?? 0, other));
  if (checks.length === 0) return undefined;
  return (p) => checks.every((c) => c(p));
}

/**
 * Visits the union of the ranges in sort order (a k-way merge over one index per status),
 * from `start` cursors (default: the first element in that direction) until `visit` returns false.
 */
function walk(ranges: readonly Range[], direction: SortDirection, visit: (p: ReleasePackage) => boolean, start?: number[]): void {
  if (ranges.length === 0) return;
  const compare = ranges[0]!.index.compare.bind(ranges[0]!.index);
  const asc = direction === "asc";
  const cursors = start ?? ranges.map((r) => (asc ? r.lo : r.hi - 1));
  for (;;) {
    let best = -1;
    let bestPkg: ReleasePackage | undefined;
    for (let k = 0; k < ranges.length; k++) {
      const r = ranges[k]!;
      const c = cursors[k]!;
      if (asc ? c >= r.hi : c < r.lo) continue;
      const p = r.index.at(c);
      if (!bestPkg || (asc ? compare(p, bestPkg) < 0 : compare(p, bestPkg) > 0)) {
        best = k;
        bestPkg = p;
      }
    }
    if (!bestPkg) return;
    cursors[best] = cursors[best]! + (asc ? 1 : -1);
    if (!visit(bestPkg)) return;
  }
}

/** Position of the first element of `r` not before `x` in sort order. */
function firstNotBefore(r: Range, x: ReleasePackage): number {
  let lo = r.lo;
  let hi = r.hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (r.index.compare(r.index.at(mid), x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many elements of the union sort before `x`. */
function rankOf(ranges: readonly Range[], x: ReleasePackage): number {
  return ranges.reduce((n, r) => n + (firstNotBefore(r, x) - r.lo), 0);
}

/**
 * The element of the union with ascending rank `rank`: per range, a binary search on its
 * elements' ranks (O(k² log² n)), so a deep page never walks the records it skips.
 */
function elementOfRank(ranges: readonly Range[], rank: number): ReleasePackage | undefined {
  for (const r of ranges) {
    let lo = r.lo;
    let hi = r.hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const midRank = rankOf(ranges, r.index.at(mid));
      if (midRank === rank) return r.index.at(mid);
      if (midRank < rank) lo = mid + 1;
      else hi = mid;
    }
  }
  return undefined;
}

/** Cursors positioned on the element `skip` places from the start in `direction` (skip < total). */
function cursorsAfterSkip(ranges: readonly Range[], direction: SortDirection, skip: number, total: number): number[] {
  const x = elementOfRank(ranges, direction === "asc" ? skip : total - 1 - skip)!;
  return ranges.map((r) => {
    const i = firstNotBefore(r, x);
    if (direction === "asc") return i;
    return i < r.hi && r.index.at(i) === x ? i : i - 1;
  });
}

function pageOf(ranges: readonly Range[], direction: SortDirection, skip: number, limit: number): ReleasePackage[] {
  const total = ranges.reduce((n, r) => n + (r.hi - r.lo), 0);
  if (skip >= total) return [];
  if (ranges.length === 1) return sliceOne(ranges[0]!, direction, skip, limit);
  const out: ReleasePackage[] = [];
  const start = skip === 0 ? undefined : cursorsAfterSkip(ranges, direction, skip, total);
  walk(ranges, direction, (p) => out.push(p) < limit, start);
  return out;
}

/** One status: the page is a direct slice, however deep the offset. */
function sliceOne(r: Range, direction: SortDirection, skip: number, limit: number): ReleasePackage[] {
  const out: ReleasePackage[] = [];
  if (direction === "asc") {
    for (let i = r.lo + skip; i < r.hi && out.length < limit; i++) out.push(r.index.at(i));
  } else {
    for (let i = r.hi - 1 - skip; i >= r.lo && out.length < limit; i--) out.push(r.index.at(i));
  }
  return out;
}

function filteredPage(ranges: readonly Range[], q: PackageQuery, keep: (p: ReleasePackage) => boolean): ReleasePackagePage {
  const data: ReleasePackage[] = [];
  let total = 0;
  walk(ranges, q.direction, (p) => {
    if (!keep(p)) return true;
    if (total >= q.skip && data.length < q.limit) data.push(p);
    total++;
    return true;
  });
  return { data, total };
}
