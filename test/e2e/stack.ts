/**
 * Our Prometheus, Alertmanager and Grafana files, adapted for a test run on
 * loopback, and the HTTP APIs the end-to-end test reads.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseDocument, YAMLMap, YAMLSeq } from "yaml";
import { analyze } from "../../grafana/src/promql";

export const ROOT = join(__dirname, "../..");
export const PROMETHEUS_DIR = join(ROOT, "prometheus");

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>;
}

/**
 * Rules as written, with every `for` replaced by `forDuration`: the alerts
 * wait minutes on purpose, which a test cannot. Comments and everything else
 * stay as they are.
 */
export function withShortFor(ruleFileText: string, forDuration: string): string {
  const doc = parseDocument(ruleFileText);
  for (const group of (doc.get("groups") as YAMLSeq<YAMLMap>).items) {
    for (const rule of (group.get("rules") as YAMLSeq<YAMLMap>).items) {
      if (rule.has("for")) rule.set("for", forDuration);
    }
  }
  return doc.toString();
}

export interface PrometheusSetup {
  /** Where prometheus.yml is written; rule files go next to it, as our config names them relatively. */
  dir: string;
  exporterTarget: string;
  alertmanagerTarget: string;
  interval: string;
  forDuration: string;
}

/**
 * Writes our prometheus/prometheus.yml with the exporter's and Alertmanager's
 * test addresses and 1s intervals, and each rule file it loads with short
 * `for` durations. Returns the config's path and its scrape job name.
 */
export function writePrometheusConfig(setup: PrometheusSetup): { configFile: string; job: string; ruleFiles: string[] } {
  const doc = parseDocument(readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8"));
  doc.setIn(["global", "scrape_interval"], setup.interval);
  doc.setIn(["global", "evaluation_interval"], setup.interval);
  const alertmanagers = doc.getIn(["alerting", "alertmanagers"]) as YAMLSeq<YAMLMap>;
  for (const am of alertmanagers.items) {
    for (const sc of (am.get("static_configs") as YAMLSeq<YAMLMap>).items) sc.set("targets", [setup.alertmanagerTarget]);
  }
  const scrapeConfigs = (doc.get("scrape_configs") as YAMLSeq<YAMLMap>).items;
  if (scrapeConfigs.length !== 1) throw new Error(`prometheus.yml has ${scrapeConfigs.length} scrape configs; this test expects the exporter's only`);
  const job = String(scrapeConfigs[0]!.get("job_name"));
  for (const sc of (scrapeConfigs[0]!.get("static_configs") as YAMLSeq<YAMLMap>).items) sc.set("targets", [setup.exporterTarget]);

  const ruleFiles = (doc.toJS() as { rule_files: string[] }).rule_files;
  for (const file of ruleFiles) {
    writeFileSync(join(setup.dir, file), withShortFor(readFileSync(join(PROMETHEUS_DIR, file), "utf8"), setup.forDuration));
  }
  const configFile = join(setup.dir, "prometheus.yml");
  writeFileSync(configFile, doc.toString());
  return { configFile, job, ruleFiles };
}

/** The job name of the scrape config in our prometheus.yml: the alerts and the dashboard's $job select it. */
export function scrapeJob(): string {
  const config = parse(readFileSync(join(PROMETHEUS_DIR, "prometheus.yml"), "utf8")) as { scrape_configs: Array<{ job_name: string }> };
  return config.scrape_configs[0]!.job_name;
}

export function readRuleFile(path: string): RuleFile {
  return parse(readFileSync(path, "utf8")) as RuleFile;
}

/** The one alert rule in alerts.yml whose expression reads `metric`: found by what it watches, named as the file names it. */
export function alertReading(metric: string): Rule {
  const rules = readRuleFile(join(PROMETHEUS_DIR, "alerts.yml"))
    .groups.flatMap((g) => g.rules)
    .filter((r) => r.alert && analyze(r.expr).selectors.some((s) => s.metric === metric));
  if (rules.length !== 1) throw new Error(`expected one alert on ${metric} in alerts.yml, found ${rules.map((r) => r.alert).join(", ") || "none"}`);
  return rules[0]!;
}

export interface DashboardQuery {
  dashboard: string;
  panel: string;
  expr: string;
}
export interface VariableQuery {
  dashboard: string;
  name: string;
  /** The series selector of Grafana's `label_values(selector, label)`. */
  selector: string;
  label: string;
}

interface Panel {
  title?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string }>;
}

/** Every panel query and variable query of the committed dashboards (rows' nested panels included). */
export function dashboardQueries(): { panels: DashboardQuery[]; variables: VariableQuery[] } {
  const dir = join(ROOT, "grafana/dashboards");
  const panels: DashboardQuery[] = [];
  const variables: VariableQuery[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const dash = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
      panels?: Panel[];
      templating?: { list?: Array<{ type: string; name: string; query?: string | { query?: string } }> };
    };
    const walk = (ps: Panel[]): void =>
      ps.forEach((p) => {
        for (const t of p.targets ?? []) if (t.expr) panels.push({ dashboard: file, panel: p.title ?? "(untitled)", expr: t.expr });
        walk(p.panels ?? []);
      });
    walk(dash.panels ?? []);
    for (const v of dash.templating?.list ?? []) {
      if (v.type !== "query") continue;
      const query = typeof v.query === "string" ? v.query : (v.query?.query ?? "");
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      if (!m) throw new Error(`${file}: variable ${v.name} has a query this test cannot run: ${query}`);
      variables.push({ dashboard: file, name: v.name, selector: m[1]!, label: m[2]! });
    }
  }
  return { panels, variables };
}

/**
 * What Grafana sends to Prometheus for a query: its interval variables as
 * durations, the job variable as our job, and the team, project and workspace
 * variables as "All" (`.*` for team, which may be absent; `.+` for the others).
 */
export function expandDashboardVariables(expr: string, job: string, window = "1m"): string {
  const values: Record<string, string> = { job, team: ".*", project_id: ".+", workspace: ".+" };
  return expr
    .replace(/\$__(rate_interval|range|interval)\b/g, window)
    .replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare!;
      if (!(name in values)) throw new Error(`unknown dashboard variable ${whole} in ${expr}`);
      return values[name]!;
    });
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body}`);
  return JSON.parse(body) as T;
}

/** An instant query through Prometheus' HTTP API. */
export async function promQuery(prometheus: string, query: string): Promise<Sample[]> {
  const body = await getJson<{ status: string; data: { resultType: string; result: Sample[] | [number, string] } }>(
    `${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  // A scalar result (a bare number) is one sample without labels.
  const { resultType, result } = body.data;
  return resultType === "scalar" ? [{ metric: {}, value: result as [number, string] }] : (result as Sample[]);
}

/** Label values of the series a selector matches, as Grafana's label_values() asks for them. */
export async function promLabelValues(prometheus: string, label: string, selector: string): Promise<string[]> {
  const body = await getJson<{ data: string[] }>(`${prometheus}/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(selector)}`);
  return body.data;
}

export interface LoadedRuleGroup {
  name: string;
  file: string;
  rules: Array<{ name: string; type: string; duration?: number; state?: string; health: string; lastError?: string }>;
}

export async function promRules(prometheus: string): Promise<LoadedRuleGroup[]> {
  return (await getJson<{ data: { groups: LoadedRuleGroup[] } }>(`${prometheus}/api/v1/rules`)).data.groups;
}

export interface AlertmanagerAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

/** The alerts Alertmanager holds, through its v2 API. */
export async function alertmanagerAlerts(alertmanager: string, alertname: string): Promise<AlertmanagerAlert[]> {
  return getJson<AlertmanagerAlert[]>(`${alertmanager}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
}
