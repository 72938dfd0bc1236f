/**
 * End to end with the real thing: the simulator, the exporter process, Debian's
 * Prometheus loading our prometheus.yml and alerts.yml, and Debian's
 * Alertmanager with our alertmanager.yml, all on loopback with temporary data.
 * Only what a test cannot wait for is changed: intervals of 1s and `for`
 * durations of seconds. Every wait is a deadline on a real event.
 */
import { join } from "node:path";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { DeployStatus } from "../../src/dataarts/model";
import { RunningSimulator, SIM_CREDENTIALS, generatePackages, startSimulator } from "../../src/simulator";
import { scrape, tempDir } from "../helpers/exporter-process";
import { Daemons, startStack, stopStack } from "./running-stack";
import {
  PROMETHEUS_DIR,
  alertReading,
  alertmanagerAlerts,
  dashboardQueries,
  expandDashboardVariables,
  promLabelValues,
  promQuery,
  promRules,
  readRuleFile,
  scrapeJob,
} from "./stack";

const PROJECT = "e2e00000000000000000000000000001";
const HEALTHY = { id: "e2e0000000000000000000000000000a", name: "analytics" };
const BACKLOG = { id: "e2e0000000000000000000000000000b", name: "finance" };
const FAILING = { id: "e2e0000000000000000000000000000c", name: "iot" };

/** Scrape, rule evaluation and poll interval: seconds instead of minutes, so alerts fire within the test. */
const INTERVAL = "1s";
/** Replaces every `for` of our rules: long enough to pass through "pending", short enough to wait for. */
const SHORT_FOR = "2s";
/** What Grafana's $__range, $__rate_interval and $__interval become. */
const WINDOW = "1m";

const JOB = scrapeJob();
const awaitingReview = alertReading(F.pendingOldestAge);
const workspaceDown = alertReading(F.up);
/** The rule's threshold, so the stuck package is older than whatever alerts.yml says. */
const reviewThresholdSeconds = Number(/>\s*(\d+)/.exec(awaitingReview.expr)?.[1]);

const HOUR_MS = 3_600_000;
const now = Date.now();
/** Recent packages only (all within the last hour): no workspace starts beyond any alert threshold. */
const packagesOf = (workspaceId: string, seed: number) =>
  generatePackages({ projectId: PROJECT, workspaceId, now, maxAgeMs: HOUR_MS, seed, counts: { pending_review: 3, succeeded: 10, failed: 1, releasing: 3 } });

/** Only one workspace has a team: the dashboard's team variable has a value, and its All must still match the others. */
const FAILING_TEAM = "iot";
const exporterConfig = (simulatorUrl: string) => `
polling:
  interval: ${INTERVAL}
  timeout: 500ms
metrics:
  package_series: true
projects:
  - project_id: ${PROJECT}
    region: cn-north-4
    endpoint: ${simulatorUrl}
    auth:
      type: aksk
      access_key: \${SIM_AK}
      secret_key: \${SIM_SK}
    workspaces:
${[HEALTHY, BACKLOG, FAILING].map((w) => `      - id: ${w.id}\n        name: ${w.name}`).join("\n")}
        labels: {team: ${FAILING_TEAM}}
`;

/** A sample a panel can draw: Prometheus answers NaN, not nothing, e.g. for a quantile of no requests. */
const drawable = (s: { value: [number, string] }) => Number.isFinite(Number(s.value[1]));

describe("the exporter with a real Prometheus and Alertmanager", () => {
  let dir: string;
  let sim: RunningSimulator;
  const daemons = new Daemons();
  const { within } = daemons;
  let exporterUrl = "";
  let prometheus = "";
  let alertmanager = "";
  let ruleFiles: string[] = [];

  beforeAll(async () => {
    dir = tempDir();
    sim = await startSimulator({
      scenario: {
        projects: [
          {
            projectId: PROJECT,
            workspaces: [HEALTHY, BACKLOG, FAILING].map((w, i) => ({ ...w, packages: packagesOf(w.id, i + 1) })),
          },
        ],
      },
      port: 0,
    });
    const stack = await startStack(daemons, {
      dir,
      exporterConfig: exporterConfig(sim.url),
      exporterEnv: { SIM_AK: SIM_CREDENTIALS.accessKey, SIM_SK: SIM_CREDENTIALS.secretKey },
      alertmanagerConfig: join(PROMETHEUS_DIR, "alertmanager.yml"),
      interval: INTERVAL,
      forDuration: SHORT_FOR,
    });
    ({ exporterUrl, prometheus, alertmanager } = stack);
    expect(stack.prometheusConfig.job).toBe(JOB);
    ruleFiles = stack.prometheusConfig.ruleFiles;
  }, 90_000);

  afterAll(async () => {
    await stopStack(daemons, sim, dir);
  }, 30_000);

  it("loads our alert rules, different from alerts.yml in nothing but shorter `for` durations", async () => {
    expect(ruleFiles).toContain("alerts.yml");
    for (const file of ruleFiles) {
      const original = readRuleFile(join(PROMETHEUS_DIR, file));
      const loaded = readRuleFile(join(dir, file));
      const withoutFor = (f: typeof original) => f.groups.map((g) => ({ ...g, rules: g.rules.map(({ for: _, ...rest }) => rest) }));
      expect(withoutFor(loaded)).toEqual(withoutFor(original));
      const fors = (f: typeof original) => f.groups.flatMap((g) => g.rules.map((r) => r.for));
      expect(fors(loaded)).toEqual(fors(original).map((d) => (d === undefined ? undefined : SHORT_FOR)));
    }
    const groups = await within("Prometheus to load the rules", 10_000, async () => {
      const g = await promRules(prometheus);
      return g.length > 0 ? g : undefined;
    });
    // Prometheus lists groups in its own order; within a group, rules keep the file's.
    const byGroup = <G, R>(gs: G[], name: (g: G) => string, rules: (g: G) => R[]) => Object.fromEntries(gs.map((g) => [name(g), rules(g)]));
    const original = ruleFiles.flatMap((file) => readRuleFile(join(PROMETHEUS_DIR, file)).groups);
    expect(byGroup(groups, (g) => g.name, (g) => g.rules.map((r) => r.name))).toEqual(
      byGroup(original, (g) => g.name, (g) => g.rules.map((r) => r.alert ?? r.record)),
    );
    expect(groups.flatMap((g) => g.rules).filter((r) => r.health === "err")).toEqual([]);
  });

  it(`scrapes the exporter: up{job="${JOB}"} is 1`, async () => {
    const up = await within(`up{job="${JOB}"} == 1`, 20_000, async () => {
      const result = await promQuery(prometheus, `up{job="${JOB}"} == 1`);
      return result.length > 0 ? result : undefined;
    });
    expect(up).toHaveLength(1);
    expect(up[0]!.metric).toMatchObject({ job: JOB, instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  const { panels, variables } = dashboardQueries();

  describe("every dashboard query, sent as Grafana sends it", () => {
    beforeAll(async () => {
      // The failure panels need a failure after Prometheus has the counter at 0:
      // a release of the healthy workspace fails once the baseline is scraped.
      await within("Prometheus to have the failure counters", 20_000, async () => {
        const r = await promQuery(prometheus, `count_over_time(${F.failures}{job="${JOB}", workspace="${HEALTHY.name}"}[${WINDOW}]) >= 2`);
        return r.length > 0 ? r : undefined;
      });
      const releasing = sim.control.packages(PROJECT, HEALTHY.id).find((p) => p.deploy_status === DeployStatus.releasing)!;
      sim.control.setStatus(PROJECT, HEALTHY.id, releasing.package_id, DeployStatus.failed, Date.now());
      const counted = `${F.failures}{project_id="${PROJECT}",workspace_id="${HEALTHY.id}",workspace="${HEALTHY.name}"} 1`;
      await within("the exporter to count the failure", 10_000, async () => ((await scrape(exporterUrl)).includes(counted) ? true : undefined));
    }, 40_000);

    it.each(panels)("$panel: $expr returns data", async ({ expr }) => {
      const query = expandDashboardVariables(expr, JOB, WINDOW);
      const result = await within(`data for ${query}`, 20_000, async () => {
        const r = await promQuery(prometheus, query);
        return r.some(drawable) ? r : undefined;
      });
      expect(result.length).toBeGreaterThan(0);
    });

    it("shows the failed release in the failure panels", async () => {
      const failureQueries = panels.filter((p) => p.expr.includes(F.failures));
      expect(failureQueries.length).toBeGreaterThan(0);
      for (const { expr } of failureQueries) {
        const query = expandDashboardVariables(expr, JOB, WINDOW);
        await within(`a failure in ${query}`, 20_000, async () => {
          const r = await promQuery(prometheus, query);
          return r.some((s) => Number(s.value[1]) > 0) ? r : undefined;
        });
      }
    });

    it.each(variables)("variable $name offers values", async ({ selector, label }) => {
      const values = await within(`values of ${label}`, 10_000, async () => {
        const v = await promLabelValues(prometheus, label, expandDashboardVariables(selector, JOB, WINDOW));
        return v.length > 0 ? v : undefined;
      });
      if (label === "job") expect(values).toContain(JOB);
      if (label === "workspace") expect(values).toEqual(expect.arrayContaining([HEALTHY.name, BACKLOG.name, FAILING.name]));
      if (label === "team") expect(values).toEqual([FAILING_TEAM]);
    });
  });

  it(`fires ${awaitingReview.alert} for a package awaiting review beyond the threshold, and Alertmanager has it with the workspace`, async () => {
    expect(reviewThresholdSeconds).toBeGreaterThan(0);
    expect(await alertmanagerAlerts(alertmanager, awaitingReview.alert!)).toEqual([]);
    const [stuck] = generatePackages({
      projectId: PROJECT,
      workspaceId: BACKLOG.id,
      counts: { pending_review: 1 },
      now: Date.now() - reviewThresholdSeconds * 1000 - HOUR_MS,
      maxAgeMs: 0,
      firstId: 1000,
    });
    sim.control.addPackages(PROJECT, BACKLOG.id, [stuck!]);
    const alerts = await within(`Alertmanager to receive ${awaitingReview.alert}`, 30_000, async () => {
      const a = await alertmanagerAlerts(alertmanager, awaitingReview.alert!);
      return a.length > 0 ? a : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toMatchObject({ ...awaitingReview.labels, job: JOB, project_id: PROJECT, workspace: BACKLOG.name });
    expect(alerts[0]!.annotations.summary).toContain(BACKLOG.name);
    expect(alerts[0]!.status.state).toBe("active");
  });

  it(`fires ${workspaceDown.alert} when a workspace's API starts failing, and Alertmanager has it with the workspace`, async () => {
    expect(await alertmanagerAlerts(alertmanager, workspaceDown.alert!)).toEqual([]);
    sim.control.injectFault(PROJECT, FAILING.id, { kind: "server_error" });
    const alerts = await within(`Alertmanager to receive ${workspaceDown.alert}`, 30_000, async () => {
      const a = await alertmanagerAlerts(alertmanager, workspaceDown.alert!);
      return a.length > 0 ? a : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toMatchObject({ ...workspaceDown.labels, job: JOB, project_id: PROJECT, workspace: FAILING.name });
    expect(alerts[0]!.status.state).toBe("active");
  });
});
