/** A workspace's state across polls: pure transitions, failures counted once. */
import { ERROR_REASONS, ErrorReason } from "../dataarts/api-error";
import type { ExtraLabels } from "../config/labels";

export const STATUSES = ["pending_review", "succeeded", "failed", "releasing"] as const;
export type StatusLabel = (typeof STATUSES)[number];

/** Who a workspace is, as its labels say. */
export interface WorkspaceKey {
  projectId: string;
  workspaceId: string;
  /** The configured or discovered name; the id when unnamed. */
  name: string;
  region: string;
  /** The config's extra labels (`labels`), merged and in name order; none when absent. */
  labels?: ExtraLabels;
}

export interface ReleasingPackage {
  id: string;
  startMs: number;
}

export interface PendingPackage {
  id: string;
  name: string;
  applicant: string;
  applyMs: number;
}

/** What a poll learned that the metrics show; kept until polls have failed for `stale_after`. */
export interface WorkspaceData {
  counts: Record<StatusLabel, number>;
  oldestPendingApplyMs?: number;
  oldestReleasingStartMs?: number;
  lastFailureMs?: number;
  /** Oldest first; only with per-package series, at most `package_series_limit`. */
  pending: PendingPackage[];
}

/** What one successful poll learned: the data to show, and what the next poll and the failure count need. */
export interface Snapshot {
  data: WorkspaceData;
  /** Failed packages whose `deploy_timestamp` is in this poll's failure window. */
  recentFailures: Array<{ id: string; deployMs: number }>;
  /** Seen failures older than this can never be queried again, so they may be forgotten. */
  failureRetainFromMs: number;
  /** Releases running now, as far as one page lists them (oldest first). */
  releasing: ReleasingPackage[];
}

/** Remembers which failures were seen, so each counts once. */
export interface FailureTracker {
  baselined: boolean;
  /** `package_id@deploy_timestamp` → deploy timestamp: a package released again and failing again is a new failure. */
  seen: ReadonlyMap<string, number>;
}

export interface WorkspaceState {
  key: WorkspaceKey;
  up: boolean;
  lastSuccessMs?: number;
  lastDurationSeconds?: number;
  /** Start of the current run of failed polls. */
  failingSinceMs?: number;
  /** The last successful poll's data; dropped once polls have failed for `stale_after`. */
  data?: WorkspaceData;
  failuresTotal: number;
  errors: Record<ErrorReason, number>;
  tracker: FailureTracker;
  /** The last successful poll's start and the releases it saw running: the next failure window starts there. */
  previous?: { startedMs: number; releasing: ReleasingPackage[] };
}

export interface PollTiming {
  startedMs: number;
  endedMs: number;
}

export function initialState(key: WorkspaceKey): WorkspaceState {
  const errors = Object.fromEntries(ERROR_REASONS.map((r) => [r, 0])) as Record<ErrorReason, number>;
  return { key, up: false, failuresTotal: 0, errors, tracker: { baselined: false, seen: new Map() } };
}

/**
 * Counts the failures in `recent` not seen before. The first poll is the baseline:
 * what had already failed when the exporter started is not a new failure.
 */
export function trackFailures(
  tracker: FailureTracker,
  recent: Snapshot["recentFailures"],
  retainFromMs: number,
): { tracker: FailureTracker; newFailures: number } {
  const seen = new Map<string, number>();
  for (const [key, deployMs] of tracker.seen) if (deployMs >= retainFromMs) seen.set(key, deployMs);
  let newFailures = 0;
  for (const { id, deployMs } of recent) {
    const key = `${id}@${deployMs}`;
    if (!tracker.seen.has(key) && !seen.has(key) && tracker.baselined) newFailures++;
    seen.set(key, deployMs);
  }
  return { tracker: { baselined: true, seen }, newFailures };
}

export function pollSucceeded(state: WorkspaceState, snapshot: Snapshot, timing: PollTiming): WorkspaceState {
  const { tracker, newFailures } = trackFailures(state.tracker, snapshot.recentFailures, snapshot.failureRetainFromMs);
  return {
    ...state,
    up: true,
    lastSuccessMs: timing.endedMs,
    lastDurationSeconds: (timing.endedMs - timing.startedMs) / 1000,
    failingSinceMs: undefined,
    data: snapshot.data,
    failuresTotal: state.failuresTotal + newFailures,
    tracker,
    previous: { startedMs: timing.startedMs, releasing: snapshot.releasing },
  };
}

export function pollFailed(
  state: WorkspaceState,
  reason: ErrorReason,
  timing: PollTiming,
  staleAfterMs: number,
): WorkspaceState {
  const failingSinceMs = state.failingSinceMs ?? timing.startedMs;
  const stale = timing.endedMs - failingSinceMs >= staleAfterMs;
  return {
    ...state,
    up: false,
    lastDurationSeconds: (timing.endedMs - timing.startedMs) / 1000,
    failingSinceMs,
    data: stale ? undefined : state.data,
    errors: { ...state.errors, [reason]: state.errors[reason] + 1 },
  };
}

/**
 * At most `limit` per-package series, at once: a reload that lowers `package_series_limit`
 * (0 turns them off) does not wait for the next poll. Pending is oldest first, as a poll keeps it.
 */
export function limitPendingSeries(state: WorkspaceState, limit: number): WorkspaceState {
  if (!state.data || state.data.pending.length <= limit) return state;
  return { ...state, data: { ...state.data, pending: state.data.pending.slice(0, limit) } };
}
