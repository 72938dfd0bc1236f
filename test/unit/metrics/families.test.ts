import { ApiMetrics, METRIC_FAMILIES, renderAges, renderPolled } from "../../../src/metrics/families";
import { WorkspaceData, WorkspaceState, initialState, limitPendingSeries, pollFailed, pollSucceeded } from "../../../src/polling/state";
import { family, promtoolCheckMetrics } from "../../helpers/promtool";
import { INFO as info, NOW } from "./fixtures";
import { WorkspaceText } from "../../../src/metrics/workspace-text";

const key = (workspaceId: string, name = workspaceId) => ({ projectId: "p1", workspaceId, name, region: "cn-north-4" });

function polled(workspaceId: string, overrides: Partial<WorkspaceData> = {}): WorkspaceState {
  const data: WorkspaceData = {
    counts: { pending_review: 3, succeeded: 40, failed: 2, releasing: 1 },
    oldestPendingApplyMs: NOW - 7_200_000,
    oldestReleasingStartMs: NOW - 600_000,
    lastFailureMs: NOW - 60_000,
    pending: [
      { id: "pk1", name: 'quote " and \\ back', applicant: "ann", applyMs: NOW - 7_200_000 },
      { id: "pk2", name: "second", applicant: "bob", applyMs: NOW - 3_600_000 },
    ],
    ...overrides,
  };
  const snap = { data, recentReleases: [], retainFromMs: 0, releasing: [] };
  return pollSucceeded(initialState(key(workspaceId, `${workspaceId}-name`)), snap, { startedMs: NOW - 2_000, endedMs: NOW - 1_000 });
}

describe("rendering the metrics", () => {
  const states = [polled("w1"), polled("w2", { oldestPendingApplyMs: undefined, oldestReleasingStartMs: undefined, lastFailureMs: undefined, pending: [] }), initialState(key("w3"))];
  const api = new ApiMetrics();
  api.observe({ projectId: "p1", workspaceId: "w1", workspace: "w1-name", code: "200" }, 0.12);
  api.observe({ projectId: "p1", workspaceId: "", workspace: "", code: "error" }, 10);
  const text = renderPolled(states, info) + api.render() + renderAges(states, NOW);

  it("passes promtool check metrics", () => {
    expect(promtoolCheckMetrics(text)).toBe("");
  });

  it("has all four statuses for every polled workspace and none for a workspace never polled", () => {
    const samples = family(text, METRIC_FAMILIES.packages);
    expect(samples.filter((s) => s.labels.workspace_id === "w1").map((s) => [s.labels.status, s.value])).toEqual([
      ["pending_review", 3],
      ["succeeded", 40],
      ["failed", 2],
      ["releasing", 1],
    ]);
    expect(samples.some((s) => s.labels.workspace_id === "w3")).toBe(false);
    expect(samples[0]!.labels).toEqual({ project_id: "p1", workspace_id: "w1", workspace: "w1-name", status: "pending_review" });
  });

  it("computes ages at render time, and 0 when nothing waits", () => {
    const pending = family(text, METRIC_FAMILIES.pendingOldestAge);
    expect(pending.map((s) => [s.labels.workspace_id, s.value])).toEqual([
      ["w1", 7_200],
      ["w2", 0],
    ]);
    expect(family(text, METRIC_FAMILIES.releasingOldestAge).map((s) => s.value)).toEqual([600, 0]);
    const later = renderAges(states, NOW + 10_000);
    expect(family(later, METRIC_FAMILIES.pendingOldestAge)[0]!.value).toBe(7_210);
  });

  it("leaves timestamps out when there is nothing to date", () => {
    expect(family(text, METRIC_FAMILIES.pendingOldestTimestamp).map((s) => [s.labels.workspace_id, s.value])).toEqual([
      ["w1", (NOW - 7_200_000) / 1000],
    ]);
    expect(family(text, METRIC_FAMILIES.lastFailure).map((s) => s.labels.workspace_id)).toEqual(["w1"]);
  });

  it("escapes label values and renders per-package series only for the packages a poll collected", () => {
    const series = family(text, METRIC_FAMILIES.pendingAge);
    expect(series[0]!.labels).toMatchObject({ package_id: "pk1", package_name: 'quote \\" and \\\\ back', applicant: "ann" });
    expect(series.map((s) => s.labels.workspace_id)).toEqual(["w1", "w1"]);
    const off = states.map((s) => limitPendingSeries(s, 0));
    expect(renderAges(off, NOW)).not.toContain(METRIC_FAMILIES.pendingAge);
  });

  it("shows health for every workspace: info, up, and every error reason from zero", () => {
    expect(family(text, METRIC_FAMILIES.up).map((s) => [s.labels.workspace_id, s.value])).toEqual([
      ["w1", 1],
      ["w2", 1],
      ["w3", 0],
    ]);
    expect(family(text, METRIC_FAMILIES.info)[0]!.labels.region).toBe("cn-north-4");
    expect(family(text, METRIC_FAMILIES.pollErrors).filter((s) => s.labels.workspace_id === "w3")).toHaveLength(7);
  });

  it("drops a stale workspace's data but keeps its health series", () => {
    const stale = pollFailed(polled("w1"), "server", { startedMs: NOW, endedMs: NOW + 1 }, 0);
    const out = renderPolled([stale], info) + renderAges([stale], NOW);
    expect(family(out, METRIC_FAMILIES.packages)).toEqual([]);
    expect(family(out, METRIC_FAMILIES.pendingOldestAge)).toEqual([]);
    expect(family(out, METRIC_FAMILIES.up)[0]!.value).toBe(0);
    expect(family(out, METRIC_FAMILIES.pollErrors).find((s) => s.labels.reason === "server")!.value).toBe(1);
    expect(family(out, METRIC_FAMILIES.lastSuccess)).toHaveLength(1);
  });

  it("renders from kept lines what it renders afresh, through polls that change counts, fail, and change nothing", () => {
    const kept = new WorkspaceText();
    let state = polled("w1");
    renderPolled([state], info, kept);
    const snap = (data: WorkspaceData) => ({ data, recentReleases: [], retainFromMs: 0, releasing: [] });
    const t = { startedMs: NOW, endedMs: NOW + 1 };
    const steps: Array<(s: WorkspaceState) => WorkspaceState> = [
      (s) => pollSucceeded(s, snap({ ...s.data!, counts: { ...s.data!.counts, succeeded: 41 } }), t),
      (s) => pollFailed(s, "server", t, 60_000),
      (s) => pollSucceeded(s, snap({ ...s.data! }), t),
      (s) => pollFailed(s, "server", t, 0),
    ];
    const seen: Array<[number | undefined, number | undefined]> = [];
    for (const step of steps) {
      state = step(state);
      const fromKept = renderPolled([state], info, kept);
      expect(fromKept).toBe(renderPolled([state], info));
      const succeeded = family(fromKept, METRIC_FAMILIES.packages).find((s) => s.labels.status === "succeeded")?.value;
      seen.push([succeeded, family(fromKept, METRIC_FAMILIES.pollErrors).find((s) => s.labels.reason === "server")!.value]);
    }
    expect(seen).toEqual([[41, 0], [41, 1], [41, 1], [undefined, 2]]);
  });

  it("renders the latency histogram with cumulative buckets", () => {
    const buckets = family(text, `${METRIC_FAMILIES.apiDuration}_bucket`).map((s) => [s.labels.le, s.value]);
    expect(buckets).toContainEqual(["0.1", 0]);
    expect(buckets).toContainEqual(["0.25", 1]);
    expect(buckets).toContainEqual(["10", 2]);
    expect(buckets).toContainEqual(["+Inf", 2]);
  });

  it("forgets the request series of workspaces no longer polled", () => {
    const a = new ApiMetrics();
    a.observe({ projectId: "p1", workspaceId: "gone", workspace: "gone", code: "200" }, 0.1);
    a.observe({ projectId: "p1", workspaceId: "", workspace: "", code: "201" }, 0.1);
    a.retain(new Set(["p1"]), new Set(["p1/kept"]));
    expect(family(a.render(), METRIC_FAMILIES.apiRequests).map((s) => s.labels.code)).toEqual(["201"]);
  });
});
