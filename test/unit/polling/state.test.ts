import { Snapshot, initialState, limitPendingSeries, pollFailed, pollSucceeded, trackFailures } from "../../../src/polling/state";

const key = { projectId: "p", workspaceId: "w", name: "analytics", region: "cn-north-4" };

function snapshot(recentFailures: Snapshot["recentFailures"], failureRetainFromMs = 0): Snapshot {
  return {
    data: { counts: { pending_review: 1, succeeded: 2, failed: recentFailures.length, releasing: 0 }, oldestPendingApplyMs: 1_000, pending: [] },
    recentFailures,
    failureRetainFromMs,
    releasing: [{ id: "r1", startMs: 500 }],
  };
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
    expect([...tracker.seen.keys()]).toEqual(["new@50"]);
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
    const first = pollSucceeded(initialState(key), snapshot([{ id: "a", deployMs: 1 }]), timing(0, 1));
    const second = pollSucceeded(first, snapshot([{ id: "a", deployMs: 1 }, { id: "b", deployMs: 2 }]), timing(2, 3));
    expect(first.failuresTotal).toBe(0);
    expect(second.failuresTotal).toBe(1);
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
