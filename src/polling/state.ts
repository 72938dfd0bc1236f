/** A workspace's state across polls: pure transitions, each ended release counted once. */
import { ERROR_REASONS, ErrorReason } from "../dataarts/api-error";
import type { ExtraLabels } from "../config/labels";

export const STATUSES = ["pending_review", "succeeded", "failed", "releasing"] as const;
export type StatusLabel = (typeof STATUSES)[number];

/** How a release ended. */
export type Outcome = "succeeded" | "failed";

/** Why a workspace's accounting started from a new baseline instead of catching up. */
export const RESET_REASONS = ["no_state", "too_old", "unreadable"] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

/** Upper bounds of the review-wait histogram, in seconds (1 min to 1 week). */
export const REVIEW_WAIT_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 604800] as const;

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

/** A package whose release has ended, as the windowed query lists it. */
export interface EndedRelease {
  id: string;
  outcome: Outcome;
  deployMs: number;
  applyMs: number;
}

/** What a poll learned that the metrics show; kept until polls have failed for `stale_after`. */
export interface WorkspaceData {
  counts: Record<StatusLabel, number>;
  oldestPendingApplyMs?: number;
  oldestReleasingStartMs?: number;
  lastFailureMs?: number;
  lastSucceededMs?: number;
  /** Oldest first; only with per-package series, at most `package_series_limit`. */
  pending: PendingPackage[];
}

/** What one successful poll learned: the data to show, and what the next poll and the counters need. */
export interface Snapshot {
  data: WorkspaceData;
  /** Failed and succeeded packages whose `deploy_timestamp` is in this poll's window. */
  recentReleases: EndedRelease[];
  /** Seen releases older than this can never be queried again, so they may be forgotten. */
  retainFromMs: number;
  /** Releases running now, as far as one page lists them (oldest first). */
  releasing: ReleasingPackage[];
}

/** Remembers which ended releases were seen, so each counts once. */
export interface ReleaseTracker {
  baselined: boolean;
  /**
   * `outcome:package_id@deploy_timestamp` → deploy timestamp: a package released
   * again that ends again is a new release.
   */
  seen: ReadonlyMap<string, number>;
}

/** Cumulative bucket counts (one per bound in REVIEW_WAIT_BUCKETS), sum and count. */
export interface Histogram {
  buckets: number[];
  sum: number;
  count: number;
}

/** The part of a workspace's state that must survive a restart for counters to stay exact. */
export interface Accounting {
  failuresTotal: number;
  successesTotal: number;
  reviewWait: Histogram;
  tracker: ReleaseTracker;
  /** The last successful poll's start and the releases it saw running: the next window starts there. */
  previous?: { startedMs: number; releasing: ReleasingPackage[] };
}

export interface WorkspaceState extends Accounting {
  key: WorkspaceKey;
  up: boolean;
  lastSuccessMs?: number;
  lastDurationSeconds?: number;
  /** Start of the current run of failed polls. */
  failingSinceMs?: number;
  /** The last successful poll's data; dropped once polls have failed for `stale_after`. */
  data?: WorkspaceData;
  errors: Record<ErrorReason, number>;
  /** Why the next baseline is taken, while the tracker has none. */
  resetReason: ResetReason;
  /** Counters restored after a crash, not shown until the first successful poll has caught up. */
  countersHeld?: boolean;
}

export interface PollTiming {
  startedMs: number;
  endedMs: number;
}

export function emptyHistogram(): Histogram {
  return { buckets: REVIEW_WAIT_BUCKETS.map(() => 0), sum: 0, count: 0 };
}

export function initialState(key: WorkspaceKey, resetReason: ResetReason = "no_state"): WorkspaceState {
  const errors = Object.fromEntries(ERROR_REASONS.map((r) => [r, 0])) as Record<ErrorReason, number>;
  return {
    key,
    up: false,
    failuresTotal: 0,
    successesTotal: 0,
    reviewWait: emptyHistogram(),
    errors,
    tracker: { baselined: false, seen: new Map() },
    resetReason,
  };
}

/**
 * A workspace's state from accounting kept across a restart. Counter values always
 * carry over, so Prometheus sees no reset; the window carries over only while it is
 * within `catchUpLimitMs`, else the first poll takes a new baseline.
 */
export function resumedState(
  key: WorkspaceKey,
  saved: Accounting | undefined,
  missingReason: ResetReason,
  nowMs: number,
  catchUpLimitMs: number,
): WorkspaceState {
  if (!saved) return initialState(key, missingReason);
  const counters = { failuresTotal: saved.failuresTotal, successesTotal: saved.successesTotal, reviewWait: saved.reviewWait };
  if (!saved.tracker.baselined || !saved.previous) return { ...initialState(key, missingReason), ...counters };
  const fresh = initialState(key, "too_old");
  if (nowMs - saved.previous.startedMs > catchUpLimitMs) return { ...fresh, ...counters };
  return { ...fresh, ...counters, tracker: saved.tracker, previous: saved.previous };
}

export function accountingOf(s: Accounting): Accounting {
  return { failuresTotal: s.failuresTotal, successesTotal: s.successesTotal, reviewWait: s.reviewWait, tracker: s.tracker, previous: s.previous };
}

/**
 * Finds the releases in `recent` not seen before. The first poll is the baseline:
 * what had already ended when the exporter started is not new.
 */
export function trackReleases(
  tracker: ReleaseTracker,
  recent: EndedRelease[],
  retainFromMs: number,
): { tracker: ReleaseTracker; ended: EndedRelease[] } {
  const seen = new Map<string, number>();
  for (const [key, deployMs] of tracker.seen) if (deployMs >= retainFromMs) seen.set(key, deployMs);
  const ended: EndedRelease[] = [];
  for (const release of recent) {
    const key = `${release.outcome}:${release.id}@${release.deployMs}`;
    if (!tracker.seen.has(key) && !seen.has(key) && tracker.baselined) ended.push(release);
    seen.set(key, release.deployMs);
  }
  return { tracker: { baselined: true, seen }, ended };
}

/** Adds each release's review wait (deploy − apply); a missing, zero or negative wait is left out and named. */
export function observeReviewWaits(h: Histogram, releases: EndedRelease[]): { histogram: Histogram; unobserved: string[] } {
  const buckets = [...h.buckets];
  let { sum, count } = h;
  const unobserved: string[] = [];
  for (const r of releases) {
    const waitSeconds = (r.deployMs - r.applyMs) / 1000;
    if (!(r.applyMs > 0 && r.deployMs > 0 && waitSeconds > 0)) {
      unobserved.push(r.id);
      continue;
    }
    REVIEW_WAIT_BUCKETS.forEach((le, i) => {
      if (waitSeconds <= le) buckets[i]! += 1;
    });
    sum += waitSeconds;
    count += 1;
  }
  // Nothing observed: the very same histogram, so that what renders it can tell it unchanged at a glance.
  return { histogram: count === h.count ? h : { buckets, sum, count }, unobserved };
}

/** What a successful poll changed: the new state, the baseline it took (if any) and the waits it could not observe. */
export interface PollAccount {
  state: WorkspaceState;
  baseline?: ResetReason;
  unobservedWaits: string[];
}

export function accountPoll(state: WorkspaceState, snapshot: Snapshot, timing: PollTiming): PollAccount {
  const { tracker, ended } = trackReleases(state.tracker, snapshot.recentReleases, snapshot.retainFromMs);
  const { histogram, unobserved } = observeReviewWaits(state.reviewWait, ended);
  const next: WorkspaceState = {
    ...state,
    up: true,
    lastSuccessMs: timing.endedMs,
    lastDurationSeconds: (timing.endedMs - timing.startedMs) / 1000,
    failingSinceMs: undefined,
    data: snapshot.data,
    failuresTotal: state.failuresTotal + ended.filter((r) => r.outcome === "failed").length,
    successesTotal: state.successesTotal + ended.filter((r) => r.outcome === "succeeded").length,
    reviewWait: histogram,
    tracker,
    previous: { startedMs: timing.startedMs, releasing: snapshot.releasing },
    countersHeld: undefined,
  };
  return { state: next, baseline: state.tracker.baselined ? undefined : state.resetReason, unobservedWaits: unobserved };
}

export function pollSucceeded(state: WorkspaceState, snapshot: Snapshot, timing: PollTiming): WorkspaceState {
  return accountPoll(state, snapshot, timing).state;
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
