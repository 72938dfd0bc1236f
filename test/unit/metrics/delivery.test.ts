import { mergeLabels } from "../../../src/config/labels";
import { DELIVERY_FAMILIES as D, renderDelivery } from "../../../src/metrics/delivery";
import { EndedRelease, Snapshot, WorkspaceKey, initialState, pollSucceeded } from "../../../src/polling/state";
import { family, promtoolCheckMetrics } from "../../helpers/promtool";
import { METRIC_FAMILIES as F, renderPolled } from "../../../src/metrics/families";
import { INFO, NOW, key } from "./fixtures";
import { WorkspaceText } from "../../../src/metrics/workspace-text";

const snapshot = (recentReleases: EndedRelease[]): Snapshot => ({
  data: { counts: { pending_review: 0, succeeded: 3, failed: 1, releasing: 0 }, lastSucceededMs: NOW - 60_000, pending: [] },
  recentReleases,
  retainFromMs: 0,
  releasing: [],
});

/** A workspace that has counted, after its baseline, a success that waited 10 min and a failure that waited 2 h. */
function counted(k: WorkspaceKey) {
  const base = pollSucceeded(initialState(k), snapshot([]), { startedMs: NOW - 4_000, endedMs: NOW - 3_000 });
  return pollSucceeded(
    base,
    snapshot([
      { id: "a", outcome: "succeeded", deployMs: NOW - 60_000, applyMs: NOW - 660_000 },
      { id: "b", outcome: "failed", deployMs: NOW - 30_000, applyMs: NOW - 7_230_000 },
    ]),
    { startedMs: NOW - 2_000, endedMs: NOW - 1_000 },
  );
}

describe("the delivery and accounting families", () => {
  const resets = { no_state: 2, too_old: 1, unreadable: 0 };
  const text = renderDelivery([counted(key("w1", mergeLabels({ team: "finance-data" }))), initialState(key("w2"))], {
    resets,
    storage: { lastWriteSuccessMs: NOW, writeErrors: 3 },
  });

  it("passes promtool check metrics", () => {
    expect(promtoolCheckMetrics(text)).toBe("");
  });

  it("counts successes per workspace, with the config's labels, from 0 before the first poll", () => {
    expect(family(text, D.successes)).toEqual([
      { labels: { project_id: "p1", workspace_id: "w1", workspace: "w1-name", team: "finance-data" }, value: 1 },
      { labels: { project_id: "p1", workspace_id: "w2", workspace: "w2-name" }, value: 0 },
    ]);
    expect(family(text, D.lastPackageSuccess)).toEqual([
      { labels: { project_id: "p1", workspace_id: "w1", workspace: "w1-name", team: "finance-data" }, value: (NOW - 60_000) / 1000 },
    ]);
  });

  it("renders the review wait as a histogram with the issue's buckets, cumulative, +Inf equal to the count", () => {
    const buckets = family(text, `${D.reviewWait}_bucket`).filter((s) => s.labels.workspace_id === "w1");
    expect(buckets.map((s) => s.labels.le)).toEqual(["60", "300", "900", "1800", "3600", "7200", "14400", "28800", "86400", "172800", "345600", "604800", "+Inf"]);
    expect(buckets.map((s) => s.value)).toEqual([0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(buckets[0]!.labels.team).toBe("finance-data");
    expect(family(text, `${D.reviewWait}_sum`).find((s) => s.labels.workspace_id === "w1")?.value).toBe(600 + 7_200);
    expect(family(text, `${D.reviewWait}_count`).map((s) => s.value)).toEqual([2, 0]);
  });

  it("counts baselines by reason, every reason present", () => {
    expect(family(text, D.accountingResets).map((s) => [s.labels.reason, s.value])).toEqual([
      ["no_state", 2],
      ["too_old", 1],
      ["unreadable", 0],
    ]);
  });

  it("shows the state file's writes only with --storage.path", () => {
    expect(family(text, D.stateLastWrite)).toEqual([{ labels: {}, value: NOW / 1000 }]);
    expect(family(text, D.stateWriteErrors)).toEqual([{ labels: {}, value: 3 }]);
    const inMemory = renderDelivery([], { resets });
    expect(inMemory).not.toContain(D.stateLastWrite);
    expect(inMemory).not.toContain(D.stateWriteErrors);
  });

  it("renders from kept lines what it renders afresh, poll after poll, whether or not a poll observed a wait", () => {
    const kept = new WorkspaceText();
    const k = key("w1");
    const ended: EndedRelease[] = [
      { id: "a", outcome: "succeeded", deployMs: NOW - 60_000, applyMs: NOW - 660_000 },
      { id: "b", outcome: "failed", deployMs: NOW - 30_000, applyMs: NOW - 7_230_000 },
    ];
    let state = counted(k);
    renderDelivery([state], { resets }, kept);
    const polls = [ended, [...ended, { id: "c", outcome: "succeeded" as const, deployMs: NOW, applyMs: NOW - 5_000 }], ended];
    const counts: number[] = [];
    for (const releases of polls) {
      state = pollSucceeded(state, snapshot(releases), { startedMs: NOW, endedMs: NOW + 1 });
      const fromKept = renderDelivery([state], { resets }, kept);
      expect(fromKept).toBe(renderDelivery([state], { resets }));
      counts.push(family(fromKept, `${D.reviewWait}_count`)[0]!.value);
    }
    expect(counts).toEqual([2, 3, 3]);
  });

  it("leaves out the counters and the histogram of a workspace held back after a crash, until its first poll", () => {
    const held = { ...counted(key("w1")), countersHeld: true };
    const text = renderDelivery([held], { resets }) + renderPolled([held], INFO);
    expect(family(text, D.successes)).toEqual([]);
    expect(family(text, `${D.reviewWait}_count`)).toEqual([]);
    expect(family(text, F.failures)).toEqual([]);
    expect(family(text, F.info)).toHaveLength(1);
    const polled = pollSucceeded(held, snapshot([]), { startedMs: NOW, endedMs: NOW + 1 });
    const after = renderDelivery([polled], { resets }) + renderPolled([polled], INFO);
    expect(family(after, D.successes).map((s) => s.value)).toEqual([1]);
    expect(family(after, `${D.reviewWait}_count`).map((s) => s.value)).toEqual([2]);
    expect(family(after, F.failures).map((s) => s.value)).toEqual([1]);
    expect(promtoolCheckMetrics(text)).toBe("");
  });
});
