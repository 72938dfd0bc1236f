import pino from "pino";
import { Config } from "../../src/config/config";
import { Exporter } from "../../src/exporter";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { shardOf } from "../../src/polling/shard";
import { projectTransport } from "../../src/connections";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, generatePackages, startSimulator } from "../../src/simulator";
import { FakeClock } from "../helpers/fake-clock";
import { ManualTimers } from "../helpers/manual-timers";
import { eventually } from "../helpers/exporter-process";
import { family } from "../helpers/promtool";

const PROJECT = "0123456789abcdef0123456789abcdef";
const ids = ["a", "b", "c", "d", "e", "f"].map((c) => c.repeat(32));

function scenario(): Scenario {
  return {
    projects: [
      {
        projectId: PROJECT,
        instanceId: "instance-1",
        workspaces: ids.map((id, i) => ({
          id,
          name: `ws-${i}`,
          packages: generatePackages({ projectId: PROJECT, workspaceId: id, counts: { pending_review: 2, succeeded: 3 }, now: Date.now(), seed: i }),
        })),
      },
    ],
  };
}

// The timeout is generous because a timed-out poll is not retried under manual timers:
// on a loaded machine a short one would fail a healthy workspace's only poll.
function config(sim: RunningSimulator, project: Partial<Config["projects"][number]>, concurrency = 4, timeoutMs = 5_000): Config {
  return {
    polling: { intervalMs: 60_000, timeoutMs, concurrency, pagination: "auto" },
    metrics: { packageSeriesLimit: 0, staleAfterMs: 600_000, catchUpLimitMs: 86_400_000 },
    projects: [
      {
        projectId: PROJECT,
        region: "cn-north-4",
        endpoint: sim.url,
        auth: { type: "aksk", accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey },
        workspaces: [],
        ...project,
      },
    ],
  };
}

function exporterFor(cfg: Config, timers: ManualTimers, shard = { ordinal: 0, total: 1 }, logs: string[] = []) {
  const logger = pino({ level: "debug" }, { write: (line: string) => void logs.push(line) });
  return new Exporter(cfg, {
    clock: new FakeClock(Date.now()),
    timers,
    random: () => 0,
    // Each project's transport as run.ts builds it, with no proxy variables set.
    transportFor: (project) => projectTransport(project, {}, logger),
    logger,
    build: { version: "test", revision: "test", branch: "test", platform: "linux/x64", nodejsVersion: "v20.0.0" },
    shard,
    owns: (p, w) => shard.total <= 1 || shardOf(p, w, shard.total) === shard.ordinal,
  });
}

async function scrapeText(exporter: Exporter): Promise<string> {
  return (await exporter.metrics(false)).toString();
}

const upOf = async (exporter: Exporter) =>
  Object.fromEntries(family(await scrapeText(exporter), F.up).map((s) => [s.labels.workspace_id, s.value]));

describe("the exporter wired in process", () => {
  let sim: RunningSimulator;
  beforeEach(async () => {
    sim = await startSimulator({ scenario: scenario(), port: 0 });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("serves scrapes from memory: a hundred scrapes make no API request", async () => {
    const timers = new ManualTimers();
    const exporter = exporterFor(config(sim, { workspaces: [{ id: ids[0]!, name: "one", intervalMs: 60_000 }] }), timers);
    exporter.start();
    timers.fireAll();
    await eventually(async () => (await upOf(exporter))[ids[0]!] === 1, "the first poll");
    const before = JSON.stringify(sim.control.requestCounts());
    const builds = exporter.metricsBuilds;
    for (let i = 0; i < 100; i++) await exporter.metrics(i % 2 === 0);
    expect(JSON.stringify(sim.control.requestCounts())).toBe(before);
    // The exporter's clock stands still here: one second, one version of the data, one build.
    expect(exporter.metricsBuilds - builds).toBeLessThanOrEqual(1);
    exporter.stop();
  });

  it("polls the workspaces discovery finds, and drops those it no longer finds", async () => {
    const timers = new ManualTimers();
    const exporter = exporterFor(config(sim, { discover: { instanceId: "instance-1", refreshMs: 600_000, intervalMs: 60_000 } }), timers);
    exporter.start();
    timers.fireAll(); // discovery
    await eventually(async () => exporter.workspaceStates().length === 6, "discovery");
    timers.fireAll(); // the polls
    await eventually(async () => Object.values(await upOf(exporter)).filter((v) => v === 1).length === 6, "six polls");
    const names = family(await scrapeText(exporter), F.info).map((s) => s.labels.workspace);
    expect(names).toEqual(["ws-0", "ws-1", "ws-2", "ws-3", "ws-4", "ws-5"]);
    sim.control.removeWorkspace(PROJECT, ids[5]!);
    const refresh = timers.pending().filter((t) => t.ms === 600_000);
    timers.planned = timers.planned.filter((t) => !refresh.includes(t));
    refresh.forEach((t) => t.fn());
    await eventually(async () => exporter.workspaceStates().length === 5, "the next discovery");
    expect(await scrapeText(exporter)).not.toContain(ids[5]);
    exporter.stop();
  });

  it("lets a busy scrape have the last body after a discovery refresh that found the same workspaces, and not after one that found others", async () => {
    const timers = new ManualTimers();
    const logs: string[] = [];
    const exporter = exporterFor(config(sim, { discover: { instanceId: "instance-1", refreshMs: 600_000, intervalMs: 60_000 } }), timers, undefined, logs);
    exporter.start();
    timers.fireAll(); // discovery
    await eventually(async () => exporter.workspaceStates().length === 6, "discovery");
    const refreshes = () => logs.filter((l) => l.includes("workspaces discovered")).length;
    const refresh = async (count: number) => {
      const due = timers.pending().filter((t) => t.ms === 600_000);
      timers.planned = timers.planned.filter((t) => !due.includes(t));
      due.forEach((t) => t.fn());
      await eventually(async () => refreshes() === count, `discovery ${count}`);
    };
    const busyScrape = async () => (await exporter.metricsBody("text", "identity", { inFlight: 2 }).bytes("identity")).toString();
    const discoveryRequests = (text: string) => family(text, F.apiRequests).filter((s) => s.labels.workspace_id === "").reduce((n, s) => n + s.value, 0);
    const first = await scrapeText(exporter);
    await refresh(2);
    // The clock stands still: same second, and only the refresh's request is new.
    expect(await busyScrape()).toBe(first);
    expect(discoveryRequests(await scrapeText(exporter))).toBe(discoveryRequests(first) + 1);
    sim.control.removeWorkspace(PROJECT, ids[5]!);
    await refresh(3);
    expect(first).toContain(ids[5]);
    expect(await busyScrape()).not.toContain(ids[5]);
    exporter.stop();
  });

  it("polls only its own shard's workspaces, and the shards together poll each workspace once", async () => {
    const seen: string[] = [];
    for (const ordinal of [0, 1, 2]) {
      const exporter = exporterFor(
        config(sim, { workspaces: ids.map((id) => ({ id, name: id, intervalMs: 60_000 })) }),
        new ManualTimers(),
        { ordinal, total: 3 },
      );
      exporter.start();
      const mine = exporter.workspaceStates().map((s) => s.key.workspaceId);
      expect(mine.every((id) => shardOf(PROJECT, id, 3) === ordinal)).toBe(true);
      seen.push(...mine);
      const text = await scrapeText(exporter);
      expect(family(text, F.shardOrdinal)[0]!.value).toBe(ordinal);
      expect(family(text, F.totalShards)[0]!.value).toBe(3);
      exporter.stop();
    }
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it("polls every entry of a project listed twice (one per DataArts instance)", async () => {
    const timers = new ManualTimers();
    const base = config(sim, {});
    const entry = (id: string) => ({ ...base.projects[0]!, workspaces: [{ id, name: id, intervalMs: 60_000 }] });
    const exporter = exporterFor({ ...base, projects: [entry(ids[0]!), entry(ids[1]!)] }, timers);
    exporter.start();
    timers.fireAll();
    await eventually(async () => {
      const up = await upOf(exporter);
      return up[ids[0]!] === 1 && up[ids[1]!] === 1;
    }, "both entries' workspaces to be polled");
    exporter.stop();
  });

  it("does not bring back the series of a workspace removed while its poll was in flight", async () => {
    sim.control.injectFault(PROJECT, ids[1]!, { kind: "slow", delayMs: 300 });
    const timers = new ManualTimers();
    const both = config(sim, { workspaces: ids.slice(0, 2).map((id) => ({ id, name: id, intervalMs: 60_000 })) });
    const logs: string[] = [];
    const exporter = exporterFor(both, timers, undefined, logs);
    exporter.start();
    timers.fireAll();
    await eventually(async () => sim.control.requestCounts()[`${PROJECT}/${ids[1]}`]! >= 1, "the slow poll to start");
    exporter.reloadWith(config(sim, { workspaces: [{ id: ids[0]!, name: ids[0]!, intervalMs: 60_000 }] }));
    // The answer (200) or, on a loaded machine, the 400 ms timeout (code "error"): either ends the request late.
    const ended = (line: string) => line.includes('"api request"') && line.includes(ids[1]!);
    await eventually(async () => logs.some(ended), "the slow request to end");
    expect(await scrapeText(exporter)).not.toContain(ids[1]!);
    exporter.stop();
  });

  it("keeps an unchanged project's IAM token across a reload", async () => {
    const timers = new ManualTimers();
    const cfg = config(sim, {
      auth: { type: "password", iamEndpoint: sim.url, domain: SIM_CREDENTIALS.domain, user: SIM_CREDENTIALS.user, password: SIM_CREDENTIALS.password },
      workspaces: [{ id: ids[0]!, name: "one", intervalMs: 60_000 }],
    });
    const exporter = exporterFor(cfg, timers);
    exporter.start();
    timers.fireAll();
    await eventually(async () => (await upOf(exporter))[ids[0]!] === 1, "the first poll");
    exporter.reloadWith(structuredClone(cfg));
    const before = sim.control.requestCounts()[`${PROJECT}/${ids[0]}`]!;
    timers.fireAll();
    await eventually(async () => sim.control.requestCounts()[`${PROJECT}/${ids[0]}`]! >= before + 5, "a poll after the reload");
    expect(sim.control.requestCounts().iam).toBe(1);
    exporter.stop();
  });

  it("applies a lower package series limit on reload at once, and none when series are turned off", async () => {
    const timers = new ManualTimers();
    const cfg = { ...config(sim, { workspaces: [{ id: ids[0]!, name: "one", intervalMs: 60_000 }] }), metrics: { packageSeriesLimit: 10, staleAfterMs: 600_000, catchUpLimitMs: 86_400_000 } };
    const exporter = exporterFor(cfg, timers);
    exporter.start();
    timers.fireAll();
    const series = async () => family(await scrapeText(exporter), F.pendingAge).length;
    await eventually(async () => (await series()) === 2, "the first poll's two pending packages");
    exporter.reloadWith({ ...cfg, metrics: { ...cfg.metrics, packageSeriesLimit: 1 } });
    expect(await series()).toBe(1);
    exporter.reloadWith({ ...cfg, metrics: { ...cfg.metrics, packageSeriesLimit: 0 } });
    expect(await series()).toBe(0);
    expect(family(await scrapeText(exporter), F.packages).find((s) => s.labels.status === "pending_review")?.value).toBe(2);
    exporter.stop();
  });

  it("keeps polling the other workspaces while one hangs", async () => {
    sim.control.injectFault(PROJECT, ids[1]!, { kind: "hang" });
    const timers = new ManualTimers();
    const workspaces = ids.slice(0, 3).map((id) => ({ id, name: id, intervalMs: 60_000 }));
    const exporter = exporterFor(config(sim, { workspaces }, 2, 1_500), timers);
    exporter.start();
    timers.fireAll();
    const up = await eventually(async () => {
      const u = await upOf(exporter);
      return u[ids[0]!] === 1 && u[ids[2]!] === 1 ? u : undefined;
    }, "the healthy workspaces' polls");
    expect(up[ids[1]!]).toBe(0);
    await eventually(async () => {
      const errors = family(await scrapeText(exporter), F.pollErrors).find((s) => s.labels.workspace_id === ids[1] && s.labels.reason === "timeout");
      return errors?.value === 1;
    }, "the hanging poll to time out");
    exporter.stop();
  });
});
