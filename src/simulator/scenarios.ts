/** Named scenarios: plain data built from generatePackages, relative to a given `now`. */
import type { ReleasePackage } from "../dataarts/model";
import { generatePackages, newPackage, type StatusName } from "./generate";
import { hexId, Rng } from "./random";
import type { Scenario, ScenarioWorkspace } from "./types";

export interface ScenarioOptions {
  /** Unix ms the data is relative to; default Date.now(). */
  now?: number;
  seed?: number;
  /** Workspaces of the `fleet` scenario; default 1 000. */
  workspaces?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Counts = Partial<Record<StatusName, number>>;

/** Packages of a workspace in batches by age: pending and releasing ones are recent, finished ones spread out. */
function packagesFor(projectId: string, workspaceId: string, batches: Array<{ counts: Counts; maxAgeMs: number }>, now: number, seed: number): ReleasePackage[] {
  const out: ReleasePackage[] = [];
  batches.forEach((b, i) => {
    out.push(...generatePackages({ projectId, workspaceId, counts: b.counts, maxAgeMs: b.maxAgeMs, now, seed: seed * 31 + i, firstId: out.length + 1 }));
  });
  return out;
}

function workspace(projectId: string, name: string, isDefault: boolean, packages: (id: string) => ReleasePackage[]): ScenarioWorkspace {
  const id = hexId(`workspace:${projectId}:${name}`);
  return { id, name, isDefault, packages: packages(id) };
}

/** One project, three workspaces, a few dozen packages, and one package left pending for days. */
function demo(now: number, seed: number): Scenario {
  const projectId = hexId("project:demo");
  const mix = (pending: number, releasing: number, succeeded: number, failed: number) => (wsId: string) =>
    packagesFor(projectId, wsId, [
      { counts: { pending_review: pending }, maxAgeMs: 2 * HOUR },
      { counts: { releasing }, maxAgeMs: HOUR },
      { counts: { succeeded, failed }, maxAgeMs: 14 * DAY },
    ], now, seed);
  const retail = workspace(projectId, "Retail Data Warehouse", true, mix(4, 2, 20, 2));
  const stuck = newPackage(new Rng(seed), { projectId, workspaceId: retail.id, packageId: String(retail.packages.length + 1) }, now - 3 * DAY - 2 * HOUR);
  retail.packages.push(stuck);
  return {
    name: "demo",
    projects: [{
      projectId,
      instanceId: hexId("instance:demo"),
      workspaces: [retail, workspace(projectId, "Finance Reporting", false, mix(2, 1, 12, 1)), workspace(projectId, "IoT Telemetry", false, mix(3, 1, 8, 3))],
    }],
    life: { seed, stuckPackageIds: [stuck.package_id] },
  };
}

/** Two projects, three workspaces, a few packages of each status. */
function small(now: number, seed: number): Scenario {
  const a = hexId("project:small-a");
  const b = hexId("project:small-b");
  const few = (projectId: string, n: number) => (wsId: string) =>
    generatePackages({ projectId, workspaceId: wsId, counts: { pending_review: n, succeeded: n + 1, failed: n - 1, releasing: n - 1 }, maxAgeMs: 7 * DAY, now, seed });
  return {
    name: "small",
    projects: [
      { projectId: a, workspaces: [workspace(a, "Sales DW", true, few(a, 3)), workspace(a, "Marketing Lab", false, few(a, 2))] },
      { projectId: b, workspaces: [workspace(b, "Operations", true, few(b, 2))] },
    ],
    life: { seed },
  };
}

function empty(): Scenario {
  const projectId = hexId("project:empty");
  return { name: "empty", projects: [{ projectId, workspaces: [workspace(projectId, "Empty Workspace", true, () => [])] }] };
}

/** One workspace of 100 000 packages, for benchmarks. */
function large(now: number, seed: number): Scenario {
  const projectId = hexId("project:large");
  const counts: Counts = { pending_review: 2_000, releasing: 500, succeeded: 95_000, failed: 2_500 };
  return {
    name: "large",
    projects: [{ projectId, workspaces: [workspace(projectId, "Enterprise Data Lake", true, (id) => generatePackages({ projectId, workspaceId: id, counts, now, seed, maxAgeMs: 365 * DAY }))] }],
    life: { seed },
  };
}

/** Many workspaces of one instance, found by discovery: 48 packages each (4 pending, 2 releasing), for the fleet benchmark. */
function fleet(now: number, seed: number, opts: ScenarioOptions): Scenario {
  const projectId = hexId("project:fleet");
  const n = opts.workspaces ?? 1_000;
  const mix = (wsId: string) =>
    packagesFor(projectId, wsId, [
      { counts: { pending_review: 4 }, maxAgeMs: 2 * HOUR },
      { counts: { releasing: 2 }, maxAgeMs: HOUR },
      { counts: { succeeded: 38, failed: 4 }, maxAgeMs: 14 * DAY },
    ], now, seed);
  const workspaces = Array.from({ length: n }, (_, i) => workspace(projectId, `fleet-${String(i).padStart(5, "0")}`, i === 0, mix));
  return { name: "fleet", projects: [{ projectId, instanceId: hexId("instance:fleet"), workspaces }], life: { seed } };
}

const SCENARIOS: Record<string, (now: number, seed: number, opts: ScenarioOptions) => Scenario> = { demo, small, empty, large, fleet };

export const SCENARIO_NAMES: readonly string[] = Object.keys(SCENARIOS);

export function scenarioByName(name: string, opts: ScenarioOptions = {}): Scenario {
  const build = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!build) throw new Error(`unknown scenario "${name}"; valid scenarios: ${SCENARIO_NAMES.join(", ")}`);
  return build(opts.now ?? Date.now(), opts.seed ?? 42, opts);
}
