/** The simulator's data: projects, workspaces and their packages, and the release-package query. */
import { createHash } from "node:crypto";
import { DeployStatus, type OrderColumn, type ReleasePackage, type ReleasePackagePage, type SortDirection } from "../dataarts/model";
import { checkFault } from "./faults";
import { SortedIndex } from "./sorted-index";
import type { Fault, ScenarioProject, WorkspaceInput } from "./types";

/** Names a project, workspace or package that does not exist (control routes answer 404). */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

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

interface StatusIndexes {
  apply: SortedIndex;
  deploy: SortedIndex;
}

interface Range {
  index: SortedIndex;
  lo: number;
  hi: number;
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
    const ranges = this.ranges(q);
    const residual = residualFilter(q);
    if (!residual) {
      const total = ranges.reduce((n, r) => n + (r.hi - r.lo), 0);
      return { data: pageOf(ranges, q.direction, q.skip, q.limit), total };
    }
    return filteredPage(ranges, q, residual);
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

function fullQuery(size: number): PackageQuery {
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

export class ProjectData {
  readonly workspaces = new Map<string, WorkspaceData>();

  constructor(
    readonly projectId: string,
    readonly instanceId: string,
  ) {}

  /** The workspace flagged default, else the first one: what an absent `workspace` header means. */
  defaultWorkspace(): WorkspaceData | undefined {
    for (const ws of this.workspaces.values()) if (ws.isDefault) return ws;
    return this.workspaces.values().next().value;
  }

  addWorkspace(input: WorkspaceInput): WorkspaceData {
    if (typeof input.id !== "string" || input.id === "") throw new Error("workspace id must be a non-empty string");
    if (this.workspaces.has(input.id)) throw new Error(`workspace ${input.id} already exists in project ${this.projectId}`);
    const ws = new WorkspaceData(this.projectId, input.id, String(input.name ?? input.id), input.isDefault === true);
    ws.add(input.packages ?? []);
    ws.faults = (input.faults ?? []).map(checkFault);
    this.workspaces.set(ws.id, ws);
    return ws;
  }
}

/** A stable made-up DataArts instance id for a project that does not name one. */
export function derivedInstanceId(projectId: string): string {
  return createHash("sha256").update(`instance:${projectId}`).digest("hex").slice(0, 32);
}

export class SimStore {
  readonly projects = new Map<string, ProjectData>();

  constructor(projects: readonly ScenarioProject[]) {
    for (const p of projects) this.addProject(p);
  }

  addProject(p: ScenarioProject): ProjectData {
    if (this.projects.has(p.projectId)) throw new Error(`project ${p.projectId} appears twice`);
    const project = new ProjectData(p.projectId, p.instanceId ?? derivedInstanceId(p.projectId));
    for (const ws of p.workspaces) project.addWorkspace(ws);
    this.projects.set(p.projectId, project);
    return project;
  }

  project(projectId: string): ProjectData {
    const p = this.projects.get(projectId);
    if (!p) throw new NotFoundError(`unknown project ${projectId}`);
    return p;
  }

  workspace(projectId: string, workspaceId: string): WorkspaceData {
    const ws = this.project(projectId).workspaces.get(workspaceId);
    if (!ws) throw new NotFoundError(`unknown workspace ${workspaceId} in project ${projectId}`);
    return ws;
  }

  allWorkspaces(): WorkspaceData[] {
    return [...this.projects.values()].flatMap((p) => [...p.workspaces.values()]);
  }
}
