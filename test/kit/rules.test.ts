import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { EXPOSED_METRIC_NAMES } from "../../grafana/src/metric-names";
import { analyze } from "../../grafana/src/promql";
import {
  CHANGE_FAILURE_RATE_ALERT,
  CHANGE_FAILURE_RATE_MIN_RELEASES,
  PENDING_REVIEW_ALERT_SECONDS,
  RELEASING_ALERT_SECONDS,
} from "../../grafana/src/queries";

const ROOT = join(__dirname, "..", "..");
const RUNBOOK_BASE = "https://github.com/dataarts-exporter/dataarts-exporter/blob/main/docs/runbooks.md#runbook-";

interface Rule {
  alert: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
  promql_expr_test?: { expr: string }[];
}

const groups = (parse(readFileSync(join(ROOT, "prometheus/alerts.yml"), "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups;
const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => ({ ...r, group: g.name })));
/** Series our recording rules make: an alert may read them. */
const recorded = groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
const ruleTests = (parse(readFileSync(join(ROOT, "prometheus/rules.test.yml"), "utf8")) as { tests: RuleTest[] }).tests;
const cases = ruleTests.flatMap((t) => t.alert_rule_test ?? []);
const runbooks = readFileSync(join(ROOT, "docs/runbooks.md"), "utf8");

/** Runs a Prometheus tool and fails with everything it printed. */
function run(tool: string, ...args: string[]): void {
  const r = spawnSync(tool, args, { cwd: ROOT, encoding: "utf8" });
  if (r.error) throw new Error(`${tool} cannot run (${r.error.message}): apt-get install prometheus prometheus-alertmanager`);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
}

function seconds(duration: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600 };
  return [...duration.matchAll(/(\d+)([smh])/g)].reduce((n, [, v, u]) => n + Number(v) * (units[u ?? "s"] ?? 0), 0);
}

describe("promtool", () => {
  it("accepts the alert rules", () => run("promtool", "check", "rules", "prometheus/alerts.yml"));
  it("passes the rule unit tests", () => run("promtool", "test", "rules", "prometheus/rules.test.yml"));
  it("accepts the example and compose Prometheus configs with the rules they load", () =>
    run("promtool", "check", "config", "prometheus/prometheus.yml", "prometheus/prometheus-compose.yml"));
  it("and amtool accept the Alertmanager config", () => run("amtool", "check-config", "prometheus/alertmanager.yml"));
});

describe("the alert rules", () => {
  it("cover everything the operations kit promises", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "DataArtsAuthErrors",
        "DataArtsChangeFailureRateHigh",
        "DataArtsClockSkew",
        "DataArtsExporterAbsent",
        "DataArtsExporterConfigReloadFailed",
        "DataArtsExporterWebConfigReloadFailed",
        "DataArtsExporterStateWriteFailing",
        "DataArtsPackageAwaitingReviewTooLong",
        "DataArtsPollDataStale",
        "DataArtsReleasePackageFailed",
        "DataArtsReleaseRunningTooLong",
        "DataArtsShardMismatch",
        "DataArtsShardMissing",
        "DataArtsThrottled",
        "DataArtsWorkspaceDown",
      ].sort(),
    );
  });

  it("use the thresholds the dashboard colours red", () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)?.expr;
    expect(expr("DataArtsPackageAwaitingReviewTooLong")).toMatch(new RegExp(`> ${PENDING_REVIEW_ALERT_SECONDS}$`));
    expect(expr("DataArtsReleaseRunningTooLong")).toMatch(new RegExp(`> ${RELEASING_ALERT_SECONDS}$`));
    expect(expr("DataArtsChangeFailureRateHigh")).toContain(`:ratio24h > ${CHANGE_FAILURE_RATE_ALERT}\n`);
    expect(expr("DataArtsChangeFailureRateHigh")).toMatch(new RegExp(`>= ${CHANGE_FAILURE_RATE_MIN_RELEASES}$`));
  });
});

describe("the recording rules", () => {
  const records = groups.flatMap((g) => g.rules.filter((r) => r.record));

  it("record the change failure rate and the review-wait quantiles per workspace", () => {
    expect(records.map((r) => r.record)).toEqual(
      expect.arrayContaining([
        "workspace:dataarts_release_package_change_failure_rate:ratio24h",
        "workspace:dataarts_release_package_review_wait_seconds:p50_24h",
        "workspace:dataarts_release_package_review_wait_seconds:p90_24h",
      ]),
    );
  });

  it.each(records.map((r) => [r.record!, r] as const))("%s reads only series the exporter exposes or rules record, and has a promtool test", (name, rule) => {
    const { errors, selectors } = analyze(rule.expr);
    expect(errors).toEqual([]);
    for (const s of selectors) expect([...EXPOSED_METRIC_NAMES, ...recorded]).toContain(s.metric);
    const tested = ruleTests.flatMap((t) => t.promql_expr_test ?? []).map((t) => t.expr);
    expect(tested.some((expr) => expr.includes(name))).toBe(true);
  });
});

describe.each(alerts)("alert $alert", (rule) => {
  it("has the DataArts prefix and a severity of critical, warning or info", () => {
    expect(rule.alert).toMatch(/^DataArts[A-Z]/);
    expect(["critical", "warning", "info"]).toContain(rule.labels?.severity);
  });

  it("waits at least twice the default 60s poll interval before firing", () => {
    expect(seconds(rule.for ?? "0s")).toBeGreaterThanOrEqual(120);
  });

  it("has a summary and a description naming the workspace and the value", () => {
    expect(rule.annotations?.summary).toBeTruthy();
    if (rule.group !== "dataarts-exporter") expect(rule.annotations?.description).toContain("{{ $labels.workspace }}");
    // absent() has no value worth printing.
    if (rule.alert !== "DataArtsExporterAbsent") expect(rule.annotations?.description).toContain("{{ $value");
  });

  it("links to its runbook entry in docs/runbooks.md", () => {
    expect(rule.annotations?.runbook_url).toBe(RUNBOOK_BASE + rule.alert.toLowerCase());
    const headings = [...runbooks.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1] ?? ""));
    expect(headings).toContain(`runbook-${rule.alert.toLowerCase()}`);
  });

  it("reads only series the exporter or the scrape produce", () => {
    const { errors, selectors } = analyze(rule.expr);
    expect(errors).toEqual([]);
    for (const s of selectors) expect([...EXPOSED_METRIC_NAMES, "up", ...recorded]).toContain(s.metric);
  });

  it("has promtool cases where it fires and where it does not", () => {
    const mine = cases.filter((c) => c.alertname === rule.alert);
    expect(mine.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
    expect(mine.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
  });
});

/** The series the exporter writes per workspace: config `labels` (e.g. `team`) are on each of them. */
const PER_WORKSPACE_SERIES = EXPOSED_METRIC_NAMES.filter(
  (name) => name.startsWith("dataarts_release_") || name.startsWith("dataarts_workspace_") || name.startsWith("dataarts_poll_errors") || name.startsWith("dataarts_api_requests"),
);
const workspaceAlerts = alerts.filter((a) => analyze(a.expr).selectors.some((s) => PER_WORKSPACE_SERIES.includes(s.metric)));

/** PromQL node names of `expr`, as Prometheus' own UI parser reads it. */
function nodeNames(expr: string): string[] {
  const { parser } = require("@prometheus-io/lezer-promql") as { parser: { parse(e: string): { iterate(o: { enter(r: { name: string }): void }): void } } };
  const names: string[] = [];
  parser.parse(expr).iterate({ enter: (ref) => void names.push(ref.name) });
  return names;
}

describe("alerts on per-workspace series", () => {
  it("are the seven the routing by team is for", () => {
    expect(workspaceAlerts.map((a) => a.alert).sort()).toEqual(
      [
        "DataArtsAuthErrors",
        "DataArtsPackageAwaitingReviewTooLong",
        "DataArtsPollDataStale",
        "DataArtsReleasePackageFailed",
        "DataArtsReleaseRunningTooLong",
        "DataArtsThrottled",
        "DataArtsWorkspaceDown",
      ].sort(),
    );
  });

  it.each(workspaceAlerts)("$alert keeps every label of its series: no aggregation, no on() or ignoring()", (rule) => {
    const names = nodeNames(rule.expr);
    expect(names).not.toContain("AggregateExpr");
    expect(names).not.toContain("MatchingModifierClause");
  });

  it.each(workspaceAlerts)("$alert has a promtool case where it fires with the series' team label", (rule) => {
    const fired = cases.filter((c) => c.alertname === rule.alert).flatMap((c) => (c.exp_alerts ?? []) as Array<{ exp_labels?: Record<string, string> }>);
    expect(fired.length).toBeGreaterThan(0);
    for (const a of fired) expect(a.exp_labels?.team).toBe("finance-data");
  });
});

interface AlertmanagerRoute {
  receiver?: string;
  matchers?: string[];
  routes?: AlertmanagerRoute[];
}
const alertmanager = parse(readFileSync(join(ROOT, "prometheus/alertmanager.yml"), "utf8")) as {
  route: AlertmanagerRoute;
  receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }>;
  inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
};
/** `team="x"` matchers of the routes below the root, as [team, receiver]. */
const teamRoutes = (alertmanager.route.routes ?? []).flatMap((r) =>
  (r.matchers ?? []).flatMap((m) => {
    const team = /^team="([^"]+)"$/.exec(m)?.[1];
    return team ? [[team, r.receiver!] as const] : [];
  }),
);

/** The receivers `amtool config routes test` resolves the labels to, and whether --verify.receivers agreed. */
function routeOf(expected: string, labels: Record<string, string>): { receivers: string; verified: boolean } {
  const args = ["config", "routes", "test", "--config.file=prometheus/alertmanager.yml", `--verify.receivers=${expected}`];
  const r = spawnSync("amtool", [...args, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], { cwd: ROOT, encoding: "utf8" });
  if (r.error) throw new Error(`amtool cannot run (${r.error.message}): apt-get install prometheus-alertmanager`);
  return { receivers: r.stdout.split("\n")[0]!.trim(), verified: r.status === 0 };
}

describe("prometheus/alertmanager.yml routing by team", () => {
  const alert = (team?: string) => ({ alertname: "DataArtsPackageAwaitingReviewTooLong", job: "dataarts", workspace: "Finance Reporting", ...(team && { team }) });
  const fallback = alertmanager.route.receiver!;

  it("has a route, and a receiver with an example webhook, for at least two teams", () => {
    expect(teamRoutes.length).toBeGreaterThanOrEqual(2);
    for (const [, receiver] of teamRoutes) {
      expect(alertmanager.receivers.find((r) => r.name === receiver)?.webhook_configs?.[0]?.url).toMatch(/^https?:\/\//);
    }
  });

  it.each(teamRoutes)("amtool sends an alert of team %s to receiver %s", (team, receiver) => {
    expect(routeOf(receiver, alert(team))).toEqual({ receivers: receiver, verified: true });
  });

  it("amtool sends alerts without a team, or of a team without a route, to the default receiver", () => {
    expect(teamRoutes.map(([, r]) => r)).not.toContain(fallback);
    expect(routeOf(fallback, alert())).toEqual({ receivers: fallback, verified: true });
    expect(routeOf(fallback, alert("nobody"))).toEqual({ receivers: fallback, verified: true });
    expect(routeOf(fallback, { alertname: "DataArtsExporterAbsent", job: "dataarts", severity: "critical" })).toEqual({ receivers: fallback, verified: true });
  });

  it("amtool's verification fails for a wrong receiver, so the cases above can fail", () => {
    const [team, receiver] = teamRoutes[0]!;
    expect(routeOf(fallback, alert(team))).toEqual({ receivers: receiver, verified: false });
  });

  it("lets DataArtsWorkspaceDown inhibit the same workspace's stale-data and awaiting-review alerts, which exist in alerts.yml", () => {
    const inhibit = alertmanager.inhibit_rules.find((r) => r.source_matchers.includes('alertname="DataArtsWorkspaceDown"'));
    expect(inhibit).toBeDefined();
    const targets = /^alertname=~"(.+)"$/.exec(inhibit!.target_matchers[0] ?? "")?.[1]?.split("|");
    expect(targets?.sort()).toEqual(["DataArtsPackageAwaitingReviewTooLong", "DataArtsPollDataStale"]);
    for (const name of targets!) expect(alerts.map((a) => a.alert)).toContain(name);
    expect(inhibit!.equal).toEqual(expect.arrayContaining(["project_id", "workspace_id"]));
  });
});
