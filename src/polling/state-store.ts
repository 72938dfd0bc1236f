/** Keeps workspaces' accounting in the state file: what a start restores, what a poll round writes, what is pruned. */
import type { Logger } from "pino";
import { join } from "node:path";
import { Accounting, ResetReason, WorkspaceKey, WorkspaceState, accountingOf, initialState, resumedState } from "./state";
import { inShard } from "./shard";
import { Loaded, StoredWorkspace, encodeState, loadStateFile, missingReason, stateFileName, writeFileAtomic } from "./state-file";

export interface StateStoreOptions {
  dir: string;
  shard: { ordinal: number; total: number };
  logger: Logger;
  now: () => number;
}

/** Where states come from and go to; without --storage.path every workspace starts from a baseline. */
export interface StateKeeper {
  /** The state a workspace starts from when it (re)appears. */
  start(id: string, key: WorkspaceKey, catchUpLimitMs: number): WorkspaceState;
  /** A workspace that is no longer polled: kept for `stale_after` in case it comes back. */
  retire(id: string, state: WorkspaceState): void;
  /** Writes the live states, at most once per `minIntervalMs` unless `force`; `stopping` marks the last write of a clean stop. */
  save(live: () => ReadonlyMap<string, WorkspaceState>, staleAfterMs: number, minIntervalMs: number, force?: boolean, stopping?: boolean): void;
  info(): { lastWriteSuccessMs?: number; writeErrors: number } | undefined;
}

export const inMemory: StateKeeper = {
  start: (_id, key) => initialState(key),
  retire: () => {},
  save: () => {},
  info: () => undefined,
};

export class StateStore implements StateKeeper {
  readonly path: string;
  private readonly dormant = new Map<string, StoredWorkspace>();
  private readonly reason: ResetReason;
  /** The file was not written by a clean stop: counts shown before a crash may be beyond it. */
  private readonly crashed: boolean;
  private lastWriteMs?: number;
  private lastWriteSuccessMs?: number;
  private writeErrors = 0;

  constructor(private readonly opts: StateStoreOptions) {
    this.path = join(opts.dir, stateFileName(opts.shard));
    const loadedAt = opts.now();
    const loaded = loadStateFile(this.path, loadedAt);
    this.reason = missingReason(loaded);
    this.report(loaded);
    this.crashed = loaded.kind === "loaded" && !loaded.stopped;
    if (loaded.kind !== "loaded") return;
    // Pruning counts from this start: this process cannot know how long a workspace was gone before it.
    // A workspace that now belongs to another shard is dropped: were it kept, a change of --total-shards
    // and back within stale_after would resume its old window here and count again what the other shard counted.
    for (const w of loaded.workspaces) {
      if (this.ownShard(w.id)) this.dormant.set(w.id, { ...w, lastSeenMs: Math.max(w.lastSeenMs, loadedAt) });
    }
  }

  start(id: string, key: WorkspaceKey, catchUpLimitMs: number): WorkspaceState {
    const stored = this.dormant.get(id);
    this.dormant.delete(id);
    const state = resumedState(key, stored?.accounting, this.reason, this.opts.now(), catchUpLimitMs);
    // After a crash the file may be behind what was shown: a scrape of the older values would look like a
    // counter reset, and increase() would count the whole value again. The first poll catches up first.
    return stored && this.crashed ? { ...state, countersHeld: true } : state;
  }

  retire(id: string, state: WorkspaceState): void {
    this.dormant.set(id, { id, accounting: accountingOf(state), lastSeenMs: this.opts.now() });
  }

  save(live: () => ReadonlyMap<string, WorkspaceState>, staleAfterMs: number, minIntervalMs: number, force = false, stopping = false): void {
    const now = this.opts.now();
    if (!force && this.lastWriteMs !== undefined && now - this.lastWriteMs < minIntervalMs) return;
    this.lastWriteMs = now;
    for (const [id, w] of this.dormant) if (now - w.lastSeenMs >= staleAfterMs) this.dormant.delete(id);
    const entries: StoredWorkspace[] = [...this.dormant.values()];
    for (const [id, state] of live()) entries.push({ id, accounting: accountingOf(state), lastSeenMs: now });
    try {
      writeFileAtomic(this.path, this.opts.dir, encodeState(entries, now, stopping));
      this.lastWriteSuccessMs = now;
    } catch (err) {
      this.writeErrors += 1;
      const e = err as NodeJS.ErrnoException;
      this.opts.logger.error({ path: this.path, err: e.code ?? e.message }, "state file write failed; the previous file stays");
    }
  }

  info() {
    return { lastWriteSuccessMs: this.lastWriteSuccessMs, writeErrors: this.writeErrors };
  }

  private ownShard(id: string): boolean {
    const slash = id.indexOf("/");
    return this.opts.shard.total <= 1 || (slash > 0 && inShard(this.opts.shard, id.slice(0, slash), id.slice(slash + 1)));
  }

  private report(loaded: Loaded): void {
    const { logger } = this.opts;
    if (loaded.kind === "loaded") logger.info({ path: this.path, workspaces: loaded.workspaces.length }, "state file loaded");
    else if (loaded.kind === "missing") logger.info({ path: this.path }, "no state file yet; every workspace starts from a new baseline");
    else if (loaded.movedTo) {
      logger.warn({ path: this.path, problem: loaded.problem, moved_to: loaded.movedTo }, "state file unreadable; moved aside, starting fresh");
    } else {
      logger.warn({ path: this.path, problem: loaded.problem, move_error: loaded.moveError }, "state file unreadable and could not be moved aside; starting fresh");
    }
  }
}
