/** The exporter's metric families, rendered from workspace state. */
import { ERROR_REASONS } from "../dataarts/api-error";
import { Family, Labels, formatValue, renderFamily, sampleLine } from "./exposition";
import { STATUSES, WorkspaceState } from "../polling/state";
import { workspaceKey } from "../config/workspace-key";

const FROM_POLL = "(from the last poll)";

/** Every family the exporter exposes besides prom-client's process_* and nodejs_* ones. */
export const METRIC_FAMILIES = {
  packages: "dataarts_release_packages",
  pendingOldestTimestamp: "dataarts_release_packages_pending_review_oldest_timestamp_seconds",
  pendingOldestAge: "dataarts_release_packages_pending_review_oldest_age_seconds",
  releasingOldestAge: "dataarts_release_packages_releasing_oldest_age_seconds",
  failures: "dataarts_release_package_failures_total",
  lastFailure: "dataarts_release_package_last_failure_timestamp_seconds",
  pendingAge: "dataarts_release_package_pending_review_age_seconds",
  info: "dataarts_workspace_info",
  up: "dataarts_workspace_up",
  lastSuccess: "dataarts_workspace_last_success_timestamp_seconds",
  pollDuration: "dataarts_workspace_poll_duration_seconds",
  pollErrors: "dataarts_poll_errors_total",
  apiRequests: "dataarts_api_requests_total",
  apiDuration: "dataarts_api_request_duration_seconds",
  apiClockSkew: "dataarts_api_clock_skew_seconds",
  buildInfo: "dataarts_exporter_build_info",
  reloadSuccessful: "dataarts_exporter_config_last_reload_successful",
  reloadTimestamp: "dataarts_exporter_config_last_reload_success_timestamp_seconds",
  shardOrdinal: "dataarts_exporter_shard_ordinal",
  totalShards: "dataarts_exporter_total_shards",
} as const;

const F = METRIC_FAMILIES;

export interface ExporterInfo {
  version: string;
  revision: string;
  branch: string;
  nodejsVersion: string;
  platform: string;
  reloadSuccessful: boolean;
  lastReloadSuccessMs: number;
  shard: { ordinal: number; total: number };
}

/** The labels of every per-workspace series: who the workspace is, then the config's extra labels. */
export function workspaceLabels(s: WorkspaceState): Labels {
  return [
    ["project_id", s.key.projectId],
    ["workspace_id", s.key.workspaceId],
    ["workspace", s.key.name],
    ...(s.key.labels ?? []),
  ];
}

type Sampler = (s: WorkspaceState, w: Labels) => Array<{ labels: Labels; value: number }>;

function family(name: string, type: Family["type"], help: string, states: WorkspaceState[], sampler: Sampler): Family {
  return { name, type, help, samples: states.flatMap((s) => sampler(s, workspaceLabels(s))) };
}

const one = (labels: Labels, value: number | undefined) => (value === undefined ? [] : [{ labels, value }]);
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** The families that change only when a poll ends (or the config is reloaded): rendered once, then cached. */
export function renderPolled(states: WorkspaceState[], info: ExporterInfo): string {
  const families: Family[] = [
    family(F.packages, "gauge", `Release packages in each status ${FROM_POLL}.`, states, (s, w) =>
      s.data ? STATUSES.map((status) => ({ labels: [...w, ["status", status]] as Labels, value: s.data!.counts[status] })) : [],
    ),
    family(F.pendingOldestTimestamp, "gauge", `Apply time of the oldest package awaiting review ${FROM_POLL}.`, states, (s, w) =>
      one(w, seconds(s.data?.oldestPendingApplyMs)),
    ),
    family(F.failures, "counter", "Packages seen entering the failed status, each release counted once (kept across restarts with --storage.path).", states, (s, w) =>
      one(w, s.countersHeld ? undefined : s.failuresTotal),
    ),
    family(F.lastFailure, "gauge", `Release time of the newest failed package ${FROM_POLL}.`, states, (s, w) =>
      one(w, seconds(s.data?.lastFailureMs)),
    ),
    family(F.info, "gauge", "A workspace the exporter polls.", states, (s, w) => one([...w, ["region", s.key.region]], 1)),
    family(F.up, "gauge", "Whether the workspace's last poll succeeded (1) or not (0).", states, (s, w) => one(w, s.up ? 1 : 0)),
    family(F.lastSuccess, "gauge", "End of the workspace's last successful poll.", states, (s, w) => one(w, seconds(s.lastSuccessMs))),
    family(F.pollDuration, "gauge", "Duration of the workspace's last poll.", states, (s, w) => one(w, s.lastDurationSeconds)),
    family(F.pollErrors, "counter", "Failed polls by reason.", states, (s, w) =>
      ERROR_REASONS.map((reason) => ({ labels: [...w, ["reason", reason]] as Labels, value: s.errors[reason] })),
    ),
    ...exporterFamilies(info),
  ];
  return families.map(renderFamily).join("");
}

function exporterFamilies(info: ExporterInfo): Family[] {
  const build: Labels = [
    ["version", info.version],
    ["revision", info.revision],
    ["branch", info.branch],
    ["nodejs_version", info.nodejsVersion],
    ["platform", info.platform],
  ];
  const gauge = (name: string, help: string, value: number, labels: Labels = []): Family => ({
    name,
    help,
    type: "gauge",
    samples: [{ labels, value }],
  });
  return [
    gauge(F.buildInfo, "The exporter's version, revision, branch, Node.js version and platform.", 1, build),
    gauge(F.reloadSuccessful, "Whether the last configuration reload succeeded.", info.reloadSuccessful ? 1 : 0),
    gauge(F.reloadTimestamp, "Time of the last successful configuration reload.", info.lastReloadSuccessMs / 1000),
    gauge(F.shardOrdinal, "This exporter's shard (0-based).", info.shard.ordinal),
    gauge(F.totalShards, "How many shards the workspaces are split across.", info.shard.total),
  ];
}

/** The families that move with the clock, computed at each scrape (a few lines per workspace). */
export function renderAges(states: WorkspaceState[], nowMs: number): string {
  const age = (ms: number | undefined) => (ms === undefined ? 0 : Math.max(0, (nowMs - ms) / 1000));
  const withData = states.filter((s) => s.data);
  const families: Family[] = [
    family(F.pendingOldestAge, "gauge", `Age of the oldest package awaiting review, 0 when none ${FROM_POLL}.`, withData, (s, w) =>
      one(w, age(s.data!.oldestPendingApplyMs)),
    ),
    family(F.releasingOldestAge, "gauge", `Age of the longest-running release, 0 when none ${FROM_POLL}.`, withData, (s, w) =>
      one(w, age(s.data!.oldestReleasingStartMs)),
    ),
  ];
  // Per-package series are what the poll collected: none when config turned them off.
  return families.map(renderFamily).join("") + renderPendingAges(withData, age);
}

/** Label text of each package series, built once per poll (or reload: the key holds the labels): a scrape only writes the numbers. */
const seriesPrefixes = new WeakMap<object, { key: object; prefixes: string[] }>();

function pendingPrefixes(s: WorkspaceState): string[] {
  const data = s.data!;
  const cached = seriesPrefixes.get(data);
  let prefixes = cached?.key === s.key ? cached.prefixes : undefined;
  if (!prefixes) {
    const w = workspaceLabels(s);
    prefixes = data.pending.map((p) =>
      sampleLine(F.pendingAge, [...w, ["package_id", p.id], ["package_name", p.name], ["applicant", p.applicant]], 0).slice(0, -2),
    );
    seriesPrefixes.set(data, { key: s.key, prefixes });
  }
  return prefixes;
}

function renderPendingAges(states: WorkspaceState[], age: (ms: number) => number): string {
  const lines: string[] = [];
  for (const s of states) {
    const prefixes = pendingPrefixes(s);
    s.data!.pending.forEach((p, i) => lines.push(`${prefixes[i]}${formatValue(age(p.applyMs))}\n`));
  }
  if (lines.length === 0) return "";
  const help = `Age of each package awaiting review, oldest first up to the limit ${FROM_POLL}.`;
  return `# HELP ${F.pendingAge} ${help}\n# TYPE ${F.pendingAge} gauge\n${lines.join("")}`;
}

export interface RequestLabels {
  projectId: string;
  workspaceId: string;
  workspace: string;
  code: string;
  /** The workspace's extra labels; none on requests of no workspace (IAM, discovery). */
  labels?: Labels;
}

export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface LatencyHistogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * API request counts and latency. Kept by hand rather than by prom-client so that
 * a removed workspace's series can be dropped by partial labels.
 */
export class ApiMetrics {
  private readonly requests = new Map<string, { labels: RequestLabels; value: number }>();
  private readonly latency = new Map<string, LatencyHistogram>();

  observe(labels: RequestLabels, durationSeconds: number): void {
    const key = [labels.projectId, labels.workspaceId, labels.code].join("\u0000");
    const entry = this.requests.get(key) ?? { labels, value: 0 };
    entry.value += 1;
    entry.labels = labels;
    this.requests.set(key, entry);
    const h = this.latency.get(labels.projectId) ?? { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
    LATENCY_BUCKETS.forEach((le, i) => {
      if (durationSeconds <= le) h.counts[i]! += 1;
    });
    h.sum += durationSeconds;
    h.count += 1;
    this.latency.set(labels.projectId, h);
  }

  /** Gives kept workspaces' series their current name and extra labels after a reload; the counts go on under them. */
  relabel(current: (projectId: string, workspaceId: string) => Pick<RequestLabels, "workspace" | "labels"> | undefined): void {
    for (const entry of this.requests.values()) {
      const now = entry.labels.workspaceId === "" ? undefined : current(entry.labels.projectId, entry.labels.workspaceId);
      if (now) entry.labels = { ...entry.labels, ...now };
    }
  }

  /** Keeps only the series of these projects and workspaces (by workspaceKey; empty workspace ids always stay). */
  retain(projectIds: ReadonlySet<string>, workspaceIds: ReadonlySet<string>): void {
    for (const [key, { labels }] of this.requests) {
      const keep = projectIds.has(labels.projectId) && (labels.workspaceId === "" || workspaceIds.has(workspaceKey(labels.projectId, labels.workspaceId)));
      if (!keep) this.requests.delete(key);
    }
    for (const projectId of this.latency.keys()) if (!projectIds.has(projectId)) this.latency.delete(projectId);
  }

  render(): string {
    let out = "";
    if (this.requests.size > 0) {
      out += `# HELP ${F.apiRequests} DataArts and IAM API requests by HTTP status (error when no answer came).\n# TYPE ${F.apiRequests} counter\n`;
      for (const { labels: l, value } of this.requests.values()) {
        const labels: Labels = [["project_id", l.projectId], ["workspace_id", l.workspaceId], ["workspace", l.workspace], ...(l.labels ?? []), ["code", l.code]];
        out += sampleLine(F.apiRequests, labels, value);
      }
    }
    if (this.latency.size > 0) {
      out += `# HELP ${F.apiDuration} DataArts and IAM API request latency.\n# TYPE ${F.apiDuration} histogram\n`;
      for (const [projectId, h] of this.latency) {
        const p: Labels = [["project_id", projectId]];
        LATENCY_BUCKETS.forEach((le, i) => (out += sampleLine(`${F.apiDuration}_bucket`, [...p, ["le", String(le)]], h.counts[i]!)));
        out += sampleLine(`${F.apiDuration}_bucket`, [...p, ["le", "+Inf"]], h.count);
        out += sampleLine(`${F.apiDuration}_sum`, p, h.sum);
        out += sampleLine(`${F.apiDuration}_count`, p, h.count);
      }
    }
    return out;
  }
}
