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
const RUNBOOK_BASE = "https://github.com/dataarts-exporter/dataarts-exporter#runbook-";

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
const operations = readFileSync(join(ROOT, "README.md"), "utf8");

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
        "DataArtsExporterAbsent",
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

  it("links to its runbook entry in the README", () => {
    expect(rule.annotations?.runbook_url).toBe(RUNBOOK_BASE + rule.alert.toLowerCase());
    const headings = [...operations.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1] ?? ""));
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
