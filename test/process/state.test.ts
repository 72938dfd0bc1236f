import { existsSync, mkdirSync, readFileSync, readdirSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeployStatus } from "../../src/dataarts/model";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { DELIVERY_FAMILIES as D } from "../../src/metrics/delivery";
import { StoredWorkspace, decodeState, encodeState } from "../../src/polling/state-file";
import { emptyHistogram } from "../../src/polling/state";
import { RunningSimulator, SIM_CREDENTIALS, generatePackages, startSimulator } from "../../src/simulator";
import { ExporterProcess, eventually, runCli, scrape, startExporter, tempDir, writeConfig } from "../helpers/exporter-process";
import { promtoolCheckMetrics, sample as value } from "../helpers/promtool";
import { simProjectYaml } from "../helpers/sim";

const P = "44444444444444444444444444444444";
const W = "ffffffffffffffffffffffffffffffff";
const env = { SIM_STATIC: SIM_CREDENTIALS.staticToken };

function configYaml(url: string): string {
  return `
polling:
  interval: 300ms
  timeout: 250ms
projects:
${simProjectYaml(P, url, "token")}      - id: ${W}
        name: delivery
`;
}

const counters = (text: string) => ({
  failures: value(text, F.failures),
  successes: value(text, D.successes),
  waits: value(text, `${D.reviewWait}_count`),
});

/** Scrapes once the workspace's poll count (by the simulator's request count) has moved past `polls` more polls. */
async function afterPolls(sim: RunningSimulator, exporter: ExporterProcess, polls: number): Promise<string> {
  const before = sim.control.requestCounts()[`${P}/${W}`] ?? 0;
  await eventually(async () => (sim.control.requestCounts()[`${P}/${W}`] ?? 0) >= before + 5 * polls || undefined, `${polls} polls`);
  return scrape(exporter.url);
}

async function upAgain(exporter: ExporterProcess): Promise<string> {
  return eventually(async () => {
    const text = await scrape(exporter.url);
    return value(text, F.up) === 1 ? text : undefined;
  }, "the first poll");
}

/** Ends `n` running releases: the first `failed` of them fail, the rest succeed, all deployed now. */
function endReleases(sim: RunningSimulator, failed: number, succeeded: number): void {
  const running = sim.control.packages(P, W).filter((p) => p.deploy_status === DeployStatus.releasing);
  if (running.length < failed + succeeded) throw new Error("not enough releases running");
  const now = Date.now();
  running.slice(0, failed).forEach((p) => sim.control.setStatus(P, W, p.package_id, DeployStatus.failed, now));
  running.slice(failed, failed + succeeded).forEach((p) => sim.control.setStatus(P, W, p.package_id, DeployStatus.succeeded, now));
}

async function stop(exporter: ExporterProcess): Promise<void> {
  exporter.child.kill("SIGTERM");
  const { code } = await exporter.exited;
  expect(code).toBe(0);
}

describe("accounting across a restart", () => {
  let sim: RunningSimulator;
  let config: string;

  beforeEach(async () => {
    const packages = generatePackages({ projectId: P, workspaceId: W, counts: { pending_review: 3, succeeded: 20, failed: 4, releasing: 30 }, now: Date.now(), seed: 11 });
    sim = await startSimulator({ scenario: { projects: [{ projectId: P, workspaces: [{ id: W, name: "delivery", packages }] }] }, port: 0 });
    config = writeConfig(tempDir(), configYaml(sim.url));
  });

  afterEach(async () => {
    await sim.close();
  });

  /** Runs the exporter until it has counted 1 failure and 1 success after its baseline: counters at A and B. */
  async function firstRun(args: string[]) {
    const exporter = await startExporter([`--config.file=${config}`, ...args], env);
    await upAgain(exporter);
    endReleases(sim, 1, 1);
    const text = await eventually(async () => {
      const t = await scrape(exporter.url);
      return value(t, F.failures) === 1 && value(t, D.successes) === 1 ? t : undefined;
    }, "one failure and one success");
    return { exporter, before: counters(text), text };
  }

  it("counts the 3 failures and 2 successes that happened while it was stopped, exactly once, with the same --storage.path", async () => {
    const dir = join(tempDir(), "state");
    const { exporter, before } = await firstRun([`--storage.path=${dir}`]);
    expect(before).toEqual({ failures: 1, successes: 1, waits: 2 });
    await stop(exporter);
    expect(existsSync(join(dir, "state.json"))).toBe(true);

    endReleases(sim, 3, 2);

    const again = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
    try {
      // From the first scrape on, the counters carry on from A and B: Prometheus never sees a reset.
      const restored = counters(await scrape(again.url));
      expect(restored.failures).toBeGreaterThanOrEqual(before.failures!);
      expect(restored.successes).toBeGreaterThanOrEqual(before.successes!);
      const first = await upAgain(again);
      expect(counters(first)).toEqual({ failures: 1 + 3, successes: 1 + 2, waits: 2 + 5 });
      const later = await afterPolls(sim, again, 3);
      expect(counters(later)).toEqual({ failures: 4, successes: 3, waits: 7 });
      expect(value(later, D.accountingResets, { reason: "no_state" })).toBe(0);
      expect(value(later, D.accountingResets, { reason: "too_old" })).toBe(0);
      expect(value(later, D.stateWriteErrors)).toBe(0);
      expect(Math.abs(value(later, D.stateLastWrite)! - Date.now() / 1000)).toBeLessThan(10);
      expect(again.output()).toContain('"state file loaded"');
      expect(promtoolCheckMetrics(later)).toBe("");
    } finally {
      await again.stop();
    }
  });

  it("after a SIGKILL shows no counter of the workspace until its first poll has caught up, so Prometheus never sees one step back", async () => {
    const dir = join(tempDir(), "state");
    const { exporter } = await firstRun([`--storage.path=${dir}`]);
    await eventually(async () => {
      const decoded = decodeState(readFileSync(join(dir, "state.json"), "utf8"));
      return (decoded.ok && decoded.workspaces[0]?.accounting.failuresTotal === 1 && decoded.workspaces[0].accounting.successesTotal === 1) || undefined;
    }, "a write holding the counts");
    exporter.child.kill("SIGKILL");
    await exporter.exited;
    // The first poll cannot end while the workspace hangs.
    sim.control.injectFault(P, W, { kind: "hang" });
    const again = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
    try {
      const held = await scrape(again.url);
      expect(counters(held)).toEqual({ failures: undefined, successes: undefined, waits: undefined });
      expect(value(held, F.up)).toBe(0);
      sim.control.clearFaults(P, W);
      const first = await upAgain(again);
      expect(counters(first)).toEqual({ failures: 1, successes: 1, waits: 2 });
    } finally {
      await again.stop();
    }
  });

  it("without --storage.path takes a new baseline after a restart, as before: what ended meanwhile is not counted", async () => {
    const { exporter, text } = await firstRun([]);
    expect(value(text, D.stateLastWrite)).toBeUndefined();
    expect(value(text, D.stateWriteErrors)).toBeUndefined();
    await stop(exporter);

    endReleases(sim, 3, 2);

    const again = await startExporter([`--config.file=${config}`], env);
    try {
      await upAgain(again);
      const later = await afterPolls(sim, again, 2);
      expect(counters(later)).toEqual({ failures: 0, successes: 0, waits: 0 });
      expect(value(later, D.accountingResets, { reason: "no_state" })).toBe(1);
    } finally {
      await again.stop();
    }
  });

  it("takes a new baseline with reason too_old when the stored window is older than metrics.catch_up_limit", async () => {
    const dir = join(tempDir(), "state");
    const { exporter } = await firstRun([`--storage.path=${dir}`]);
    await stop(exporter);
    endReleases(sim, 3, 2);
    writeFileSync(config, `${configYaml(sim.url).replace("projects:", "metrics:\n  catch_up_limit: 1ms\nprojects:")}`);

    const again = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
    try {
      await upAgain(again);
      const later = await afterPolls(sim, again, 2);
      // The values carry over (no counter reset), but nothing from the gap is counted.
      expect(counters(later)).toEqual({ failures: 1, successes: 1, waits: 2 });
      expect(value(later, D.accountingResets, { reason: "too_old" })).toBe(1);
      const line = again.output().split("\n").find((l) => l.includes("accounting starts a new baseline"));
      expect(JSON.parse(line!)).toMatchObject({
        level: 30,
        msg: "accounting starts a new baseline: releases that ended before this poll are not counted",
        reason: "too_old",
        workspace_id: W,
      });
    } finally {
      await again.stop();
    }
  });

  it("reads a valid file after every one of 16 SIGKILLs, half of them sent the moment a write begins, while it writes every poll round", async () => {
    const dir = join(tempDir(), "state");
    const path = join(dir, "state.json");
    // Thousands of workspaces kept from an earlier run (dormant until stale_after) make every write
    // several megabytes, so that a kill sent when the temporary file appears lands inside the write.
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, encodeState(dormantWorkspaces(10_000), Date.now()));
    let last = 0;
    let midWrite = 0;
    for (let round = 0; round < 16; round++) {
      const exporter = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
      expect(exporter.output()).toContain('"state file loaded"');
      expect(exporter.output()).not.toContain("unreadable");
      await upAgain(exporter);
      if (round % 3 === 0) sim.control.tick();
      if (round % 2 === 0) {
        // Several writes (one per 300 ms round), then a kill at a moment unrelated to them.
        await new Promise((r) => setTimeout(r, 400 + Math.floor(Math.random() * 500)));
      } else {
        await killWhenWriteBegins(exporter, dir, Math.floor(Math.random() * 10));
      }
      exporter.child.kill("SIGKILL");
      await exporter.exited;
      if (existsSync(`${path}.tmp`)) midWrite += 1;
      const decoded = decodeState(readFileSync(path, "utf8"));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      // Every workspace survives every kill, the dormant ones included.
      expect(decoded.workspaces).toHaveLength(10_001);
      const live = decoded.workspaces.find((w) => w.id === `${P}/${W}`)!;
      const total = live.accounting.failuresTotal + live.accounting.successesTotal;
      expect(total).toBeGreaterThanOrEqual(last);
      last = total;
    }
    // The kills did land inside writes (each such kill leaves its temporary file behind).
    expect(midWrite).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir).filter((f) => f.includes("unreadable"))).toEqual([]);
  }, 120_000);
});

/** Accounting of `n` workspaces no longer configured, each with releases counted in its window. */
function dormantWorkspaces(n: number): StoredWorkspace[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: `${P}/dormant-${i}`,
    lastSeenMs: now,
    accounting: {
      failuresTotal: i,
      successesTotal: i,
      reviewWait: emptyHistogram(),
      tracker: { baselined: true, seen: new Map(Array.from({ length: 20 }, (_, j) => [`failed:package-${j}@${now - j}`, now - j] as [string, number])) },
      previous: { startedMs: now, releasing: [] },
    },
  }));
}

/** Resolves `delayMs` after the exporter next creates its temporary state file, i.e. inside a write. */
async function killWhenWriteBegins(exporter: ExporterProcess, dir: string, delayMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => {
      watcher.close();
      reject(new Error(`no state write within 10s: ${exporter.output()}`));
    }, 10_000);
    const watcher = watch(dir, (_event, name) => {
      if (name !== "state.json.tmp" || !existsSync(join(dir, "state.json.tmp"))) return;
      watcher.close();
      clearTimeout(deadline);
      setTimeout(resolve, delayMs);
    });
  });
}

describe("a write cut short", () => {
  it("leaves the previous file in place: a torn temporary file from a kill is ignored and replaced", async () => {
    const packages = generatePackages({ projectId: P, workspaceId: W, counts: { succeeded: 3, releasing: 5 }, now: Date.now(), seed: 13 });
    const sim = await startSimulator({ scenario: { projects: [{ projectId: P, workspaces: [{ id: W, name: "delivery", packages }] }] }, port: 0 });
    try {
      const config = writeConfig(tempDir(), configYaml(sim.url));
      const dir = join(tempDir(), "state");
      const first = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
      await upAgain(first);
      endReleases(sim, 0, 2);
      await eventually(async () => value(await scrape(first.url), D.successes) === 2 || undefined, "two successes");
      await stop(first);
      // What a SIGKILL in the middle of a write leaves: the old file, and half of the new one beside it.
      const complete = readFileSync(join(dir, "state.json"), "utf8");
      writeFileSync(join(dir, "state.json.tmp"), complete.slice(0, complete.length / 2));
      const again = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
      try {
        expect(value(await scrape(again.url), D.successes)).toBe(2);
        expect(again.output()).toContain('"state file loaded"');
        await eventually(async () => decodeState(readFileSync(join(dir, "state.json"), "utf8")).ok && !existsSync(join(dir, "state.json.tmp")) || undefined, "the next write");
      } finally {
        await again.stop();
      }
    } finally {
      await sim.close();
    }
  });
});

describe("an unusable state file or directory", () => {
  let sim: RunningSimulator;
  let config: string;

  beforeAll(async () => {
    const packages = generatePackages({ projectId: P, workspaceId: W, counts: { succeeded: 5, failed: 2, releasing: 2 }, now: Date.now(), seed: 12 });
    sim = await startSimulator({ scenario: { projects: [{ projectId: P, workspaces: [{ id: W, name: "delivery", packages }] }] }, port: 0 });
    config = writeConfig(tempDir(), configYaml(sim.url));
  });

  afterAll(async () => {
    await sim.close();
  });

  it.each([
    ["corrupt", "\u0000\u0007 not json", "not valid JSON (truncated or corrupt)"],
    ["truncated", '{"format":"dataarts-exporter-state","version":1,"written_at":"2026-11-29T18:00:00.000Z","workspaces":[{"id":"', "not valid JSON (truncated or corrupt)"],
    ["newer-version", '{"format":"dataarts-exporter-state","version":7,"workspaces":[]}', "format version 7 is newer than this exporter's (1)"],
    ["foreign", '{"data":{"resultType":"vector"}}', "not a dataarts-exporter state file"],
    [
      "wrong-types",
      `{"format":"dataarts-exporter-state","version":1,"written_at":"2026-11-29T18:00:00.000Z","workspaces":[{"id":"${P}/${W}","last_seen_ms":1,"failures_total":"12"}]}`,
      "unexpected content at workspaces.0.failures_total: Invalid input: expected number, received string",
    ],
    [
      "negative-counter",
      `{"format":"dataarts-exporter-state","version":1,"written_at":"2026-11-29T18:00:00.000Z","workspaces":[{"id":"${P}/${W}","last_seen_ms":1,"failures_total":-3}]}`,
      "unexpected content at workspaces.0.failures_total: Too small: expected number to be >=0",
    ],
  ])("moves a %s file aside with a warning and starts fresh", async (_what, content, problem) => {
    const dir = tempDir();
    const path = join(dir, "state.json");
    writeFileSync(path, content);
    const exporter = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
    try {
      const text = await upAgain(exporter);
      const line = exporter.output().split("\n").find((l) => l.includes("state file unreadable"));
      const aside = readdirSync(dir).find((f) => f.startsWith("state.json.unreadable-"))!;
      expect(JSON.parse(line!)).toMatchObject({ level: 40, msg: "state file unreadable; moved aside, starting fresh", path, problem, moved_to: join(dir, aside) });
      expect(readFileSync(join(dir, aside), "utf8")).toBe(content);
      expect(value(text, D.accountingResets, { reason: "unreadable" })).toBe(1);
      await eventually(async () => existsSync(path) && decodeState(readFileSync(path, "utf8")).ok, "a fresh state file");
    } finally {
      await exporter.stop();
    }
  });

  it("refuses a directory it cannot write with one line and exit status 2, at start and with --config.check", () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    const dir = join(file, "state");
    for (const extra of [[], ["--config.check"]]) {
      const result = runCli([`--config.file=${config}`, `--storage.path=${dir}`, ...extra], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`dataarts-exporter: --storage.path: cannot write to "${dir}": ENOTDIR\n`);
    }
  });

  it("refuses a --storage.path that is a file, saying so in one line, with exit status 2", () => {
    const file = join(tempDir(), "state.json");
    writeFileSync(file, "");
    const result = runCli([`--config.file=${config}`, `--storage.path=${file}`, "--config.check"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`dataarts-exporter: --storage.path: cannot write to "${file}": ENOTDIR (it is a file, not a directory)\n`);
  });

  it("moves a state file that is a directory aside with a warning and starts fresh", async () => {
    const dir = tempDir();
    const path = join(dir, "state.json");
    mkdirSync(path);
    const exporter = await startExporter([`--config.file=${config}`, `--storage.path=${dir}`], env);
    try {
      const text = await upAgain(exporter);
      const line = exporter.output().split("\n").find((l) => l.includes("state file unreadable"));
      expect(JSON.parse(line!)).toMatchObject({ level: 40, msg: "state file unreadable; moved aside, starting fresh", path, problem: "not a regular file" });
      expect(value(text, D.accountingResets, { reason: "unreadable" })).toBe(1);
      await eventually(async () => existsSync(path) && decodeState(readFileSync(path, "utf8")).ok, "a fresh state file");
    } finally {
      await exporter.stop();
    }
  });
});
