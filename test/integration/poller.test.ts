import { DeployStatus } from "../../src/dataarts/model";
import { ReleasePackagePager } from "../../src/dataarts/paging";
import { pollWorkspace } from "../../src/polling/poller";
import { expectedFrom } from "../helpers/expected";
import { WorkspaceState, initialState, pollSucceeded } from "../../src/polling/state";
import { RunningSimulator } from "../../src/simulator";
import { PROJECT, WS, clientFor, oneWorkspace, packages, withSim } from "../helpers/sim";
import { generatePackages } from "../../src/simulator";

const DAY = 86_400_000;

const key = { projectId: PROJECT, workspaceId: WS, name: "analytics", region: "cn-north-4" };

/** Polls like the exporter does and returns the new state and the requests that poll cost. */
async function poll(sim: RunningSimulator, state: WorkspaceState, pager: ReleasePackagePager, seriesLimit = 0) {
  const { client } = clientFor(sim);
  sim.control.resetCounts();
  const startedMs = Date.now();
  const snapshot = await pollWorkspace({
    client,
    pager,
    workspaceId: WS,
    packageSeriesLimit: seriesLimit,
    now: startedMs,
    previous: state.previous,
  });
  const next = pollSucceeded(state, snapshot, { startedMs, endedMs: Date.now() });
  return { state: next, requests: sim.control.requestCounts()[`${PROJECT}/${WS}`] ?? 0 };
}

function pagerFor(sim: RunningSimulator, mode: "page" | "offset" | "auto" = "auto") {
  return new ReleasePackagePager(clientFor(sim).client, mode);
}

describe("polling a workspace", () => {
  it.each([10, 10_000, 100_000])("costs 5 requests per steady poll with %i packages, and reads the right values", async (n) => {
    const share = (f: number) => Math.max(1, Math.round(n * f));
    const pkgs = packages({ pending_review: share(0.1), succeeded: share(0.7), failed: share(0.1), releasing: share(0.1) });
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const pager = pagerFor(sim);
      const first = await poll(sim, initialState(key), pager);
      const second = await poll(sim, first.state, pager);
      const want = expectedFrom(pkgs);
      // The baseline reaches back to the oldest running release, so it pages through what ended since.
      const endedSince = pkgs.filter((p) => p.deploy_status !== DeployStatus.releasing && p.deploy_timestamp >= want.oldestReleasingMs - 5 * 60_000);
      expect(first.requests).toBeLessThanOrEqual(4 + Math.max(1, Math.ceil(endedSince.length / 100)));
      expect(second.requests).toBe(5);
      expect(second.state.data).toMatchObject({
        counts: want.counts,
        oldestPendingApplyMs: want.oldestPendingMs,
        oldestReleasingStartMs: want.oldestReleasingMs,
        lastFailureMs: want.lastFailureMs,
        lastSucceededMs: want.lastSucceededMs,
      });
      expect(second.state.failuresTotal).toBe(0);
      expect(second.state.successesTotal).toBe(0);
    });
  });

  it.each([10, 100_000])(
    "counts releases that failed and succeeded between polls from one windowed query, still 5 requests, at %i packages",
    async (n) => {
      const share = (f: number) => Math.max(2, Math.round(n * f));
      const pkgs = packages({ pending_review: share(0.1), succeeded: share(0.7), failed: share(0.1), releasing: 10 });
      await withSim(oneWorkspace(pkgs), async (sim) => {
        const pager = pagerFor(sim);
        const base = await poll(sim, initialState(key), pager);
        const releasing = sim.control.packages(PROJECT, WS).filter((p) => p.deploy_status === DeployStatus.releasing);
        const now = Date.now();
        releasing.slice(0, 3).forEach((p) => sim.control.setStatus(PROJECT, WS, p.package_id, DeployStatus.failed, now));
        releasing.slice(3, 5).forEach((p) => sim.control.setStatus(PROJECT, WS, p.package_id, DeployStatus.succeeded, now));
        const next = await poll(sim, base.state, pager);
        const after = await poll(sim, next.state, pager);
        expect([next.requests, after.requests]).toEqual([5, 5]);
        expect(after.state.failuresTotal).toBe(3);
        expect(after.state.successesTotal).toBe(2);
        const waits = releasing.slice(0, 5).map((p) => (now - p.apply_timestamp) / 1000);
        expect(after.state.reviewWait.count).toBe(5);
        expect(after.state.reviewWait.sum).toBeCloseTo(waits.reduce((a, b) => a + b, 0), 3);
      });
    },
  );

  it("counts a success whose apply time is in seconds, but leaves its review wait out", async () => {
    const pkgs = packages({ succeeded: 2, releasing: 2 });
    const odd = pkgs.find((p) => p.deploy_status === DeployStatus.releasing)!;
    odd.apply_timestamp = Math.floor(odd.apply_timestamp / 1000);
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const pager = pagerFor(sim);
      const base = await poll(sim, initialState(key), pager);
      sim.control.setStatus(PROJECT, WS, odd.package_id, DeployStatus.succeeded, Date.now());
      const { state } = await poll(sim, base.state, pager);
      expect(state.successesTotal).toBe(1);
      expect(state.reviewWait.count).toBe(0);
    });
  });

  it.each(["page", "offset"] as const)(
    "counts a burst of 250 new failures exactly once across pages and polls (service reads offset as a %s)",
    async (served) => {
      const pkgs = packages({ pending_review: 5, succeeded: 50, failed: 20, releasing: 300 });
      await withSim(
        oneWorkspace(pkgs),
        async (sim) => {
          const pager = pagerFor(sim);
          const base = await poll(sim, initialState(key), pager);
          const releasing = sim.control.packages(PROJECT, WS).filter((p) => p.deploy_status === DeployStatus.releasing);
          for (const p of releasing.slice(0, 250)) sim.control.setStatus(PROJECT, WS, p.package_id, DeployStatus.failed, Date.now());
          const burst = await poll(sim, base.state, pager);
          const after = await poll(sim, burst.state, pager);
          expect(base.state.failuresTotal).toBe(0);
          expect(burst.state.failuresTotal).toBe(250);
          expect(burst.requests).toBeGreaterThan(5);
          expect(after.state.failuresTotal).toBe(250);
          expect(after.requests).toBeLessThanOrEqual(5 + Math.ceil(250 / 100) + 1);
        },
        served,
      );
    },
  );

  it("counts a long release that fails after several polls, even though it started before them", async () => {
    const now = Date.now();
    const pkgs = packages({ succeeded: 3, releasing: 1 }, now - 5 * 3_600_000);
    const longRelease = pkgs.find((p) => p.deploy_status === DeployStatus.releasing)!;
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const pager = pagerFor(sim);
      let { state } = await poll(sim, initialState(key), pager);
      ({ state } = await poll(sim, state, pager));
      sim.control.setStatus(PROJECT, WS, longRelease.package_id, DeployStatus.failed, longRelease.deploy_timestamp);
      ({ state } = await poll(sim, state, pager));
      ({ state } = await poll(sim, state, pager));
      expect(state.failuresTotal).toBe(1);
    });
  });

  it("keeps to 5 requests per poll while a release has been stuck for a week, and counts it once when it fails", async () => {
    const now = Date.now();
    const pkgs = generatePackages({ projectId: PROJECT, workspaceId: WS, counts: { succeeded: 5_000, failed: 2_000, releasing: 3 }, now, maxAgeMs: 30 * DAY, seed: 3 });
    const stuck = pkgs.find((p) => p.deploy_status === DeployStatus.succeeded)!;
    Object.assign(stuck, { deploy_status: DeployStatus.releasing, deploy_timestamp: now - 7 * DAY });
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const pager = pagerFor(sim);
      let { state } = await poll(sim, initialState(key), pager);
      const costs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const result = await poll(sim, state, pager);
        state = result.state;
        costs.push(result.requests);
      }
      expect(costs).toEqual([5, 5, 5]);
      sim.control.setStatus(PROJECT, WS, stuck.package_id, DeployStatus.failed, stuck.deploy_timestamp);
      ({ state } = await poll(sim, state, pager));
      const after = await poll(sim, state, pager);
      expect(after.state.failuresTotal).toBe(1);
      expect(after.requests).toBe(5);
    });
  });

  it("does not count failures that existed when the exporter started", async () => {
    await withSim(oneWorkspace(packages({ failed: 30 }, Date.now())), async (sim) => {
      const pager = pagerFor(sim);
      let { state } = await poll(sim, initialState(key), pager);
      ({ state } = await poll(sim, state, pager));
      expect(state.failuresTotal).toBe(0);
    });
  });

  it("lists pending packages oldest first up to the series limit, paging past 100", async () => {
    const pkgs = packages({ pending_review: 250, succeeded: 5 });
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const { state } = await poll(sim, initialState(key), pagerFor(sim, "page"), 120);
      const pending = state.data!.pending;
      expect(pending).toHaveLength(120);
      const applies = pkgs.filter((p) => p.deploy_status === DeployStatus.pendingReview).map((p) => p.apply_timestamp).sort((a, b) => a - b);
      expect(pending.map((p) => p.applyMs)).toEqual(applies.slice(0, 120));
      expect(state.data!.counts.pending_review).toBe(250);
    });
  });
});
