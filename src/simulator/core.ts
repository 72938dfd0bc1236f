/** The state one simulator instance shares between its routes and its control interface. */
import { TokenRegistry } from "./auth";
import type { OffsetMode } from "./query";
import { SimStore } from "./store";
import type { RequestCounts, SimulatorOptions } from "./types";
import { LifeState } from "./life";

export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

export class Counters {
  iam = 0;
  workspaces = 0;
  rejected = 0;
  private readonly perWorkspace = new Map<string, number>();

  hitWorkspace(projectId: string, workspaceId: string): void {
    const key = `${projectId}/${workspaceId}`;
    this.perWorkspace.set(key, (this.perWorkspace.get(key) ?? 0) + 1);
  }

  /** Every current workspace appears, with 0 when it had no requests. */
  snapshot(store: SimStore): RequestCounts {
    const out: RequestCounts = { iam: this.iam, workspaces: this.workspaces, rejected: this.rejected };
    for (const ws of store.allWorkspaces()) out[`${ws.projectId}/${ws.id}`] = 0;
    for (const [key, n] of this.perWorkspace) out[key] = n;
    return out;
  }

  reset(): void {
    this.iam = 0;
    this.workspaces = 0;
    this.rejected = 0;
    this.perWorkspace.clear();
  }
}

export class SimCore {
  readonly store: SimStore;
  readonly tokens = new TokenRegistry();
  readonly counts = new Counters();
  readonly clock: () => number;
  readonly offsetMode: OffsetMode;
  readonly tokenTtlMs: number;
  readonly clockOffsetMs: number;
  readonly life: LifeState;

  constructor(opts: SimulatorOptions) {
    const scenario = structuredClone(opts.scenario);
    this.store = new SimStore(scenario.projects);
    this.clock = opts.clock ?? Date.now;
    this.offsetMode = opts.offsetMode ?? "page";
    this.tokenTtlMs = opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
    if (!Number.isSafeInteger(this.clockOffsetMs)) throw new Error("clockOffsetMs must be a whole number of milliseconds");
    this.life = new LifeState(scenario.life ?? {});
    if (this.offsetMode !== "page" && this.offsetMode !== "offset") throw new Error(`offsetMode must be "page" or "offset"`);
    if (!(this.tokenTtlMs > 0)) throw new Error("tokenTtlMs must be positive");
  }

  /** The service's time: the injected clock plus the configured offset. */
  now(): number {
    return this.clock() + this.clockOffsetMs;
  }
}
