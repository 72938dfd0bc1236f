/**
 * The flow of delivery end to end: the simulator, the exporter process with
 * --storage.path restarted in the middle, Debian's Prometheus loading our rules,
 * and Debian's Alertmanager. Every query of the dashboard's Delivery row and every
 * recording rule must return data through the real Prometheus, the counters must
 * carry on across the restart without a reset, and the change failure rate alert
 * must reach Alertmanager. Intervals are seconds; every wait is a deadline on a
 * real event.
 */
import { join } from "node:path";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { DELIVERY_FAMILIES as D } from "../../src/metrics/delivery";
import { DeployStatus } from "../../src/dataarts/model";
import { RunningSimulator, SIM_CREDENTIALS, generatePackages, startSimulator } from "../../src/simulator";
import { scrape, tempDir } from "../helpers/exporter-process";
import { simProjectYaml } from "../helpers/sim";
import { freePort } from "./processes";
import { Daemons, RunningStack, startStack, stopStack } from "./running-stack";
import { PROMETHEUS_DIR, alertmanagerAlerts, dashboardQueries, expandDashboardVariables, promQuery, readRuleFile, scrapeJob } from "./stack";

const PROJECT = "e2e00000000000000000000000000009";
const WS = { id: "e2e0000000000000000000000000009a", name: "delivery" };
const INTERVAL = "1s";
const SHORT_FOR = "2s";
const WINDOW = "1m";
const JOB = scrapeJob();
const CHANGE_FAILURE_ALERT = "DataArtsChangeFailureRateHigh";

const DELIVERY_METRICS = [D.successes, D.reviewWait, F.failures];
const deliveryPanels = dashboardQueries().panels.filter((p) => DELIVERY_METRICS.some((m) => p.expr.includes(m)));
const recorded = readRuleFile(join(PROMETHEUS_DIR, "alerts.yml"))
  .groups.flatMap((g) => g.rules)
  .flatMap((r) => (r.record ? [r.record] : []));

const exporterConfig = (simulatorUrl: string) => `
polling:
  interval: ${INTERVAL}
  timeout: 500ms
projects:
${simProjectYaml(PROJECT, simulatorUrl, "token")}      - id: ${WS.id}
        name: ${WS.name}
`;

const drawable = (s: { value: [number, string] }) => Number.isFinite(Number(s.value[1]));

describe("the flow of delivery through a real Prometheus, across an exporter restart", () => {
  let dir: string;
  let sim: RunningSimulator;
  const daemons = new Daemons();
  const { within } = daemons;
  let stack: RunningStack;
  let prometheus = "";
  let alertmanager = "";
  const exporterUrl = () => stack.exporterUrl;

  async function exporterUp(): Promise<string> {
    return within("the exporter's workspace to be up", 15_000, async () => {
      const text = await scrape(exporterUrl()).catch(() => "");
      return /^dataarts_workspace_up\{[^}]*\} 1$/m.test(text) ? text : undefined;
    });
  }

  /** Ends releases running in the simulator: `failed` of them fail, `succeeded` succeed, deployed now. */
  function endReleases(failed: number, succeeded: number): void {
    const running = sim.control.packages(PROJECT, WS.id).filter((p) => p.deploy_status === DeployStatus.releasing);
    const now = Date.now();
    running.slice(0, failed).forEach((p) => sim.control.setStatus(PROJECT, WS.id, p.package_id, DeployStatus.failed, now));
    running.slice(failed, failed + succeeded).forEach((p) => sim.control.setStatus(PROJECT, WS.id, p.package_id, DeployStatus.succeeded, now));
  }

  const counted = (text: string, name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text)?.[1]);

  beforeAll(async () => {
    dir = tempDir();
    const packages = generatePackages({ projectId: PROJECT, workspaceId: WS.id, now: Date.now(), maxAgeMs: 3_600_000, seed: 9, counts: { pending_review: 2, succeeded: 5, failed: 1, releasing: 30 } });
    sim = await startSimulator({ scenario: { projects: [{ projectId: PROJECT, workspaces: [{ ...WS, packages }] }] }, port: 0 });
    stack = await startStack(daemons, {
      dir,
      exporterConfig: exporterConfig(sim.url),
      exporterEnv: { SIM_STATIC: SIM_CREDENTIALS.staticToken },
      exporterArgs: [`--storage.path=${join(dir, "state")}`],
      // A fixed port: the exporter restarts on it and Prometheus keeps scraping the same target.
      exporterPort: await freePort(),
      alertmanagerConfig: join(PROMETHEUS_DIR, "alertmanager.yml"),
      interval: INTERVAL,
      forDuration: SHORT_FOR,
    });
    ({ prometheus, alertmanager } = stack);
    await exporterUp();
  }, 90_000);

  afterAll(async () => {
    await stopStack(daemons, sim, dir);
  }, 30_000);

  it("counts 6 failures and 6 successes, then, restarted with the same --storage.path, the 2 and 1 that ended while it was down", async () => {
    // Prometheus must hold the baseline (0) before anything ends, so increases see every release.
    await within("Prometheus to have the baseline", 20_000, async () => {
      const r = await promQuery(prometheus, `count_over_time(${D.successes}{job="${JOB}"}[${WINDOW}]) >= 2`);
      return r.length > 0 ? r : undefined;
    });
    endReleases(6, 6);
    await within("the exporter to count 6 and 6", 15_000, async () => {
      const text = await scrape(exporterUrl());
      return counted(text, F.failures) === 6 && counted(text, D.successes) === 6 ? text : undefined;
    });
    await within("Prometheus to scrape 6 and 6", 15_000, async () => {
      const r = await promQuery(prometheus, `${F.failures}{job="${JOB}"} == 6 and on() ${D.successes}{job="${JOB}"} == 6`);
      return r.length > 0 ? r : undefined;
    });

    await stack.stopExporter();
    endReleases(2, 1);
    await stack.startExporter();
    const text = await exporterUp();
    expect([counted(text, F.failures), counted(text, D.successes), counted(text, `${D.reviewWait}_count`)]).toEqual([8, 7, 15]);

    // Prometheus saw the counters carry on: no reset, and the new values.
    const resets = await within("Prometheus to scrape 8 and 7", 20_000, async () => {
      const r = await promQuery(prometheus, `${F.failures}{job="${JOB}"} == 8 and on() ${D.successes}{job="${JOB}"} == 7`);
      return r.length > 0 ? promQuery(prometheus, `resets(${F.failures}{job="${JOB}"}[5m]) + resets(${D.successes}{job="${JOB}"}[5m])`) : undefined;
    });
    expect(resets.map((s) => Number(s.value[1]))).toEqual([0]);
    const written = await promQuery(prometheus, `time() - ${D.stateLastWrite}{job="${JOB}"}`);
    expect(Number(written[0]?.value[1])).toBeLessThan(30);
  }, 90_000);

  it("has Delivery panels, each reading a delivery metric", () => {
    expect(deliveryPanels.map((p) => p.panel)).toEqual(
      expect.arrayContaining(["Change failure rate in range", "Review wait in range", "Releases per day by result"]),
    );
  });

  it.each(deliveryPanels)("$panel: $expr returns data", async ({ expr }) => {
    const query = expandDashboardVariables(expr, JOB, WINDOW);
    const result = await within(`data for ${query}`, 20_000, async () => {
      const r = await promQuery(prometheus, query);
      return r.some(drawable) ? r : undefined;
    });
    expect(result.length).toBeGreaterThan(0);
  });

  it.each(recorded)("recording rule %s returns data for the workspace", async (name) => {
    const result = await within(`data for ${name}`, 20_000, async () => {
      const r = await promQuery(prometheus, `${name}{workspace="${WS.name}"}`);
      return r.some(drawable) ? r : undefined;
    });
    expect(result[0]!.metric).toMatchObject({ job: JOB, project_id: PROJECT, workspace_id: WS.id, workspace: WS.name });
  });

  it("records a change failure rate of 8 failures in 15 releases", async () => {
    // The rule is evaluated every second: wait for an evaluation after the last scrape.
    const query = `workspace:dataarts_release_package_change_failure_rate:ratio24h{workspace="${WS.name}"}`;
    const rate = await within("the recorded rate to reach 8/15", 20_000, async () => {
      const [r] = await promQuery(prometheus, query);
      return r && Math.abs(Number(r.value[1]) - 8 / 15) < 1e-9 ? Number(r.value[1]) : undefined;
    });
    expect(rate).toBeCloseTo(8 / 15, 9);
  });

  it(`fires ${CHANGE_FAILURE_ALERT} (8 of 15 releases failed) and Alertmanager has it with the workspace`, async () => {
    // 6 of 12 before the restart is over the threshold too: the alert may fire with 50 % while the
    // exporter is down, and Alertmanager gets the final rate when Prometheus sends it again.
    const alerts = await within(`Alertmanager to have ${CHANGE_FAILURE_ALERT} at 8 of 15`, 30_000, async () => {
      const a = await alertmanagerAlerts(alertmanager, CHANGE_FAILURE_ALERT);
      return a.length > 0 && a.every((alert) => alert.annotations?.description?.includes("53.33%")) ? a : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toMatchObject({ alertname: CHANGE_FAILURE_ALERT, job: JOB, project_id: PROJECT, workspace: WS.name, severity: "warning" });
    expect(alerts[0]!.annotations.description).toContain("53.33%");
  });
});
