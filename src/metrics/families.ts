/** The exporter's metric families, rendered from workspace state. */
import { ERROR_REASONS } from "../dataarts/api-error";
import { Family, Labels, familyChunks, formatValue, sampleLine } from "./exposition";
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

/**
 * How many workspaces go into one piece of a family. A poll changes one workspace, so the
 * next body re-renders and re-compresses one piece per family, not the whole family.
 */
const WORKSPACES_PER_CHUNK = 100;

/**
 * Rendered lines (and label text for the lines written again every second) per workspace state:
 * states are replaced, never changed, by a poll or reload, so a body re-renders only the
 * workspaces that changed since the last one, and a group of 100 is put together from the rest.
 */
const fragments = new WeakMap<WorkspaceState, Map<string, string>>();

function fragment(s: WorkspaceState, key: string, render: () => string): string {
  let byFamily = fragments.get(s);
  if (!byFamily) fragments.set(s, (byFamily = new Map()));
  let text = byFamily.get(key);
  if (text === undefined) byFamily.set(key, (text = render()));
  return text;
}

/**
 * The same text stored in one piece. Text built by concatenation is a tree of every piece it
 * was built from (label pairs, lines): kept until the next change, that is about twice the
 * memory of the text itself.
 */
function flat(text: string): string {
  return Buffer.from(text).toString();
}

/**
 * Per-workspace text in pieces of WORKSPACES_PER_CHUNK workspaces, kept per state (so `render`
 * must read nothing but the state) and per group: what a family outside this file uses to be
 * rebuilt, after a poll, one group at a time.
 */
export function workspacePieces(key: string, states: WorkspaceState[], render: (s: WorkspaceState) => string): string[] {
  return inGroups(key, states, (s) => fragment(s, key, () => flat(render(s))));
}

/** A per-workspace family of the polled part; the sampler must read nothing but the state. */
export function family(name: string, type: Family["type"], help: string, states: WorkspaceState[], sampler: Sampler): Family {
  const lines = (s: WorkspaceState) => fragment(s, name, () => flat(sampler(s, workspaceLabels(s)).map((x) => sampleLine(name, x.labels, x.value)).join("")));
  return { name, type, help, samples: [], chunks: inGroups(name, states, lines) };
}

/** The last text of each group of each family, with the states (and time) it was rendered from. */
const groups = new Map<string, { states: WorkspaceState[]; nowMs: number; text: string }>();

/**
 * Lines of each workspace, joined in groups of WORKSPACES_PER_CHUNK workspaces. A group whose
 * states (and time) are those of last time is the very same string, so nothing downstream
 * (encoding, compressing) has to look at it again. Under load (a body per second, some 30
 * polls in between at 1 000 workspaces) most groups change every second: putting them
 * together from kept lines is what keeps that cheap.
 */
function inGroups(family: string, states: WorkspaceState[], lines: (s: WorkspaceState) => string, nowMs = 0): string[] {
  const chunks: string[] = [];
  for (let i = 0, g = 0; i < states.length; i += WORKSPACES_PER_CHUNK, g++) {
    const slice = states.slice(i, i + WORKSPACES_PER_CHUNK);
    const key = `${family}#${g}`;
    const kept = groups.get(key);
    if (kept && kept.nowMs === nowMs && kept.states.length === slice.length && kept.states.every((s, j) => s === slice[j])) {
      chunks.push(kept.text);
      continue;
    }
    let text = "";
    for (const s of slice) text += lines(s);
    text = flat(text);
    groups.set(key, { states: slice, nowMs, text });
    chunks.push(text);
  }
  // Groups past the end held workspaces that are gone: let their states go too.
  for (let g = chunks.length; groups.delete(`${family}#${g}`); g++);
  return chunks;
}

const one = (labels: Labels, value: number | undefined) => (value === undefined ? [] : [{ labels, value }]);
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** The families that change only when a poll ends (or the config is reloaded): rendered once, then cached. */
export function renderPolled(states: WorkspaceState[], info: ExporterInfo): string {
  return [...polledChunks(states, info)].join("");
}

/** The polled part one piece at a time, so that a large scrape can be built (and compressed) in slices. */
export function* polledChunks(states: WorkspaceState[], info: ExporterInfo): Generator<string> {
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
export function renderAges(states: WorkspaceState[], nowMs: number): string {
  return [...ageChunks(states, nowMs)].join("");
}

/**
 * The clock-moving families in pieces. Label text is built once per workspace state; a
 * scrape writes only the numbers, and a group's lines are kept for the second they were
 * computed at, so rebuilding after a poll in the same second re-renders one group.
 */
export function* ageChunks(states: WorkspaceState[], nowMs: number): Generator<string> {
  const age = (ms: number | undefined) => (ms === undefined ? 0 : Math.max(0, (nowMs - ms) / 1000));
  const withData = states.filter((s) => s.data);
  const oldest = (name: string, help: string, at: (s: WorkspaceState) => number | undefined): Family => ({
    name,
    help,
    type: "gauge",
    samples: [],
    chunks: inGroups(name, withData, (s) => `${fragment(s, name, () => sampleLine(name, workspaceLabels(s), 0).slice(0, -2))}${formatValue(age(at(s)))}\n`, nowMs),
  });
  yield* familyChunks(oldest(F.pendingOldestAge, `Age of the oldest package awaiting review, 0 when none ${FROM_POLL}.`, (s) => s.data!.oldestPendingApplyMs));
  yield* familyChunks(oldest(F.releasingOldestAge, `Age of the longest-running release, 0 when none ${FROM_POLL}.`, (s) => s.data!.oldestReleasingStartMs));
  // Per-package series are what the poll collected: none when config turned them off.
  const help = `Age of each package awaiting review, oldest first up to the limit ${FROM_POLL}.`;
  yield* familyChunks({ name: F.pendingAge, help, type: "gauge", samples: [], chunks: inGroups(F.pendingAge, withData, (s) => pendingAges(s, nowMs, age), nowMs) });
}

/** One workspace's per-package age lines at `nowMs`. */
function pendingAges(s: WorkspaceState, nowMs: number, age: (ms: number) => number): string {
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
    const w = workspaceLabels(s);
    prefixes = data.pending.map((p) =>
      sampleLine(F.pendingAge, [...w, ["package_id", p.id], ["package_name", p.name], ["applicant", p.applicant]], 0).slice(0, -2),
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
