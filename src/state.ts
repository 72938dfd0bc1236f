import { ERROR_REASONS, ErrorReason } from "./errors";

export const STATUSES = ["pending_review", "succeeded", "failed", "releasing"] as const;
export type StatusLabel = (typeof STATUSES)[number];

/** Who a workspace is, as its labels say. */
export interface WorkspaceKey {
  projectId: string;
  workspaceId: string;
  /** The configured or discovered name; the id when unnamed. */
  name: string;
  region: string;
}

export interface PendingPackage {
  id: string;
  name: string;
  applicant: string;
  applyMs: number;
}

/** What one successful poll learned. */
export interface Snapshot {
  counts: Record<StatusLabel, number>;
  oldestPendingApplyMs?: number;
  oldestReleasingStartMs?: number;
  lastFailureMs?: number;
  /** Failed packages whose `deploy_timestamp` is at or after `failureWindowStartMs`. */
  recentFailures: Array<{ id: string; deployMs: number }>;
  failureWindowStartMs: number;
  /** Oldest first; only with per-package series. */
  pending: PendingPackage[];
}

/** Remembers which failed packages were seen, so each counts once. */
export interface FailureTracker {
  baselined: boolean;
  /** package id → deploy timestamp, for failures inside the current window. */
  seen: ReadonlyMap<string, number>;
  windowStartMs?: number;
}

export interface WorkspaceState {
  key: WorkspaceKey;
  up: boolean;
  lastSuccessMs?: number;
  lastDurationSeconds?: number;
  /** Start of the current run of failed polls. */
  failingSinceMs?: number;
  /** The last successful poll's data; dropped once polls have failed for `stale_after`. */
  data?: Omit<Snapshot, "recentFailures" | "failureWindowStartMs">;
  failuresTotal: number;
  errors: Record<ErrorReason, number>;
  tracker: FailureTracker;
  /** The last successful poll's start and the oldest release it saw: the next failure window starts there. */
  previous?: { startedMs: number; oldestReleasingStartMs?: number };
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
  windowStartMs: number,
): { tracker: FailureTracker; newFailures: number } {
  const seen = new Map<string, number>();
  for (const [id, deployMs] of tracker.seen) if (deployMs >= windowStartMs) seen.set(id, deployMs);
  let newFailures = 0;
  for (const { id, deployMs } of recent) {
    if (!tracker.seen.has(id) && !seen.has(id) && tracker.baselined) newFailures++;
    seen.set(id, deployMs);
  }
  return { tracker: { baselined: true, seen, windowStartMs }, newFailures };
}

export function pollSucceeded(state: WorkspaceState, snapshot: Snapshot, timing: PollTiming): WorkspaceState {
  const { tracker, newFailures } = trackFailures(state.tracker, snapshot.recentFailures, snapshot.failureWindowStartMs);
  const { recentFailures: _r, failureWindowStartMs: _w, ...data } = snapshot;
  return {
    ...state,
    up: true,
    lastSuccessMs: timing.endedMs,
    lastDurationSeconds: (timing.endedMs - timing.startedMs) / 1000,
    failingSinceMs: undefined,
    data,
    failuresTotal: state.failuresTotal + newFailures,
    tracker,
    previous: { startedMs: timing.startedMs, oldestReleasingStartMs: snapshot.oldestReleasingStartMs },
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

/** A workspace's key under which its state is kept across polls, discoveries and reloads. */
export function stateId(key: Pick<WorkspaceKey, "projectId" | "workspaceId">): string {
  return `${key.projectId}/${key.workspaceId}`;
}
