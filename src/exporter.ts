/** Wires config, API clients, polling, state and metrics together; owns no server and never touches `process`. */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { ApiError } from "./dataarts/api-error";
import type { BuildInfo } from "./build-info";
import { Clock } from "./clock";
import type { Config, ProjectConfig } from "./config/config";
import { DataArtsClient, RequestEvent } from "./dataarts/client";
import { createClient } from "./dataarts/client-factory";
import { ReleasePackagePager } from "./dataarts/paging";
import { Limiter } from "./polling/limiter";
import { Job, Scheduler, Timers } from "./polling/scheduler";
import { Transport } from "./dataarts/transport-contract";
import { pollWorkspace } from "./polling/poller";
import { ResetReason, WorkspaceKey, WorkspaceState, accountPoll, limitPendingSeries, pollFailed } from "./polling/state";
import { workspaceKey } from "./config/workspace-key";
import { ApiMetrics, ExporterInfo, ageChunks, polledChunks } from "./metrics/families";
import { Body, Encoding, Load, ScrapeCache } from "./metrics/scrape-cache";
import { WorkspaceText } from "./metrics/workspace-text";
import type { BodyPiece } from "./metrics/piece";
import type { ExpositionFormat } from "./metrics/exposition";
import { AccountingInfo, deliveryChunks } from "./metrics/delivery";
import { StateKeeper, inMemory } from "./polling/state-store";
import { ClockSkewMetrics } from "./metrics/clock-skew";
import { discoverWorkspaces } from "./dataarts/discovery";
import { ExtraLabels, workspaceLabels } from "./config/labels";

export interface ExporterDeps {
  clock: Clock;
  timers: Timers;
  random: () => number;
  /** One project's transport (its proxy and TLS settings): src/connections.ts in production. */
  transportFor: (project: ProjectConfig) => Transport;
  logger: Logger;
  build: BuildInfo;
  shard: { ordinal: number; total: number };
  /** Whether this shard polls the workspace; all of them without sharding. */
  owns: (projectId: string, workspaceId: string) => boolean;
  /** Where accounting survives restarts (--storage.path); in memory by default. */
  storage?: StateKeeper;
}

interface ProjectRuntime {
  /** Config entries may share a project id (one per DataArts instance): runtimes are keyed by entry. */
  key: string;
  /** The settings the client was built from; a reload that keeps them keeps the client (its IAM token, its paging). */
  fingerprint: string;
  config: ProjectConfig;
  client: DataArtsClient;
  pager: ReleasePackagePager;
  /** Workspaces found by discovery (id → name), kept across refreshes that fail. */
  discovered: Map<string, string>;
}

interface PolledWorkspace {
  key: WorkspaceKey;
  intervalMs: number;
  project: ProjectRuntime;
}

/** Wires config → API clients → poller → state → metrics. Owns no HTTP server and never touches `process`. */
export class Exporter {
  private config: Config;
  private projects = new Map<string, ProjectRuntime>();
  private workspaces = new Map<string, PolledWorkspace>();
  private readonly states = new Map<string, WorkspaceState>();
  private readonly api = new ApiMetrics();
  private readonly skew = new ClockSkewMetrics();
  private readonly limiter: Limiter;
  private readonly scheduler: Scheduler;
  private reload = { successful: true, lastSuccessMs: 0 };
  /** Baselines taken, by reason (`dataarts_exporter_accounting_resets_total`). */
  private readonly resets: Record<ResetReason, number> = { no_state: 0, too_old: 0, unreadable: 0 };
  private readonly cache: ScrapeCache;
  /** The workspaces' lines of the last body, kept for the next one. */
  private readonly text = new WorkspaceText();
  /** The projects of the polled set, as of the last refresh (read for every API request). */
  private polledProjects = new Set<string>();

  constructor(
    config: Config,
    private readonly deps: ExporterDeps,
  ) {
    this.config = config;
    this.limiter = new Limiter(config.polling.concurrency);
    this.scheduler = new Scheduler(deps.timers, () => deps.clock.now(), deps.random);
    this.cache = new ScrapeCache({ clock: deps.clock, render: (_variant, nowMs) => this.exposition(nowMs) });
  }

  /** Everything but the process metrics, in pieces, from one snapshot of the (immutable) states. */
  private *exposition(nowMs: number): Generator<BodyPiece> {
    const states = this.workspaceStates();
    yield* polledChunks(states, this.info(), this.text);
    yield* deliveryChunks(states, this.accountingInfo(), this.text);
    yield* this.api.chunks();
    yield this.skew.render();
    yield* ageChunks(states, nowMs, this.text);
  }

  /**
   * What a scrape of /metrics in `format` gets now, from memory (see ScrapeCache.body): nothing
   * is built until its bytes are asked for. `tail`: the last lines of a body built now, already in `format`.
   */
  metricsBody(format: ExpositionFormat, encoding: Encoding, load?: Load, tail?: (format: ExpositionFormat) => string): Body {
    return this.cache.body(format, encoding, load, tail);
  }

  /** The /metrics bytes a scrape in `format` gets now, ending with `tail`. */
  metrics(gzip: boolean, format: ExpositionFormat = "text", tail = ""): Promise<Buffer> {
    return this.cache.bytes(format, gzip ? "gzip" : "identity", () => tail);
  }

  /** How many /metrics bodies were built so far (one per second and change at most). */
  get metricsBuilds(): number {
    return this.cache.builds;
  }

  start(): void {
    this.apply(this.config);
  }

  stop(): void {
    this.scheduler.stop();
    this.storage.save(() => this.liveStates(), this.config.metrics.staleAfterMs, 0, true, true);
  }

  /** Applies a new, valid config without dropping what is served. */
  reloadWith(config: Config): void {
    this.apply(config);
  }

  /** A reload was asked for but the config was not valid: the old one keeps running. */
  reloadFailed(): void {
    this.reload = { ...this.reload, successful: false };
    this.cache.invalidate({ atOnce: true });
  }

  workspaceStates(): WorkspaceState[] {
    return [...this.workspaces.keys()].map((id) => this.states.get(id)!).filter(Boolean);
  }

  private info(): ExporterInfo {
    return {
      ...this.deps.build,
      reloadSuccessful: this.reload.successful,
      lastReloadSuccessMs: this.reload.lastSuccessMs,
      shard: this.deps.shard,
    };
  }

  private accountingInfo(): AccountingInfo {
    return { resets: this.resets, storage: this.storage.info() };
  }

  private get storage(): StateKeeper {
    return this.deps.storage ?? inMemory;
  }

  private liveStates(): Map<string, WorkspaceState> {
    return new Map([...this.workspaces.keys()].flatMap((id) => (this.states.has(id) ? [[id, this.states.get(id)!] as const] : [])));
  }

  private apply(config: Config): void {
    const previous = this.projects;
    this.config = config;
    this.limiter.setMax(config.polling.concurrency);
    this.projects = new Map(
      config.projects.map((p, i) => {
        const key = `${i}:${p.projectId}`;
        return [key, this.projectRuntime(key, p, previous.get(key))] as const;
      }),
    );
    this.reload = { successful: true, lastSuccessMs: this.deps.clock.now() };
    this.refreshWorkspaces();
  }

  private projectRuntime(key: string, config: ProjectConfig, old: ProjectRuntime | undefined): ProjectRuntime {
    // An unchanged project keeps its client: its IAM token, and what paging learned.
    const { timeoutMs, pagination } = this.config.polling;
    // The discovered workspaces' interval is polling's business, not the client's.
    const discover = config.discover && { ...config.discover, intervalMs: undefined };
    const fingerprint = JSON.stringify([{ ...config, discover }, timeoutMs, pagination]);
    if (old && old.fingerprint === fingerprint && isDeepStrictEqual(old.config, config)) return old;
    const kept = old?.fingerprint === fingerprint ? old : undefined;
    const client =
      kept?.client ??
      createClient(config, {
        transport: this.deps.transportFor(config),
        clock: this.deps.clock,
        timeoutMs,
        random: this.deps.random,
        onRequest: (e) => this.onRequest(e),
        limit: (fn) => this.limiter.run(fn),
      });
    const sameDiscovery = old?.config.discover?.instanceId === config.discover?.instanceId;
    return {
      key,
      fingerprint,
      config,
      client,
      pager: kept?.pager ?? new ReleasePackagePager(client, pagination),
      discovered: sameDiscovery && old ? old.discovered : new Map(),
    };
  }

  /** Recomputes the polled set from config and discovery, keeping the state of workspaces that stay. */
  private refreshWorkspaces(): void {
    const next = new Map<string, PolledWorkspace>();
    for (const project of this.projects.values()) {
      const { projectId, region } = project.config;
      const add = (workspaceId: string, name: string, intervalMs: number, labels: ExtraLabels) => {
        const id = workspaceKey(projectId, workspaceId);
        if (next.has(id) || !this.deps.owns(projectId, workspaceId)) return;
        next.set(id, { key: { projectId, workspaceId, name, region, labels }, intervalMs, project });
      };
      const { config, discovered } = project;
      for (const ws of config.workspaces) add(ws.id, ws.name, ws.intervalMs, workspaceLabels(config, ws, discovered.has(ws.id)));
      const discoveredIntervalMs = config.discover?.intervalMs;
      if (discoveredIntervalMs !== undefined) {
        for (const [id, name] of discovered) add(id, name || id, discoveredIntervalMs, workspaceLabels(config, undefined, true));
      }
    }
    for (const [id, state] of this.states) {
      if (next.has(id)) continue;
      // Kept for stale_after in the state file, in case it comes back.
      this.storage.retire(id, state);
      this.states.delete(id);
    }
    const { packageSeriesLimit: seriesLimit, catchUpLimitMs } = this.config.metrics;
    for (const [id, ws] of next) {
      const state = this.states.get(id);
      this.states.set(id, state ? limitPendingSeries({ ...state, key: ws.key }, seriesLimit) : this.storage.start(id, ws.key, catchUpLimitMs));
    }
    this.workspaces = next;
    this.polledProjects = this.projectIds();
    this.api.retain(this.polledProjects, new Set(next.keys()));
    this.skew.retain(this.polledProjects);
    this.api.relabel((projectId, workspaceId) => {
      const key = next.get(workspaceKey(projectId, workspaceId))?.key;
      return key && { workspace: key.name, labels: key.labels };
    });
    this.scheduler.set([...this.pollJobs(), ...this.discoveryJobs()]);
    // A reload or a change of workspaces shows in the very next scrape, however busy /metrics is.
    this.cache.invalidate({ atOnce: true });
  }

  private pollJobs(): Job[] {
    return [...this.workspaces].map(([id, ws]) => ({ id: `poll:${id}`, intervalMs: ws.intervalMs, run: () => this.poll(id) }));
  }

  private discoveryJobs(): Job[] {
    return [...this.projects.values()].flatMap((p) => {
      const discover = p.config.discover;
      if (!discover) return [];
      // Keyed by config entry: two entries of one project each discover their own instance.
      const id = `discover:${p.key}/${discover.instanceId}`;
      return [{ id, intervalMs: discover.refreshMs, firstDelayMs: 0, run: () => this.discover(p) }];
    });
  }

  private async discover(project: ProjectRuntime): Promise<void> {
    const instanceId = project.config.discover!.instanceId;
    try {
      const found = await discoverWorkspaces(project.client, instanceId);
      if (this.projects.get(project.key) !== project) return;
      const discovered = new Map(found.map((w) => [w.id, w.name]));
      this.deps.logger.info({ project_id: project.config.projectId, instance_id: instanceId, workspaces: found.length }, "workspaces discovered");
      // Compared in order: the order of the list decides the order of the polled set.
      if (isDeepStrictEqual([...project.discovered], [...discovered])) {
        // Only the request counts changed: a busy /metrics may serve the last body meanwhile.
        this.cache.invalidate();
        return;
      }
      project.discovered = discovered;
      this.refreshWorkspaces();
    } catch (err) {
      const fields = err instanceof ApiError ? err.toLog() : { err: String(err) };
      this.deps.logger.warn({ project_id: project.config.projectId, instance_id: instanceId, ...fields }, "workspace discovery failed; keeping the last list");
    }
  }

  private async poll(id: string): Promise<void> {
    const ws = this.workspaces.get(id);
    const before = this.states.get(id);
    if (!ws || !before) return;
    const { clock, logger } = this.deps;
    const startedMs = clock.now();
    const labels = { project_id: ws.key.projectId, workspace_id: ws.key.workspaceId, workspace: ws.key.name };
    try {
      const snapshot = await pollWorkspace({
        client: ws.project.client,
        pager: ws.project.pager,
        workspaceId: ws.key.workspaceId,
        packageSeriesLimit: this.config.metrics.packageSeriesLimit,
        now: startedMs,
        previous: before.previous,
        onImplausible: ({ packageId, field, value }) =>
          logger.debug({ ...labels, package_id: packageId, [field]: value }, `package left out of the ages: its ${field} is not a time in Unix milliseconds`),
      });
      this.update(id, (s) => this.accounted(accountPoll(s, snapshot, { startedMs, endedMs: clock.now() }), labels));
      // At most once per poll round: a write holds every workspace.
      this.storage.save(() => this.liveStates(), this.config.metrics.staleAfterMs, this.config.polling.intervalMs);
      if (logger.isLevelEnabled("debug")) logger.debug({ ...labels, duration_ms: clock.now() - startedMs }, "poll succeeded");
    } catch (err) {
      const error = asApiError(err);
      this.update(id, (s) => pollFailed(s, error.reason, { startedMs, endedMs: clock.now() }, this.config.metrics.staleAfterMs));
      logger.warn({ ...labels, ...error.toLog() }, "poll failed");
    }
  }

  /** Logs and counts a new baseline and the review waits a poll could not observe. */
  private accounted(account: ReturnType<typeof accountPoll>, labels: Record<string, string>): WorkspaceState {
    const { logger } = this.deps;
    if (account.baseline) {
      this.resets[account.baseline] += 1;
      const line = "accounting starts a new baseline: releases that ended before this poll are not counted";
      if (account.baseline === "no_state") logger.debug({ ...labels, reason: account.baseline }, line);
      else logger.info({ ...labels, reason: account.baseline }, line);
    }
    if (account.unobservedWaits.length > 0) {
      logger.debug({ ...labels, package_ids: account.unobservedWaits }, "review wait not observed: missing, zero or negative deploy − apply time");
    }
    return account.state;
  }

  /** Writes a poll's result unless the workspace went away (reload, discovery) meanwhile. */
  private update(id: string, change: (s: WorkspaceState) => WorkspaceState): void {
    const state = this.states.get(id);
    if (!state || !this.workspaces.has(id)) return;
    this.states.set(id, change(state));
    this.cache.invalidate();
  }

  private projectIds(): Set<string> {
    return new Set([...this.projects.values()].map((p) => p.config.projectId));
  }

  private onRequest(e: RequestEvent): void {
    const { logger } = this.deps;
    // Called for every API request: the log line's fields are not even gathered unless debug is on.
    if (logger.isLevelEnabled("debug")) {
      logger.debug({ project_id: e.projectId, workspace_id: e.workspaceId, kind: e.kind, code: e.code, duration_s: e.durationSeconds }, "api request");
    }
    const ws = e.workspaceId ? this.workspaces.get(workspaceKey(e.projectId, e.workspaceId)) : undefined;
    // A request still in flight for a workspace or project removed since must not bring its series back.
    if ((e.workspaceId && !ws) || !this.polledProjects.has(e.projectId)) return;
    if (e.clockSkewSeconds !== undefined) this.skew.observe(e.projectId, e.clockSkewSeconds);
    this.api.observe(
      { projectId: e.projectId, workspaceId: e.workspaceId, workspace: ws?.key.name ?? "", labels: ws?.key.labels, code: e.code },
      e.durationSeconds,
    );
    // No invalidate here: request counts show with the poll's result, so /metrics is re-rendered once per poll.
  }

}

/** Anything a poll throws becomes a reason; a non-API error is a bug in reading the answer. */
function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError("invalid_response", `unexpected error while polling: ${(err as Error)?.message ?? String(err)}`);
}
