/** The demo's activity: each tick moves packages one step through their life, so a dashboard moves. */
import { DeployStatus } from "../dataarts/model";
import { approve, newPackage } from "./generate";
import { Rng } from "./random";
import type { SimStore } from "./store";
import type { WorkspaceData } from "./workspace-data";
import type { LifeConfig } from "./types";

const DEFAULTS: Required<LifeConfig> = {
  seed: 1,
  stuckPackageIds: [],
  applyChance: 0.5,
  reviewChance: 0.3,
  finishChance: 0.5,
  failChance: 0.15,
  maxFinishedPerWorkspace: 5000,
};

export class LifeState {
  private readonly config: Required<LifeConfig>;
  private readonly rng: Rng;
  private readonly stuck: ReadonlySet<string>;

  constructor(config: LifeConfig) {
    this.config = { ...DEFAULTS, ...config };
    this.rng = new Rng(this.config.seed);
    this.stuck = new Set(this.config.stuckPackageIds);
  }

  tick(store: SimStore, now: number): void {
    for (const ws of store.allWorkspaces()) this.advance(ws, now);
  }

  /** Oldest step first, so a package moves at most one step per tick. */
  private advance(ws: WorkspaceData, now: number): void {
    this.finishReleases(ws, now);
    this.review(ws, now);
    if (this.rng.chance(this.config.applyChance)) {
      ws.add([newPackage(this.rng, { projectId: ws.projectId, workspaceId: ws.id, packageId: ws.nextPackageId() }, now)]);
    }
    this.prune(ws);
  }

  private finishReleases(ws: WorkspaceData, now: number): void {
    for (const p of ws.byApplyTime(DeployStatus.releasing)) {
      if (!this.rng.chance(this.config.finishChance)) continue;
      const status = this.rng.chance(this.config.failChance) ? DeployStatus.failed : DeployStatus.succeeded;
      ws.setStatus(p.package_id, status, Math.max(now, p.apply_timestamp), now);
    }
  }

  private review(ws: WorkspaceData, now: number): void {
    for (const p of ws.byApplyTime(DeployStatus.pendingReview)) {
      if (this.stuck.has(p.package_id) || !this.rng.chance(this.config.reviewChance)) continue;
      ws.update(p.package_id, (pkg) => approve(this.rng, pkg, DeployStatus.releasing, Math.max(now, pkg.apply_timestamp)));
    }
  }

  /** Drops the oldest finished packages beyond the cap, so a demo left running for days stays small. */
  private prune(ws: WorkspaceData): void {
    if (ws.size <= this.config.maxFinishedPerWorkspace) return;
    const finished = [...ws.byApplyTime(DeployStatus.succeeded), ...ws.byApplyTime(DeployStatus.failed)];
    const excess = finished.length - this.config.maxFinishedPerWorkspace;
    if (excess <= 0) return;
    finished.sort((a, b) => a.apply_timestamp - b.apply_timestamp);
    for (const p of finished.slice(0, excess)) ws.remove(p.package_id);
  }
}
