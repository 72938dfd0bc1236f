import { DeployStatus } from "../../src/dataarts/model";
import { createSimulator, generatePackages, scenarioByName, type ReleasePackage, type Scenario } from "../../src/simulator";
import { NOW } from "./helpers";

const DAY = 86_400_000;

function statuses(pkgs: readonly ReleasePackage[]): Set<number> {
  return new Set(pkgs.map((p) => p.deploy_status));
}

describe("generatePackages", () => {
  const spec = { workspaceId: "w", projectId: "p", counts: { pending_review: 5, succeeded: 20, failed: 3, releasing: 2 }, now: NOW, maxAgeMs: 7 * DAY, seed: 3 };

  it("is deterministic for a seed and differs across seeds", () => {
    expect(generatePackages(spec)).toEqual(generatePackages(spec));
    expect(generatePackages({ ...spec, seed: 4 })).not.toEqual(generatePackages(spec));
  });

  it("makes the requested number of each status", () => {
    const pkgs = generatePackages(spec);
    const count = (s: number) => pkgs.filter((p) => p.deploy_status === s).length;
    expect([count(1), count(2), count(3), count(5)]).toEqual([5, 20, 3, 2]);
  });

  it("keeps times consistent: applied within the age range, deployed after applying and not in the future, pending never deployed", () => {
    for (const p of generatePackages(spec)) {
      expect(p.apply_timestamp).toBeGreaterThanOrEqual(NOW - 7 * DAY);
      expect(p.apply_timestamp).toBeLessThanOrEqual(NOW);
      if (p.deploy_status === DeployStatus.pendingReview) {
        expect(p.deploy_timestamp).toBe(0);
        expect(p.deploy_user_name).toBeUndefined();
      } else {
        expect(p.deploy_timestamp).toBeGreaterThanOrEqual(p.apply_timestamp);
        expect(p.deploy_timestamp).toBeLessThanOrEqual(NOW);
        expect(p.package_approvers).toEqual([{ user_id: p.deploy_user_id, user_name: p.deploy_user_name }]);
      }
    }
  });

  it("numbers packages in apply order from firstId, with realistic names and the service's project_id form", () => {
    const pkgs = generatePackages({ ...spec, firstId: 100 });
    expect(pkgs.map((p) => p.package_id)).toEqual(pkgs.map((_, i) => String(100 + i)));
    expect(pkgs.every((p, i) => i === 0 || p.apply_timestamp >= pkgs[i - 1]!.apply_timestamp)).toBe(true);
    for (const p of pkgs) {
      expect(p.package_name).toMatch(/^[a-z0-9_]+_\d{14}$/);
      expect(p.project_id).toBe("p-workspace-w");
      expect(p.apply_user_id).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it("refuses unknown statuses and negative or fractional counts", () => {
    expect(() => generatePackages({ ...spec, counts: { approved: 1 } as never })).toThrow(/unknown status/);
    expect(() => generatePackages({ ...spec, counts: { failed: -1 } })).toThrow(/non-negative/);
    expect(() => generatePackages({ ...spec, counts: { failed: 1.5 } })).toThrow(/non-negative/);
  });
});

describe("scenarioByName", () => {
  it("refuses an unknown name, listing the valid ones", () => {
    expect(() => scenarioByName("huge")).toThrow(/unknown scenario "huge".*demo, small, empty/);
  });

  it("small has two projects, each workspace holding a few packages of every status", () => {
    const s = scenarioByName("small", { now: NOW });
    expect(s.projects).toHaveLength(2);
    for (const ws of s.projects.flatMap((p) => p.workspaces)) {
      expect(statuses(ws.packages)).toEqual(new Set([1, 2, 3, 5]));
      expect(ws.packages.length).toBeLessThan(20);
    }
  });

  it("empty has a workspace and no packages", () => {
    const s = scenarioByName("empty", { now: NOW });
    expect(s.projects[0]!.workspaces).toHaveLength(1);
    expect(s.projects[0]!.workspaces[0]!.packages).toEqual([]);
  });

  it("demo has one project, three named workspaces and a few dozen packages, one of them pending for days", () => {
    const s = scenarioByName("demo", { now: NOW });
    expect(s.projects).toHaveLength(1);
    const wss = s.projects[0]!.workspaces;
    expect(wss.map((w) => w.name)).toEqual(["Retail Data Warehouse", "Finance Reporting", "IoT Telemetry"]);
    const all = wss.flatMap((w) => w.packages);
    expect(all.length).toBeGreaterThanOrEqual(24);
    expect(all.length).toBeLessThanOrEqual(100);
    const stuck = all.filter((p) => s.life!.stuckPackageIds!.includes(p.package_id) && p.workspace_id === wss[0]!.id);
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ deploy_status: 1 });
    expect(NOW - stuck[0]!.apply_timestamp).toBeGreaterThan(3 * DAY);
  });

  it("fleet has as many workspaces as asked for, in one instance, 48 packages each with 4 awaiting review", () => {
    const s = scenarioByName("fleet", { now: NOW, workspaces: 25 });
    const wss = s.projects[0]!.workspaces;
    expect(s.projects[0]!.instanceId).toBeDefined();
    expect(new Set(wss.map((w) => w.id)).size).toBe(25);
    for (const ws of wss) {
      expect(ws.packages).toHaveLength(48);
      expect(ws.packages.filter((p) => p.deploy_status === 1)).toHaveLength(4);
    }
  });

  it("is deterministic for a given time and seed", () => {
    expect(scenarioByName("demo", { now: NOW })).toEqual(scenarioByName("demo", { now: NOW }));
  });
});

describe("demo life", () => {
  const TICK = 5_000;

  function run(ticks: number, scenario: Scenario = scenarioByName("demo", { now: NOW })) {
    const clock = { now: NOW };
    const { control } = createSimulator({ scenario, clock: () => clock.now });
    const project = scenario.projects[0]!;
    const history = new Map<string, number[]>();
    const snapshot = () => {
      for (const ws of project.workspaces) {
        for (const p of control.packages(project.projectId, ws.id)) {
          const key = `${ws.id}/${p.package_id}`;
          const seen = history.get(key) ?? [];
          if (seen[seen.length - 1] !== p.deploy_status) seen.push(p.deploy_status);
          history.set(key, seen);
        }
      }
    };
    snapshot();
    for (let i = 0; i < ticks; i++) {
      clock.now += TICK;
      control.tick();
      snapshot();
    }
    return { control, project, history, clock };
  }

  it("applies new packages, reviews them into releasing, and finishes releases, some failing", () => {
    const { history } = run(200);
    const paths = [...history.values()].map((h) => h.join(">"));
    expect(paths).toContain("1>5>2");
    expect(paths).toContain("1>5>3");
    expect(paths.filter((p) => p.startsWith("1")).length).toBeGreaterThan(20);
  });

  it("only ever moves a package forward: pending → releasing → succeeded or failed", () => {
    const { history } = run(200);
    const legal = /^(1(>5(>[23])?)?|5(>[23])?|2|3)$/;
    for (const [key, h] of history) expect({ key, path: h.join(">") }).toEqual({ key, path: expect.stringMatching(legal) });
  });

  it("stamps deploy_timestamp with the tick's time when a release starts or finishes", () => {
    const { control, project, clock } = run(30);
    const ws = project.workspaces[0]!;
    const recent = control.packages(project.projectId, ws.id).filter((p) => p.deploy_status !== 1 && p.deploy_timestamp > NOW);
    expect(recent.length).toBeGreaterThan(0);
    for (const p of recent) expect((p.deploy_timestamp - NOW) % TICK).toBe(0);
    expect(Math.max(...recent.map((p) => p.deploy_timestamp))).toBeLessThanOrEqual(clock.now);
  });

  it("keeps the long-pending package pending", () => {
    const { control, project } = run(200);
    const scenario = scenarioByName("demo", { now: NOW });
    const stuckId = scenario.life!.stuckPackageIds![0]!;
    const stuck = control.packages(project.projectId, project.workspaces[0]!.id).find((p) => p.package_id === stuckId);
    expect(stuck).toMatchObject({ deploy_status: 1, deploy_timestamp: 0 });
  });

  it("is deterministic given its seed and clock", () => {
    const a = run(50);
    const b = run(50);
    const ws = a.project.workspaces[1]!.id;
    expect(a.control.packages(a.project.projectId, ws)).toEqual(b.control.packages(b.project.projectId, ws));
  });

  it("drops the oldest finished packages beyond its cap", () => {
    const scenario = scenarioByName("demo", { now: NOW });
    scenario.life = { ...scenario.life, maxFinishedPerWorkspace: 10 };
    const { control, project } = run(50, scenario);
    for (const ws of project.workspaces) {
      const finished = control.packages(project.projectId, ws.id).filter((p) => p.deploy_status === 2 || p.deploy_status === 3);
      expect(finished.length).toBeLessThanOrEqual(10);
    }
  });
});
