/**
 * Routing by team, end to end: workspaces with `team` labels in the exporter's
 * config, Debian's Prometheus with our alerts.yml, Debian's Alertmanager with our
 * alertmanager.yml, and a small HTTP sink in place of the teams' webhooks. Only
 * what a test cannot wait for is changed: 1s intervals, `for` and group waits of
 * seconds, and the example webhook URLs pointed at the sink (same paths).
 */
import { createServer, Server } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { RunningSimulator, SIM_CREDENTIALS, generatePackages, startSimulator } from "../../src/simulator";
import { scrape, tempDir } from "../helpers/exporter-process";
import { family } from "../helpers/promtool";
import { simProjectYaml } from "../helpers/sim";
import { Daemons, startStack, stopStack } from "./running-stack";
import { PROMETHEUS_DIR, alertReading, alertmanagerAlerts } from "./stack";

const PROJECT = "7ea70000000000000000000000000001";
/** Three teams as in docs/teams.md: two own a workspace each, the platform team gets what no team claims. */
const FINANCE = { id: "7ea7000000000000000000000000000a", name: "Finance Reporting", team: "finance-data" };
const IOT = { id: "7ea7000000000000000000000000000b", name: "IoT Telemetry", team: "iot" };
const LEGACY = { id: "7ea7000000000000000000000000000c", name: "Legacy ETL", team: undefined };
/** The inhibition's pair: their backlogs cross the threshold together, while the second is down. */
const LEDGER = { id: "7ea7000000000000000000000000000d", name: "Finance Ledger", team: "finance-data" };
const DEVICES = { id: "7ea7000000000000000000000000000e", name: "IoT Devices", team: "iot" };
const WORKSPACES = [FINANCE, IOT, LEGACY, LEDGER, DEVICES];

const INTERVAL = "1s";
const SHORT_FOR = "2s";
/** How long after the test adds them the inhibition pair's backlogs cross the threshold: time for the workspace to go down first. */
const CROSSING_MS = 25_000;

const AWAITING = alertReading(F.pendingOldestAge).alert!;
const DOWN = alertReading(F.up).alert!;
const thresholdMs = Number(/>\s*(\d+)/.exec(alertReading(F.pendingOldestAge).expr)?.[1]) * 1000;

const HALF_HOUR_MS = 1_800_000;
/** Recent packages only: no alert but the ones the test causes. */
const packagesOf = (workspaceId: string, seed: number) =>
  generatePackages({ projectId: PROJECT, workspaceId, now: Date.now(), maxAgeMs: HALF_HOUR_MS, seed, counts: { pending_review: 1, succeeded: 4, releasing: 1 } });
/** One package awaiting review, applied at `applyMs`. */
const stuck = (workspaceId: string, applyMs: number, firstId: number) =>
  generatePackages({ projectId: PROJECT, workspaceId, counts: { pending_review: 1 }, now: applyMs, maxAgeMs: 0, firstId })[0]!;

const exporterConfig = (simulatorUrl: string) => `
polling:
  interval: ${INTERVAL}
  timeout: 500ms
projects:
${simProjectYaml(PROJECT, simulatorUrl, "token")}${WORKSPACES.map((w) => `      - id: ${w.id}\n        name: ${w.name}${w.team ? `\n        labels: {team: ${w.team}}` : ""}`).join("\n")}
`;

/** What Alertmanager's webhook integration posts (the fields this test reads). */
interface Notification {
  path: string;
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

/** A webhook receiver for every team: records each notification with the path it was posted to. */
async function startSink(): Promise<{ server: Server; url: string; received: Notification[] }> {
  const received: Notification[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const parsed = JSON.parse(body) as Omit<Notification, "path">;
      received.push({ path: req.url ?? "", receiver: parsed.receiver, alerts: parsed.alerts });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/**
 * Our alertmanager.yml with the example webhook URLs sent to `sinkUrl` (keeping their
 * paths) and group waits of a second; routes, receivers and inhibitions as written.
 */
function writeAlertmanagerConfig(dir: string, sinkUrl: string): { file: string; receivers: string[] } {
  const doc = parseDocument(readFileSync(join(PROMETHEUS_DIR, "alertmanager.yml"), "utf8"));
  doc.setIn(["route", "group_wait"], "1s");
  doc.setIn(["route", "group_interval"], "2s");
  const receivers = (doc.get("receivers") as YAMLSeq<YAMLMap>).items;
  for (const receiver of receivers) {
    for (const hook of (receiver.get("webhook_configs") as YAMLSeq<YAMLMap> | undefined)?.items ?? []) {
      hook.set("url", sinkUrl + new URL(String(hook.get("url"))).pathname);
    }
  }
  const file = join(dir, "alertmanager.yml");
  writeFileSync(file, doc.toString());
  return { file, receivers: receivers.map((r) => String(r.get("name"))) };
}

describe("alerts routed by the team label of the workspace", () => {
  let dir: string;
  let sim: RunningSimulator;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const daemons = new Daemons();
  const { within } = daemons;
  let exporterUrl = "";
  let alertmanager = "";
  let receivers: string[] = [];

  /** Firing alerts the sink got, as receiver → "alertname workspace" entries, for one alert name. */
  function delivered(alertname: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const n of sink.received) {
      for (const a of n.alerts.filter((x) => x.status === "firing" && x.labels.alertname === alertname)) {
        (out[n.receiver] ??= []).push(a.labels.workspace!);
      }
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  const amAlerts = (alertname: string) => alertmanagerAlerts(alertmanager, alertname);

  beforeAll(async () => {
    dir = tempDir();
    sink = await startSink();
    sim = await startSimulator({
      scenario: { projects: [{ projectId: PROJECT, workspaces: WORKSPACES.map((w, i) => ({ id: w.id, name: w.name, packages: packagesOf(w.id, i + 1) })) }] },
      port: 0,
    });
    const am = writeAlertmanagerConfig(dir, sink.url);
    receivers = am.receivers;
    ({ exporterUrl, alertmanager } = await startStack(daemons, {
      dir,
      exporterConfig: exporterConfig(sim.url),
      exporterEnv: { SIM_STATIC: SIM_CREDENTIALS.staticToken },
      alertmanagerConfig: am.file,
      interval: INTERVAL,
      forDuration: SHORT_FOR,
    }));
  }, 90_000);

  afterAll(async () => {
    await stopStack(daemons, sim, dir);
    await new Promise((resolve) => sink?.server.close(resolve));
  }, 30_000);

  it(`delivers ${AWAITING} of each workspace to its team's receiver, and of a workspace without a team to the default one`, async () => {
    expect(thresholdMs).toBeGreaterThan(0);
    expect(receivers).toEqual(expect.arrayContaining(["platform", "finance-data", "iot"]));
    const longAgo = Date.now() - thresholdMs - 3_600_000;
    for (const [i, w] of [FINANCE, IOT, LEGACY].entries()) sim.control.addPackages(PROJECT, w.id, [stuck(w.id, longAgo, 1000 + i)]);

    const got = await within(`${AWAITING} delivered for all three workspaces`, 45_000, async () => {
      const d = delivered(AWAITING);
      return Object.values(d).flat().length >= 3 ? d : undefined;
    });
    expect(got).toEqual({ "finance-data": [FINANCE.name], iot: [IOT.name], platform: [LEGACY.name] });
    // Each receiver's webhook is its own URL: the sink saw each team's notifications on that team's path.
    for (const n of sink.received) expect(n.path).toBe(`/hooks/${n.receiver}`);
    const teams = sink.received.flatMap((n) => n.alerts.map((a) => [n.receiver, a.labels.team]));
    expect(teams).toContainEqual(["finance-data", FINANCE.team]);
    expect(teams).toContainEqual(["iot", IOT.team]);
  }, 60_000);

  it(`holds back ${AWAITING} of a workspace while ${DOWN} fires for it, and only for that workspace`, async () => {
    // Both backlogs cross the threshold CROSSING_MS from now, from data the exporter already has.
    const crossesAt = Date.now() + CROSSING_MS;
    const applyMs = crossesAt - thresholdMs;
    sim.control.addPackages(PROJECT, LEDGER.id, [stuck(LEDGER.id, applyMs, 2000)]);
    sim.control.addPackages(PROJECT, DEVICES.id, [stuck(DEVICES.id, applyMs, 2001)]);
    await within("the exporter to see both backlogs", 10_000, async () => {
      const ages = family(await scrape(exporterUrl), F.pendingOldestAge).filter((s) => [LEDGER.id, DEVICES.id].includes(s.labels.workspace_id!));
      return ages.length === 2 && ages.every((s) => s.value * 1000 >= thresholdMs - CROSSING_MS - 5_000) ? true : undefined;
    });

    // IoT Devices goes down: the exporter keeps its last data (and the backlog's age growing) for stale_after.
    sim.control.injectFault(PROJECT, DEVICES.id, { kind: "server_error" });
    const down = await within(`${DOWN} for ${DEVICES.name} delivered`, 30_000, async () => {
      const d = delivered(DOWN);
      return d.iot?.includes(DEVICES.name) ? d : undefined;
    });
    expect(down).toEqual({ iot: [DEVICES.name] });
    if (Date.now() >= crossesAt) throw new Error(`${DOWN} took longer than ${CROSSING_MS} ms: the test cannot tell the inhibition from a late alert`);

    // The control: the healthy workspace's backlog, crossing at the same moment, is delivered.
    await within(`${AWAITING} for ${LEDGER.name} delivered`, CROSSING_MS + 30_000, async () =>
      delivered(AWAITING)["finance-data"]?.includes(LEDGER.name) ? true : undefined,
    );
    const [downAlert] = await amAlerts(DOWN);
    const inhibited = await within(`Alertmanager to hold ${AWAITING} for ${DEVICES.name}`, 10_000, async () => {
      const a = (await amAlerts(AWAITING)).find((x) => x.labels.workspace_id === DEVICES.id);
      return a?.status.state === "suppressed" ? a : undefined;
    });
    expect(inhibited.labels).toMatchObject({ team: DEVICES.team, workspace: DEVICES.name });
    expect(inhibited.status.inhibitedBy).toEqual([downAlert!.fingerprint]);

    // Several group intervals later it is still held, and was never delivered; the same team's other workspace is not held.
    const heldSince = Date.now();
    await within("a few more group intervals", 15_000, async () => (Date.now() - heldSince > 6_000 ? true : undefined));
    const again = (await amAlerts(AWAITING)).find((x) => x.labels.workspace_id === DEVICES.id);
    expect(again?.status.state).toBe("suppressed");
    expect(delivered(AWAITING)).toEqual({ "finance-data": [LEDGER.name, FINANCE.name].sort(), iot: [IOT.name], platform: [LEGACY.name] });
    const other = (await amAlerts(AWAITING)).find((x) => x.labels.workspace_id === IOT.id);
    expect(other?.status).toMatchObject({ state: "active", inhibitedBy: [] });
  }, 120_000);
});
