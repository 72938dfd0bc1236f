/** Extra labels from the config (`labels` on a project, `discover` and a workspace): the names allowed, reading and merging. */
import { Section } from "./section";

/** A workspace's extra labels in exposition order: sorted by name, so every series writes them alike. */
export type ExtraLabels = ReadonlyArray<readonly [string, string]>;

/** More extra labels than this on one workspace is almost certainly a mistake (and costs a label per series). */
export const MAX_EXTRA_LABELS = 10;

/**
 * Label names an extra label must not take, and who owns each. This is the one list:
 * a unit test renders every family of the metrics layer and fails on a label name
 * missing here, and another reads the labels prometheus/alerts.yml sets.
 */
export const RESERVED_LABELS: Readonly<Record<string, string>> = {
  // On the exporter's own series.
  project_id: "the exporter",
  workspace_id: "the exporter",
  workspace: "the exporter",
  region: "the exporter",
  status: "the exporter",
  reason: "the exporter",
  code: "the exporter",
  le: "the exporter",
  package_id: "the exporter",
  package_name: "the exporter",
  applicant: "the exporter",
  version: "the exporter",
  revision: "the exporter",
  nodejs_version: "the exporter",
  branch: "the exporter",
  platform: "the exporter",
  // Added by Prometheus to every scraped series.
  job: "Prometheus",
  instance: "Prometheus",
  // Set by the alert rules: a series label of that name would be overwritten, and routing with it.
  alertname: "the alert rules",
  severity: "the alert rules",
};

/** Prometheus' label name rule (the one the text exposition format allows). */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Reads `labels` of `s`: undefined when absent, null when any entry is invalid (each
 * problem reported under its own key path, e.g. `projects[0].labels.team`).
 */
export function readLabels(s: Section): Record<string, string> | undefined | null {
  if (!s.has("labels")) return undefined;
  const section = s.section("labels");
  if (!section) return null;
  const labels: Record<string, string> = {};
  let valid = true;
  for (const name of section.keys()) {
    // `team:` with nothing after it is an empty value here, not an absent key.
    const reason = nameProblem(name) ?? (section.has(name) ? undefined : "must not be empty");
    const value = reason === undefined ? section.text(name) : undefined;
    if (reason !== undefined) section.problem(name, reason);
    if (value === undefined) valid = false;
    else labels[name] = value;
  }
  return valid ? labels : null;
}

function nameProblem(name: string): string | undefined {
  if (name.startsWith("__")) return "label names starting with __ are reserved for Prometheus";
  if (!LABEL_NAME.test(name)) return "invalid label name: use letters, digits and underscores, not starting with a digit";
  const owner = RESERVED_LABELS[name];
  return owner === undefined ? undefined : `reserved: set by ${owner}`;
}

/**
 * Reports `labels` of `s` when `names` (the labels it adds to those it inherits) are
 * more than the cap; nothing when the inherited ones alone already were (reported there).
 */
export function checkLabelCap(s: Section, inherited: Iterable<string>, own: Record<string, string> | undefined, from: string): void {
  const before = new Set(inherited);
  const all = new Set([...before, ...Object.keys(own ?? {})]);
  if (before.size > MAX_EXTRA_LABELS || all.size <= MAX_EXTRA_LABELS) return;
  s.problem("labels", `at most ${MAX_EXTRA_LABELS} labels per workspace${from}, got ${all.size}`);
}

/** Merges label layers, later (more specific) ones winning, in exposition order. */
export function mergeLabels(...layers: Array<Record<string, string> | undefined>): ExtraLabels {
  const merged: Record<string, string> = Object.assign({}, ...layers);
  return Object.keys(merged)
    .sort()
    .map((name) => [name, merged[name]!] as const);
}

/**
 * A workspace's extra labels: the project's, then discover's when discovery found it,
 * then its own when it is listed, the more specific winning.
 */
type Labelled = { labels?: Record<string, string> };
export function workspaceLabels(project: Labelled & { discover?: Labelled }, listed: Labelled | undefined, discovered: boolean): ExtraLabels {
  return mergeLabels(project.labels, discovered ? project.discover?.labels : undefined, listed?.labels);
}
