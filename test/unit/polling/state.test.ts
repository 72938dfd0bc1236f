import {
  EndedRelease,
  Snapshot,
  accountPoll,
  accountingOf,
  initialState,
  limitPendingSeries,
  observeReviewWaits,
  pollFailed,
  pollSucceeded,
  resumedState,
  trackReleases,
} from "../../../src/polling/state";

const key = { projectId: "p", workspaceId: "w", name: "analytics", region: "cn-north-4" };

const failed = (id: string, deployMs: number, applyMs = deployMs - 1): EndedRelease => ({ id, outcome: "failed", deployMs, applyMs });
const succeeded = (id: string, deployMs: number, applyMs = deployMs - 1): EndedRelease => ({ id, outcome: "succeeded", deployMs, applyMs });

function snapshot(recentReleases: EndedRelease[], retainFromMs = 0): Snapshot {
  return {
    data: { counts: { pending_review: 1, succeeded: 2, failed: recentReleases.length, releasing: 0 }, oldestPendingApplyMs: 1_000, pending: [] },
    recentReleases,
    retainFromMs,
    releasing: [{ id: "r1", startMs: 500 }],
  };
}

/** trackReleases with failures only, as the failure counter sees them. */
function trackFailures(tracker: ReturnType<typeof initialState>["tracker"], recent: Array<{ id: string; deployMs: number }>, retainFromMs: number) {
  const result = trackReleases(tracker, recent.map((r) => failed(r.id, r.deployMs)), retainFromMs);
  return { tracker: result.tracker, newFailures: result.ended.length };
}

describe("failure tracking", () => {
  it("takes the failures present at the first poll as the baseline, not as new failures", () => {
    const { tracker, newFailures } = trackFailures(initialState(key).tracker, [{ id: "a", deployMs: 10 }], 0);
    expect(newFailures).toBe(0);
    expect(tracker.baselined).toBe(true);
  });

  it("counts a failure once even when two pages repeat it", () => {
    const first = trackFailures(initialState(key).tracker, [], 0).tracker;
    const { newFailures } = trackFailures(first, [{ id: "b", deployMs: 20 }, { id: "b", deployMs: 20 }], 0);
    expect(newFailures).toBe(1);
  });

  it("counts a failure once however many polls see it", () => {
    let tracker = trackFailures(initialState(key).tracker, [], 0).tracker;
    let total = 0;
    for (let poll = 0; poll < 5; poll++) {
      const result = trackFailures(tracker, [{ id: "c", deployMs: 30 }], 0);
      tracker = result.tracker;
      total += result.newFailures;
    }
    expect(total).toBe(1);
  });

  it("forgets failures older than any later window can reach, keeping memory bounded", () => {
    const first = trackFailures(initialState(key).tracker, [{ id: "old", deployMs: 5 }, { id: "new", deployMs: 50 }], 0).tracker;
    const { tracker } = trackFailures(first, [{ id: "new", deployMs: 50 }], 40);
    expect([...tracker.seen.keys()]).toEqual(["failed:new@50"]);
  });

  it("counts a package released again that fails again as a new failure", () => {
    const first = trackFailures(initialState(key).tracker, [{ id: "p", deployMs: 10 }], 0).tracker;
    const { newFailures } = trackFailures(first, [{ id: "p", deployMs: 10 }, { id: "p", deployMs: 90 }], 0);
    expect(newFailures).toBe(1);
  });
});

describe("workspace state transitions", () => {
  const timing = (startedMs: number, endedMs: number) => ({ startedMs, endedMs });

  it("is down with no data before the first poll", () => {
    const s = initialState(key);
    expect(s.up).toBe(false);
    expect(s.data).toBeUndefined();
    expect(Object.values(s.errors)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it("records a successful poll's data, end time and duration", () => {
    const s = pollSucceeded(initialState(key), snapshot([]), timing(1_000, 3_500));
    expect(s.up).toBe(true);
    expect(s.lastSuccessMs).toBe(3_500);
    expect(s.lastDurationSeconds).toBe(2.5);
    expect(s.data?.counts.succeeded).toBe(2);
    expect(s.previous).toEqual({ startedMs: 1_000, releasing: [{ id: "r1", startMs: 500 }] });
  });

  it("keeps the last data while polls fail, until stale_after has passed since they started failing", () => {
    const ok = pollSucceeded(initialState(key), snapshot([]), timing(0, 1_000));
    const f1 = pollFailed(ok, "server", timing(60_000, 61_000), 120_000);
    expect(f1.up).toBe(false);
    expect(f1.data).toBeDefined();
    const f2 = pollFailed(f1, "timeout", timing(120_000, 179_999), 120_000);
    expect(f2.data).toBeDefined();
    const f3 = pollFailed(f2, "timeout", timing(180_000, 181_000), 120_000);
    expect(f3.data).toBeUndefined();
    expect(f3.errors).toMatchObject({ server: 1, timeout: 2 });
    expect(f3.lastSuccessMs).toBe(1_000);
  });

  it("starts counting staleness afresh after a success", () => {
    const ok = pollSucceeded(initialState(key), snapshot([]), timing(0, 1_000));
    const failed = pollFailed(ok, "server", timing(60_000, 61_000), 120_000);
    const again = pollSucceeded(failed, snapshot([]), timing(120_000, 121_000));
    expect(again.failingSinceMs).toBeUndefined();
    expect(pollFailed(again, "server", timing(200_000, 201_000), 120_000).data).toBeDefined();
  });

  it("adds new failures to the counter, never the baseline", () => {
    const first = pollSucceeded(initialState(key), snapshot([failed("a", 1)]), timing(0, 1));
    const second = pollSucceeded(first, snapshot([failed("a", 1), failed("b", 2)]), timing(2, 3));
    expect(first.failuresTotal).toBe(0);
    expect(second.failuresTotal).toBe(1);
  });
});

describe("success tracking", () => {
  it("counts successes exactly like failures: baseline first, then once per release, a re-release again", () => {
    let state = pollSucceeded(initialState(key), snapshot([succeeded("a", 10)]), { startedMs: 0, endedMs: 1 });
    state = pollSucceeded(state, snapshot([succeeded("a", 10), succeeded("b", 20), failed("c", 20)]), { startedMs: 2, endedMs: 3 });
    state = pollSucceeded(state, snapshot([succeeded("a", 10), succeeded("b", 20), failed("c", 20), succeeded("a", 30)]), { startedMs: 4, endedMs: 5 });
    expect(state.successesTotal).toBe(2);
    expect(state.failuresTotal).toBe(1);
  });

  it("keeps a package that failed and later succeeded with the same deploy time as two different ends", () => {
    const base = trackReleases(initialState(key).tracker, [], 0).tracker;
    const first = trackReleases(base, [failed("x", 10)], 0);
    const second = trackReleases(first.tracker, [succeeded("x", 10)], 0);
    expect(first.ended).toEqual([failed("x", 10)]);
    expect(second.ended).toEqual([succeeded("x", 10)]);
  });
});

describe("review wait", () => {
  it("keeps the very same histogram when nothing is observed, and leaves it untouched when something is", () => {
    const empty = initialState(key).reviewWait;
    expect(observeReviewWaits(empty, []).histogram).toBe(empty);
    expect(observeReviewWaits(empty, [succeeded("zero", 5_000, 5_000)]).histogram).toBe(empty);
    const { histogram } = observeReviewWaits(empty, [succeeded("a", 61_000, 1_000)]);
    expect(histogram).not.toBe(empty);
    expect(histogram.count).toBe(1);
    expect(empty).toEqual({ buckets: Array(12).fill(0), sum: 0, count: 0 });
  });

  it("puts each wait in every bucket at or above it, in seconds", () => {
    const { histogram } = observeReviewWaits(initialState(key).reviewWait, [
      succeeded("a", 61_000, 1_000), // exactly 60 s: the 60 s bucket
      failed("b", 3_600_000 + 1_000, 1_000), // 1 h
      succeeded("c", 700_000_000 + 1_000, 1_000), // beyond a week: only +Inf
    ]);
    expect(histogram.count).toBe(3);
    expect(histogram.sum).toBe(60 + 3_600 + 700_000);
    expect(histogram.buckets).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it("leaves out and names a missing, zero or negative wait", () => {
    const { histogram, unobserved } = observeReviewWaits(initialState(key).reviewWait, [
      succeeded("zero", 5_000, 5_000),
      succeeded("negative", 5_000, 9_000),
      failed("no-apply", 5_000, 0),
      succeeded("no-deploy", 0, 5_000),
    ]);
    expect(histogram.count).toBe(0);
    expect(histogram.sum).toBe(0);
    expect(unobserved).toEqual(["zero", "negative", "no-apply", "no-deploy"]);
  });

  it("observes each ended release once across polls, never the baseline", () => {
    let state = pollSucceeded(initialState(key), snapshot([succeeded("old", 100_000, 0)]), { startedMs: 0, endedMs: 1 });
    for (let i = 0; i < 3; i++) state = pollSucceeded(state, snapshot([succeeded("old", 100_000, 0), failed("new", 200_000, 20_000)]), { startedMs: 2, endedMs: 3 });
    expect(state.reviewWait.count).toBe(1);
    expect(state.reviewWait.sum).toBe(180);
  });
});

describe("baselines and catch-up after a restart", () => {
  const HOUR = 3_600_000;
  const limit = 24 * HOUR;

  function runningFor(polls: number, clockMs: number) {
    let state = pollSucceeded(initialState(key), snapshot([failed("f0", 1)]), { startedMs: clockMs, endedMs: clockMs + 1 });
    for (let i = 1; i <= polls; i++) state = pollSucceeded(state, snapshot([failed("f0", 1), failed(`f${i}`, 1 + i)]), { startedMs: clockMs + i, endedMs: clockMs + i + 1 });
    return state;
  }

  it("names the reason of the first baseline: no state without a file entry", () => {
    const account = accountPoll(initialState(key), snapshot([]), { startedMs: 0, endedMs: 1 });
    expect(account.baseline).toBe("no_state");
    expect(accountPoll(account.state, snapshot([]), { startedMs: 2, endedMs: 3 }).baseline).toBeUndefined();
  });

  it("resumes counters and window within the catch-up limit, so the first poll counts what ended meanwhile", () => {
    const t0 = 1_000 * HOUR;
    const saved = accountingOf(runningFor(2, t0));
    expect(saved.failuresTotal).toBe(2);
    const resumed = resumedState(key, saved, "no_state", t0 + limit, limit);
    const account = accountPoll(resumed, snapshot([failed("f0", 1), failed("f1", 2), failed("f2", 3), failed("gap", 4), succeeded("gap-ok", 4)]), {
      startedMs: t0 + limit,
      endedMs: t0 + limit + 1,
    });
    expect(account.baseline).toBeUndefined();
    expect(account.state.failuresTotal).toBe(3);
    expect(account.state.successesTotal).toBe(1);
  });

  it("takes a new baseline beyond the catch-up limit, keeping the counter values", () => {
    const t0 = 1_000 * HOUR;
    const saved = accountingOf(runningFor(2, t0));
    const resumed = resumedState(key, saved, "no_state", t0 + 2 + limit + 1, limit);
    const account = accountPoll(resumed, snapshot([failed("gap", 4)]), { startedMs: t0 + limit + 3, endedMs: t0 + limit + 4 });
    expect(account.baseline).toBe("too_old");
    expect(account.state.failuresTotal).toBe(2);
  });

  it("takes the given reason when nothing was kept for the workspace", () => {
    expect(resumedState(key, undefined, "unreadable", 0, limit).resetReason).toBe("unreadable");
    expect(resumedState(key, undefined, "no_state", 0, limit).resetReason).toBe("no_state");
  });
});

describe("per-package series after a reload", () => {
  const pending = [1, 2, 3].map((n) => ({ id: `p${n}`, name: "", applicant: "", applyMs: n }));
  const polled = pollSucceeded(initialState(key), { ...snapshot([]), data: { ...snapshot([]).data, pending } }, { startedMs: 0, endedMs: 1 });

  it("keeps the oldest packages up to a lowered limit at once, without waiting for the next poll", () => {
    expect(limitPendingSeries(polled, 2).data?.pending.map((p) => p.id)).toEqual(["p1", "p2"]);
  });

  it("drops them all when package series are turned off, and leaves everything else alone", () => {
    const off = limitPendingSeries(polled, 0);
    expect(off.data?.pending).toEqual([]);
    expect(off.data?.counts).toEqual(polled.data?.counts);
    expect(limitPendingSeries(polled, 50)).toBe(polled);
  });
});
