/** One simulated workspace: its packages, indexed by status and time, validated on the way in, and its fault queue. */
import { DeployStatus, type ReleasePackage, type ReleasePackagePage } from "../dataarts/model";
import { type PackageQuery, type Range, fullQuery, queryRanges } from "./package-query";
import { SortedIndex } from "./sorted-index";
import type { Fault } from "./types";

/** Names a project, workspace or package that does not exist (control routes answer 404). */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

interface StatusIndexes {
  apply: SortedIndex;
  deploy: SortedIndex;
}

/** Throws unless `p` has the fields the indexes and filters rely on, so bad input cannot corrupt them. */
export function checkPackage(p: unknown): asserts p is ReleasePackage {
  const o = p as Partial<ReleasePackage> | null;
  if (typeof o !== "object" || o === null) throw new Error("a package must be an object");
  if (typeof o.package_id !== "string" || o.package_id === "") throw new Error("package_id must be a non-empty string");
  if (!Number.isSafeInteger(o.apply_timestamp)) throw new Error(`package ${o.package_id}: apply_timestamp must be an integer`);
  if (!Number.isSafeInteger(o.deploy_status)) throw new Error(`package ${o.package_id}: deploy_status must be an integer`);
  if (o.deploy_timestamp !== undefined && !Number.isSafeInteger(o.deploy_timestamp)) {
    throw new Error(`package ${o.package_id}: deploy_timestamp must be an integer`);
  }
}

/** The store's own copy; cheaper than structuredClone, which dominated loading 100k packages. */
function copyPackage(p: ReleasePackage): ReleasePackage {
  const copy = { ...p };
  if (Array.isArray(p.package_approvers)) copy.package_approvers = p.package_approvers.map((a) => ({ ...a }));
  return copy;
}

export class WorkspaceData {
  name: string;
  isDefault: boolean;
  /** Queue of faults; the first one answers the next request. */
  faults: Fault[] = [];
  private readonly byId = new Map<string, ReleasePackage>();
  private readonly byStatus = new Map<number, StatusIndexes>();
  private maxNumericId = 0;

  constructor(
    readonly projectId: string,
    readonly id: string,
    name: string,
    isDefault = false,
  ) {
    this.name = name;
    this.isDefault = isDefault;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Next free numeric package id, as the service numbers them ("1", "2", ...). */
  nextPackageId(): string {
    return String(this.maxNumericId + 1);
  }

  /** Copies in the packages; an existing package_id is replaced (within one batch, the last one wins). */
  add(pkgs: readonly ReleasePackage[]): void {
    pkgs.forEach(checkPackage);
    const batch = new Map<string, ReleasePackage>();
    for (const p of pkgs) batch.set(p.package_id, p);
    const fresh: ReleasePackage[] = [];
    for (const p of batch.values()) {
      this.remove(p.package_id);
      const copy = copyPackage(p);
      copy.deploy_timestamp ??= 0;
      this.byId.set(copy.package_id, copy);
      fresh.push(copy);
      const n = Number(copy.package_id);
      if (Number.isSafeInteger(n) && n > this.maxNumericId) this.maxNumericId = n;
    }
    this.indexMany(fresh);
  }

  remove(packageId: string): boolean {
    const p = this.byId.get(packageId);
    if (!p) return false;
    this.unindex(p);
    this.byId.delete(packageId);
    return true;
  }

  /** Moves a package to `status`; a package leaving "pending review" gets a deploy time. */
  setStatus(packageId: string, status: number, deployTimestamp: number | undefined, now: number): void {
    if (!Number.isSafeInteger(status)) throw new Error("status must be an integer");
    if (deployTimestamp !== undefined && !Number.isSafeInteger(deployTimestamp)) throw new Error("deployTimestamp must be an integer");
    const p = this.byId.get(packageId);
    if (!p) throw new NotFoundError(`unknown package ${packageId} in workspace ${this.id}`);
    this.unindex(p);
    p.deploy_status = status;
    if (deployTimestamp !== undefined) p.deploy_timestamp = deployTimestamp;
    else if (status !== DeployStatus.pendingReview) p.deploy_timestamp = now;
    this.index(p);
  }

  /** Applies `change` to a stored package while keeping the indexes right. */
  update(packageId: string, change: (p: ReleasePackage) => void): void {
    const p = this.byId.get(packageId);
    if (!p) throw new NotFoundError(`unknown package ${packageId} in workspace ${this.id}`);
    this.unindex(p);
    try {
      change(p);
    } finally {
      this.index(p);
    }
  }

  /** Packages of one status, oldest applied first: a new array of the stored objects (change them only through update). */
  byApplyTime(status: number): readonly ReleasePackage[] {
    const idx = this.byStatus.get(status)?.apply;
    if (!idx) return [];
    const out: ReleasePackage[] = [];
    for (let i = 0; i < idx.size; i++) out.push(idx.at(i));
    return out;
  }

  /** Every package, newest applied first. */
  all(): ReleasePackage[] {
    return this.query(fullQuery(this.size)).data;
  }

  query(q: PackageQuery): ReleasePackagePage {
    return queryRanges(this.ranges(q), q);
  }

  private ranges(q: PackageQuery): Range[] {
    const statuses = q.statuses ? [...new Set(q.statuses)] : [...this.byStatus.keys()];
    const window = q.order === "apply_timestamp" ? q.apply : q.deploy;
    const ranges: Range[] = [];
    for (const s of statuses) {
      const indexes = this.byStatus.get(s);
      if (!indexes) continue;
      const index = q.order === "apply_timestamp" ? indexes.apply : indexes.deploy;
      const lo = window.begin === undefined ? 0 : index.lowerBound(window.begin);
      const hi = window.end === undefined ? index.size : index.upperBound(window.end);
      if (hi > lo) ranges.push({ index, lo, hi });
    }
    return ranges;
  }

  private indexesFor(status: number): StatusIndexes {
    let indexes = this.byStatus.get(status);
    if (!indexes) {
      indexes = { apply: new SortedIndex("apply_timestamp"), deploy: new SortedIndex("deploy_timestamp") };
      this.byStatus.set(status, indexes);
    }
    return indexes;
  }

  private index(p: ReleasePackage): void {
    const indexes = this.indexesFor(p.deploy_status);
    indexes.apply.insert(p);
    indexes.deploy.insert(p);
  }

  private indexMany(pkgs: readonly ReleasePackage[]): void {
    const groups = new Map<number, ReleasePackage[]>();
    for (const p of pkgs) {
      const g = groups.get(p.deploy_status);
      if (g) g.push(p);
      else groups.set(p.deploy_status, [p]);
    }
    for (const [status, group] of groups) {
      const indexes = this.indexesFor(status);
      indexes.apply.insertMany(group);
      indexes.deploy.insertMany(group);
    }
  }

  private unindex(p: ReleasePackage): void {
    const indexes = this.byStatus.get(p.deploy_status);
    if (!indexes) return;
    indexes.apply.remove(p);
    indexes.deploy.remove(p);
    if (indexes.apply.size === 0) this.byStatus.delete(p.deploy_status);
  }
}
