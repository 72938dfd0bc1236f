/** The exporter's metric families, rendered from workspace state. */
import { ERROR_REASONS } from "../dataarts/api-error";
import { Family, Labels, familyChunks, formatValue, labelPairs, pairsLine, sampleLine } from "./exposition";
import { BodyPiece, textOf } from "./piece";
import { SameLines, WorkspaceText } from "./workspace-text";
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
function workspaceLabels(s: WorkspaceState): Labels {
  return [
    ["project_id", s.key.projectId],
    ["workspace_id", s.key.workspaceId],
    ["workspace", s.key.name],
    ...(s.key.labels ?? []),
  ];
}

/** A workspace's samples of one family: the labels after the workspace's own, and the value. */
type Sampler = (s: WorkspaceState) => Array<{ labels?: Labels; value: number }>;

/** The workspace's label pairs, written once per key (a poll keeps the key; a reload or discovery replaces it). */
const keyPairs = new WeakMap<WorkspaceState["key"], string>();

function workspacePairs(s: WorkspaceState): string {
  let pairs = keyPairs.get(s.key);
  if (pairs === undefined) keyPairs.set(s.key, (pairs = labelPairs(workspaceLabels(s))));
  return pairs;
}

/** One sample line of a workspace: its labels, then `extra`; the same text as sampleLine with all of them. */
export function workspaceLine(name: string, s: WorkspaceState, value: number, extra?: Labels): string {
  return pairsLine(name, extra && extra.length > 0 ? `${workspacePairs(s)},${labelPairs(extra)}` : workspacePairs(s), value);
}

/** A per-workspace family of the polled part; the sampler must read nothing but the state (and `same` all it reads). */
export function family(name: string, type: Family["type"], help: string, states: WorkspaceState[], sampler: Sampler, text: WorkspaceText, same?: SameLines): Family {
  const lines = (s: WorkspaceState) => {
    let out = "";
    for (const x of sampler(s)) out += workspaceLine(name, s, x.value, x.labels);
    return out;
  };
  return { name, type, help, samples: [], chunks: text.groups(name, states, lines, 0, same) };
}

/** Whether two states have the same package counts, or both none. */
function sameCounts(a: WorkspaceState, b: WorkspaceState): boolean {
  if (!a.data || !b.data) return a.data === b.data;
  return STATUSES.every((status) => a.data!.counts[status] === b.data!.counts[status]);
}

const one = (value: number | undefined, labels?: Labels) => (value === undefined ? [] : [{ labels, value }]);
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** The families that change only when a poll ends (or the config is reloaded). */
export function renderPolled(states: WorkspaceState[], info: ExporterInfo, text = new WorkspaceText()): string {
  return [...polledChunks(states, info, text)].map(textOf).join("");
}

/** The polled part one piece at a time, so that a large scrape can be built (and compressed) in slices. */
export function* polledChunks(states: WorkspaceState[], info: ExporterInfo, text = new WorkspaceText()): Generator<BodyPiece> {
  const of = (name: string, type: Family["type"], help: string, sampler: Sampler, same?: SameLines) => family(name, type, help, states, sampler, text, same);
  const families: Family[] = [
    of(F.packages, "gauge", `Release packages in each status ${FROM_POLL}.`, (s) =>
      s.data ? STATUSES.map((status) => ({ labels: [["status", status]] as Labels, value: s.data!.counts[status] })) : [],
      sameCounts,
    ),
    of(F.pendingOldestTimestamp, "gauge", `Apply time of the oldest package awaiting review ${FROM_POLL}.`, (s) => one(seconds(s.data?.oldestPendingApplyMs))),
    of(F.failures, "counter", "Packages seen entering the failed status, each release counted once (kept across restarts with --storage.path).", (s) =>
      one(s.countersHeld ? undefined : s.failuresTotal),
    ),
    of(F.lastFailure, "gauge", `Release time of the newest failed package ${FROM_POLL}.`, (s) => one(seconds(s.data?.lastFailureMs))),
    of(F.info, "gauge", "A workspace the exporter polls.", (s) => one(1, [["region", s.key.region]])),
    of(F.up, "gauge", "Whether the workspace's last poll succeeded (1) or not (0).", (s) => one(s.up ? 1 : 0)),
    of(F.lastSuccess, "gauge", "End of the workspace's last successful poll.", (s) => one(seconds(s.lastSuccessMs))),
    of(F.pollDuration, "gauge", "Duration of the workspace's last poll.", (s) => one(s.lastDurationSeconds)),
    of(F.pollErrors, "counter", "Failed polls by reason.", (s) => ERROR_REASONS.map((reason) => ({ labels: [["reason", reason]] as Labels, value: s.errors[reason] })),
      (a, b) => a.errors === b.errors, // a poll that fails makes a new errors record
    ),
    ...exporterFamilies(info),
  ];
  for (const f of families) yield* familyChunks(f);
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
export function renderAges(states: WorkspaceState[], nowMs: number, text = new WorkspaceText()): string {
  return [...ageChunks(states, nowMs, text)].map(textOf).join("");
}

/**
 * The clock-moving families in pieces. Label text is built once per workspace key; a
 * body writes only the numbers, and a group's lines are kept for the second they were
 * computed at, so rebuilding after a poll in the same second renders only what that poll replaced.
 */
export function* ageChunks(states: WorkspaceState[], nowMs: number, text = new WorkspaceText()): Generator<BodyPiece> {
  const age = (ms: number | undefined) => (ms === undefined ? 0 : Math.max(0, (nowMs - ms) / 1000));
  const withData = states.filter((s) => s.data);
  const oldest = (name: string, help: string, at: (s: WorkspaceState) => number | undefined): Family => ({
    name,
    help,
    type: "gauge",
    samples: [],
    chunks: text.groups(name, withData, (s) => workspaceLine(name, s, age(at(s))), nowMs),
  });
  yield* familyChunks(oldest(F.pendingOldestAge, `Age of the oldest package awaiting review, 0 when none ${FROM_POLL}.`, (s) => s.data!.oldestPendingApplyMs));
  yield* familyChunks(oldest(F.releasingOldestAge, `Age of the longest-running release, 0 when none ${FROM_POLL}.`, (s) => s.data!.oldestReleasingStartMs));
  // Per-package series are what the poll collected: none when config turned them off.
  const help = `Age of each package awaiting review, oldest first up to the limit ${FROM_POLL}.`;
  yield* familyChunks({ name: F.pendingAge, help, type: "gauge", samples: [], chunks: text.groups(F.pendingAge, withData, (s) => pendingAges(s, age), nowMs) });
}

/** One workspace's per-package age lines. */
function pendingAges(s: WorkspaceState, age: (ms: number) => number): string {
  if (s.data!.pending.length === 0) return "";
  const prefixes = pendingPrefixes(s);
  let text = "";
  s.data!.pending.forEach((p, i) => (text += `${prefixes[i]}${formatValue(age(p.applyMs))}\n`));
  return text;
}

/** Label text of each package series, built once per poll (or reload: the key holds the labels): a scrape only writes the numbers. */
const seriesPrefixes = new WeakMap<object, { key: object; prefixes: string[] }>();

function pendingPrefixes(s: WorkspaceState): string[] {
  const data = s.data!;
  const cached = seriesPrefixes.get(data);
  let prefixes = cached?.key === s.key ? cached.prefixes : undefined;
  if (!prefixes) {
    prefixes = data.pending.map((p) =>
      workspaceLine(F.pendingAge, s, 0, [["package_id", p.id], ["package_name", p.name], ["applicant", p.applicant]]).slice(0, -2),
    );
    seriesPrefixes.set(data, { key: s.key, prefixes });
  }
  return prefixes;
}

export interface RequestLabels {
  projectId: string;
  workspaceId: string;
  workspace: string;
  code: string;
  /** The workspace's extra labels; none on requests of no workspace (IAM, discovery). */
  labels?: Labels;
}

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface LatencyHistogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * API request counts and latency. Kept by hand rather than by prom-client so that
 * a removed workspace's series can be dropped by partial labels.
 */
interface RequestSeries {
  labels: RequestLabels;
  value: number;
  /** The series' text up to its value, built once (again after a rename or relabel). */
  prefix: string;
  /** Which piece of the rendered family the series is in. */
  chunk: number;
}

const REQUEST_SERIES_PER_CHUNK = 200;

function requestPrefix(l: RequestLabels): string {
  const labels: Labels = [["project_id", l.projectId], ["workspace_id", l.workspaceId], ["workspace", l.workspace], ...(l.labels ?? []), ["code", l.code]];
  return sampleLine(F.apiRequests, labels, 0).slice(0, -2);
}

export class ApiMetrics {
  private readonly requests = new Map<string, RequestSeries>();
  private readonly latency = new Map<string, LatencyHistogram>();
  /** The request series in pieces, rendered text per piece, and pieces changed since rendered. */
  private layout?: RequestSeries[][];
  private rendered: string[] = [];
  private readonly changed = new Set<number>();

  observe(labels: RequestLabels, durationSeconds: number): void {
    const key = `${labels.projectId}\u0000${labels.workspaceId}\u0000${labels.code}`;
    let entry = this.requests.get(key);
    if (!entry) {
      entry = { labels, value: 0, prefix: requestPrefix(labels), chunk: 0 };
      this.requests.set(key, entry);
      this.layout = undefined;
    } else if (entry.labels !== labels && (entry.labels.workspace !== labels.workspace || !sameLabels(entry.labels.labels, labels.labels))) {
      entry.labels = labels;
      entry.prefix = requestPrefix(labels);
    }
    entry.value += 1;
    this.changed.add(entry.chunk);
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
      if (now) {
        entry.labels = { ...entry.labels, ...now };
        entry.prefix = requestPrefix(entry.labels);
      }
    }
    this.layout = undefined;
  }

  /** Keeps only the series of these projects and workspaces (by workspaceKey; empty workspace ids always stay). */
  retain(projectIds: ReadonlySet<string>, workspaceIds: ReadonlySet<string>): void {
    for (const [key, { labels }] of this.requests) {
      const keep = projectIds.has(labels.projectId) && (labels.workspaceId === "" || workspaceIds.has(workspaceKey(labels.projectId, labels.workspaceId)));
      if (!keep) {
        this.requests.delete(key);
        this.layout = undefined;
      }
    }
    for (const projectId of this.latency.keys()) if (!projectIds.has(projectId)) this.latency.delete(projectId);
  }

  render(): string {
    return [...this.chunks()].join("");
  }

  /** The request counts in pieces (a poll changes one), then the latency histograms. */
  *chunks(): Generator<string> {
    if (this.requests.size > 0) {
      if (!this.layout) this.relayout();
      // A piece no series in it changed since is the very same string as last time.
      for (const [i, series] of this.layout!.entries()) {
        if (this.changed.has(i) || this.rendered[i] === undefined) {
          let out = i === 0 ? `# HELP ${F.apiRequests} DataArts and IAM API requests by HTTP status (error when no answer came).\n# TYPE ${F.apiRequests} counter\n` : "";
          for (const { prefix, value } of series) out += `${prefix}${formatValue(value)}\n`;
          this.rendered[i] = out;
        }
        yield this.rendered[i]!;
      }
      this.changed.clear();
    }
    if (this.latency.size > 0) {
      let out = `# HELP ${F.apiDuration} DataArts and IAM API request latency.\n# TYPE ${F.apiDuration} histogram\n`;
      for (const [projectId, h] of this.latency) {
        const p: Labels = [["project_id", projectId]];
        LATENCY_BUCKETS.forEach((le, i) => (out += sampleLine(`${F.apiDuration}_bucket`, [...p, ["le", String(le)]], h.counts[i]!)));
        out += sampleLine(`${F.apiDuration}_bucket`, [...p, ["le", "+Inf"]], h.count);
        out += sampleLine(`${F.apiDuration}_sum`, p, h.sum);
        out += sampleLine(`${F.apiDuration}_count`, p, h.count);
      }
      yield out;
    }
  }

  private relayout(): void {
    const all = [...this.requests.values()];
    this.layout = [];
    for (let i = 0; i < all.length; i += REQUEST_SERIES_PER_CHUNK) {
      const piece = all.slice(i, i + REQUEST_SERIES_PER_CHUNK);
      for (const series of piece) series.chunk = this.layout.length;
      this.layout.push(piece);
    }
    this.rendered = [];
  }
}

function sameLabels(a: Labels | undefined, b: Labels | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every(([k, v], i) => b[i]![0] === k && b[i]![1] === v);
}
