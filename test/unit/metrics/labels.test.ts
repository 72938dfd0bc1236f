import { RESERVED_LABELS, mergeLabels } from "../../../src/config/labels";
import { ApiMetrics, METRIC_FAMILIES, renderAges, renderPolled } from "../../../src/metrics/families";
import { ClockSkewMetrics } from "../../../src/metrics/clock-skew";
import { WorkspaceData, WorkspaceKey, WorkspaceState, initialState, pollSucceeded } from "../../../src/polling/state";
import { family, promtoolCheckMetrics } from "../../helpers/promtool";
import { INFO as info, NOW, key } from "./fixtures";

const FINANCE = mergeLabels({ team: "finance-data", cost_center: "4711" });
const IOT = mergeLabels({ team: "iot" });

const data: WorkspaceData = {
  counts: { pending_review: 1, succeeded: 2, failed: 1, releasing: 1 },
  oldestPendingApplyMs: NOW - 7_200_000,
  oldestReleasingStartMs: NOW - 600_000,
  lastFailureMs: NOW - 60_000,
  pending: [{ id: "pk1", name: "nightly", applicant: "ann", applyMs: NOW - 7_200_000 }],
};
const snapshot = { data, recentReleases: [], retainFromMs: 0, releasing: [] };

const polled = (k: WorkspaceKey): WorkspaceState => pollSucceeded(initialState(k), snapshot, { startedMs: NOW - 2_000, endedMs: NOW - 1_000 });

function render(states: WorkspaceState[], api: ApiMetrics): string {
  return renderPolled(states, info) + api.render() + renderAges(states, NOW);
}

/** The families the issue names: every dataarts_release_* and dataarts_workspace_* one, poll errors and API requests. */
const PER_WORKSPACE = Object.values(METRIC_FAMILIES).filter(
  (name) =>
    name.startsWith("dataarts_release_") ||
    name.startsWith("dataarts_workspace_") ||
    name === METRIC_FAMILIES.pollErrors ||
    name === METRIC_FAMILIES.apiRequests,
);

describe("extra labels on the exposition", () => {
  const api = new ApiMetrics();
  api.observe({ projectId: "p1", workspaceId: "w1", workspace: "w1-name", labels: FINANCE, code: "200" }, 0.1);
  api.observe({ projectId: "p1", workspaceId: "w2", workspace: "w2-name", labels: IOT, code: "200" }, 0.1);
  api.observe({ projectId: "p1", workspaceId: "", workspace: "", code: "201" }, 0.1);
  const text = render([polled(key("w1", FINANCE)), polled(key("w2", IOT))], api);

  it.each(PER_WORKSPACE)("puts each workspace's labels on every series of %s", (name) => {
    const samples = family(text, name).filter((s) => s.labels.workspace_id !== "");
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      const want = s.labels.workspace_id === "w1" ? { team: "finance-data", cost_center: "4711" } : { team: "iot" };
      expect(s.labels).toMatchObject(want);
    }
    expect(samples.filter((s) => s.labels.team === "iot").every((s) => !("cost_center" in s.labels))).toBe(true);
  });

  it("writes them after the workspace's own labels, in name order, and before the family's", () => {
    expect(text).toContain(
      'dataarts_release_packages{project_id="p1",workspace_id="w1",workspace="w1-name",cost_center="4711",team="finance-data",status="failed"} 1\n',
    );
    expect(text).toContain(
      'dataarts_api_requests_total{project_id="p1",workspace_id="w1",workspace="w1-name",cost_center="4711",team="finance-data",code="200"} 1\n',
    );
    expect(text).toContain(
      'dataarts_release_package_pending_review_age_seconds{project_id="p1",workspace_id="w2",workspace="w2-name",team="iot",package_id="pk1",package_name="nightly",applicant="ann"} 7200\n',
    );
  });

  it("leaves them off series of no workspace: IAM requests, per-project latency, the exporter's own", () => {
    expect(family(text, METRIC_FAMILIES.apiRequests).find((s) => s.labels.workspace_id === "")!.labels).toEqual({
      project_id: "p1",
      workspace_id: "",
      workspace: "",
      code: "201",
    });
    for (const name of [`${METRIC_FAMILIES.apiDuration}_count`, METRIC_FAMILIES.buildInfo, METRIC_FAMILIES.totalShards]) {
      expect(family(text, name).some((s) => "team" in s.labels)).toBe(false);
    }
  });

  it("passes promtool check metrics", () => {
    expect(promtoolCheckMetrics(text)).toBe("");
  });
});

describe("the reserved label names", () => {
  it("include every label the metrics layer writes on its own series", () => {
    const api = new ApiMetrics();
    api.observe({ projectId: "p1", workspaceId: "w1", workspace: "w1-name", code: "200" }, 0.1);
    const skew = new ClockSkewMetrics();
    skew.observe("p1", 2.5);
    const text = render([polled(key("w1"))], api) + skew.render();
    const written = new Set<string>();
    for (const line of text.split("\n").filter((l) => l.startsWith("dataarts_"))) {
      for (const [, name] of line.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)) written.add(name!);
    }
    // Every family is in the rendering, so no label escapes the check.
    const families = new Set(text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));
    expect([...families].sort()).toEqual([...Object.values(METRIC_FAMILIES)].sort());
    expect([...written].filter((name) => !(name in RESERVED_LABELS))).toEqual([]);
  });
});

describe("a change of labels", () => {
  it("moves every series of the workspace, counters with their values, to the new labels", () => {
    const before = { ...polled(key("w1", FINANCE)), failuresTotal: 4 };
    const after: WorkspaceState = { ...before, key: key("w1", IOT) };
    const text = renderPolled([after], info) + renderAges([after], NOW);
    expect(text).not.toContain("finance-data");
    expect(family(text, METRIC_FAMILIES.failures)[0]).toEqual({ labels: { project_id: "p1", workspace_id: "w1", workspace: "w1-name", team: "iot" }, value: 4 });
    // The per-package series too, although the poll data (and its cached label text) is the same object.
    expect(after.data).toBe(before.data);
    renderAges([before], NOW);
    expect(family(renderAges([after], NOW), METRIC_FAMILIES.pendingAge)[0]!.labels.team).toBe("iot");
  });

  it("moves the request counts of a kept workspace and keeps their values", () => {
    const api = new ApiMetrics();
    api.observe({ projectId: "p1", workspaceId: "w1", workspace: "old", labels: FINANCE, code: "200" }, 0.1);
    api.observe({ projectId: "p1", workspaceId: "w1", workspace: "old", labels: FINANCE, code: "200" }, 0.1);
    api.observe({ projectId: "p1", workspaceId: "", workspace: "", code: "201" }, 0.1);
    api.relabel((projectId, workspaceId) => (workspaceId === "w1" ? { workspace: "new", labels: IOT } : undefined));
    expect(family(api.render(), METRIC_FAMILIES.apiRequests).map((s) => [s.labels, s.value])).toEqual([
      [{ project_id: "p1", workspace_id: "w1", workspace: "new", team: "iot", code: "200" }, 2],
      [{ project_id: "p1", workspace_id: "", workspace: "", code: "201" }, 1],
    ]);
  });
});
