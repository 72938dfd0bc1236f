/** `--api.check`: each poll's real requests once per project and workspace, bounded, into a report. */
// Explicit and discovered workspaces, after sharding; the configured timeout and concurrency, no retries.
import type { Config, ProjectConfig } from "../config/config";
import { ApiError } from "../dataarts/api-error";
import { Authenticator, PasswordAuthenticator } from "../dataarts/auth";
import { createClient } from "../dataarts/client-factory";
import { ClientOptions, DataArtsClient, RequestEvent } from "../dataarts/client";
import { SIGNATURE_WINDOW_SECONDS, describeSkew } from "../dataarts/clock-skew";
import { discoverWorkspaces } from "../dataarts/discovery";
import { ReleasePackage, ReleasePackagePage, ReleasePackageQuery } from "../dataarts/model";
import { ReleasePackagePager } from "../dataarts/paging";
import { ProxyEnv } from "../dataarts/proxy";
import { Routes } from "../dataarts/route";
import { IamTokenProvider } from "../dataarts/token";
import type { Transport } from "../dataarts/transport-contract";
import { nodeTransport } from "../dataarts/http-transport";
import { DEFAULT_RETRY } from "../dataarts/retry";
import { Clock } from "../clock";
import { Limiter } from "../polling/limiter";
import { pollWorkspace } from "../polling/poller";
import { Snapshot } from "../polling/state";
import { inspectFilter, inspectPackages, inspectTotals } from "./inspect";
import { probeEndpoint } from "./probe";
import {
  ApiCheckReport,
  AuthReport,
  EndpointReport,
  Finding,
  ProjectReport,
  QueryReport,
  REPORT_VERSION,
  WorkspaceReport,
  rollUp,
  summarize,
} from "./report";

/** Past this the report flags the clock; at the signature window, AK/SK requests fail. */
const CLOCK_FLAG_SECONDS = 5 * 60;
/** Packages read newest first for the field checks. */
const SAMPLE_SIZE = 10;

export interface ApiCheckDeps {
  clock: Clock;
  env: ProxyEnv;
  /** Whether this replica's shard polls the workspace. */
  owns: (projectId: string, workspaceId: string) => boolean;
  exporterVersion: string;
  configFile: string;
  /** Tests may pass a transport; by default each project gets its proxy and TLS settings. */
  transportFor?: (project: ProjectConfig) => Transport;
}

interface Listed {
  id: string;
  name: string;
  source: WorkspaceReport["source"];
}

interface QueryRecord {
  filter: ReleasePackageQuery;
  page?: ReleasePackagePage;
  error?: unknown;
  events: RequestEvent[];
}

/** A client that keeps every release-package query it makes with the exchanges behind it. */
class RecordingClient extends DataArtsClient {
  readonly records = new Map<string, QueryRecord[]>();

  constructor(
    options: ClientOptions,
    private readonly events: RequestEvent[],
  ) {
    super(options);
  }

  override async queryReleasePackages(workspaceId: string, filter: ReleasePackageQuery): Promise<ReleasePackagePage> {
    const from = this.events.length;
    const record: QueryRecord = { filter, events: [] };
    const list = this.records.get(workspaceId) ?? [];
    list.push(record);
    this.records.set(workspaceId, list);
    try {
      record.page = await super.queryReleasePackages(workspaceId, filter);
      return record.page;
    } catch (err) {
      record.error = err;
      throw err;
    } finally {
      // A workspace's queries run one after another, so the exchanges since `from` are this query's.
      record.events = this.events.slice(from).filter((e) => e.workspaceId === workspaceId && e.kind === "release_packages");
    }
  }
}

export async function runApiCheck(config: Config, deps: ApiCheckDeps): Promise<ApiCheckReport> {
  const started = deps.clock.now();
  const limiter = new Limiter(config.polling.concurrency);
  const projects: ProjectReport[] = [];
  for (const project of config.projects) projects.push(await checkProject(config, project, limiter, deps));
  const summary = summarize(projects);
  return {
    version: REPORT_VERSION,
    exporter_version: deps.exporterVersion,
    config_file: deps.configFile,
    started_at: new Date(started).toISOString(),
    duration_ms: deps.clock.now() - started,
    projects,
    summary,
    result: rollUp([], projects.map((p) => p.result)),
  };
}

function describeError(err: unknown): string {
  if (err instanceof ApiError) return `${err.reason}: ${err.message}${err.requestId ? ` (request ${err.requestId})` : ""}`;
  return `unexpected: ${(err as Error)?.message ?? String(err)}`;
}

async function checkProject(config: Config, project: ProjectConfig, limiter: Limiter, deps: ApiCheckDeps): Promise<ProjectReport> {
  const routes = new Routes(project, deps.env);
  const events: RequestEvent[] = [];
  let auth: Authenticator | undefined;
  const client = createClient(
    project,
    {
      transport: deps.transportFor?.(project) ?? nodeTransport({ routes }),
      clock: deps.clock,
      timeoutMs: config.polling.timeoutMs,
      // One attempt each: the check shows what happens, it does not wait out a storm.
      retry: { ...DEFAULT_RETRY, maxAttempts: 1 },
      onRequest: (e) => events.push(e),
      limit: (fn) => limiter.run(fn),
    },
    (options) => {
      // Kept for the report: a password's token expiry.
      auth = options.auth;
      return new RecordingClient(options, events);
    },
  );
  const tokens = auth instanceof PasswordAuthenticator ? auth.tokens : undefined;

  const targets: Array<{ role: EndpointReport["role"]; url: URL }> = [{ role: "dataarts", url: new URL(project.endpoint) }];
  if (project.auth.type === "password" && new URL(project.auth.iamEndpoint).origin !== new URL(project.endpoint).origin) {
    targets.push({ role: "iam", url: new URL(project.auth.iamEndpoint) });
  }
  const probes = await Promise.all(
    targets.map(({ role, url }) => {
      let proxy;
      try {
        proxy = routes.proxyFor(url);
      } catch (err) {
        proxy = err as Error;
      }
      return probeEndpoint({ role, url, proxy, tls: project.tls, timeoutMs: config.polling.timeoutMs, now: () => deps.clock.now() });
    }),
  );

  const authFindings: Finding[] = [];
  let authBlocked = false;
  if (tokens) {
    try {
      await tokens.token();
    } catch (err) {
      authFindings.push({ severity: "fail", message: `IAM token: ${describeError(err)}` });
      authBlocked = true;
    }
  }

  let discovery: ProjectReport["discovery"] = null;
  const listed: Listed[] = project.workspaces.map((w) => ({ id: w.id, name: w.name, source: "config" }));
  if (project.discover && !authBlocked) {
    const instanceId = project.discover.instanceId;
    try {
      const found = await discoverWorkspaces(client, instanceId);
      discovery = { instance_id: instanceId, workspaces: found.map((w) => ({ id: w.id, name: w.name })), findings: [], result: "pass" };
      if (found.length === 0) discovery.findings.push({ severity: "warn", message: `instance ${instanceId} lists no workspace` });
      for (const w of found) if (!listed.some((l) => l.id === w.id)) listed.push({ id: w.id, name: w.name || w.id, source: "discovered" });
    } catch (err) {
      discovery = { instance_id: instanceId, workspaces: [], findings: [{ severity: "fail", message: describeError(err) }], result: "fail" };
    }
    discovery.result = rollUp(discovery.findings);
  }

  const mine = listed.filter((w) => deps.owns(project.projectId, w.id));
  const workspaces = authBlocked
    ? mine.map((w) => skipped(w, "not checked: authentication failed"))
    : await Promise.all(mine.map((w) => checkWorkspace(config, client, w, deps.clock)));

  const endpoints = probes.map((probe) => withClock(probe, events));
  const authReport = authResult(project, tokens, authFindings, events, client, workspaces);
  const parts = [...endpoints.map((e) => e.result), authReport.result, ...(discovery ? [discovery.result] : []), ...workspaces.map((w) => w.result)];
  return {
    project_id: project.projectId,
    region: project.region,
    endpoints,
    auth: authReport,
    discovery,
    other_shards: listed.length - mine.length,
    workspaces,
    result: rollUp([], parts),
  };
}

/** The endpoint's clock from the `Date` of the answers it gave (IAM's for the IAM endpoint). */
function withClock(probe: Omit<EndpointReport, "clock" | "result">, events: RequestEvent[]): EndpointReport {
  const mine = events.filter((e) => e.clockSkewSeconds !== undefined && (probe.role === "iam") === (e.kind === "iam_token"));
  const skew = mine.at(-1)?.clockSkewSeconds;
  const findings = [...probe.findings];
  let clock: EndpointReport["clock"] = null;
  if (skew !== undefined) {
    const flagged = Math.abs(skew) > CLOCK_FLAG_SECONDS;
    clock = { skew_seconds: skew, flagged };
    if (Math.abs(skew) > SIGNATURE_WINDOW_SECONDS) {
      findings.push({ severity: "fail", message: `clock: ${describeSkew(skew)}; AK/SK signatures are refused past 15 minutes: fix the clock (NTP)` });
    } else if (flagged) {
      findings.push({ severity: "warn", message: `clock: ${describeSkew(skew)}; signatures are refused past 15 minutes` });
    }
  }
  return { ...probe, clock, findings, result: rollUp(findings) };
}

function authResult(
  project: ProjectConfig,
  tokens: IamTokenProvider | undefined,
  findings: Finding[],
  events: RequestEvent[],
  client: RecordingClient,
  workspaces: WorkspaceReport[],
): AuthReport {
  const auth = project.auth;
  const identity = auth.type === "aksk" ? auth.accessKey : auth.type === "password" ? `${auth.user} (domain ${auth.domain})` : null;
  const expires = tokens?.expiresAt;
  const all = [...findings];
  const refused = [...client.records.values()].flat().find((r) => r.error instanceof ApiError && r.error.reason === "auth")?.error as ApiError | undefined;
  const dataarts = events.filter((e) => e.kind !== "iam_token");
  if (refused && all.length === 0) all.push({ severity: "fail", message: `refused: ${refused.message}` });
  else if (all.length === 0 && !dataarts.some((e) => e.code.startsWith("2")) && workspaces.length > 0) {
    all.push({ severity: "warn", message: "not verified: no DataArts request was answered" });
  }
  return {
    type: auth.type,
    identity,
    token_expires_at: expires === undefined ? null : new Date(expires).toISOString(),
    findings: all,
    result: rollUp(all),
  };
}

function skipped(w: Listed, why: string): WorkspaceReport {
  const findings: Finding[] = [{ severity: "fail", message: why }];
  return { workspace_id: w.id, name: w.name, source: w.source, queries: [], offset_reading: "unknown", would_publish: null, sample_size: 0, findings, result: "fail" };
}

async function checkWorkspace(
  config: Config,
  client: RecordingClient,
  w: Listed,
  clock: Clock,
): Promise<WorkspaceReport> {
  const findings: Finding[] = [];
  const now = clock.now();
  let snapshot: Snapshot | undefined;
  let sample: ReleasePackagePage | undefined;
  let reading: WorkspaceReport["offset_reading"] = "unknown";
  try {
    snapshot = await pollWorkspace({
      client,
      pager: new ReleasePackagePager(client, config.polling.pagination),
      workspaceId: w.id,
      packageSeriesLimit: 0,
      now,
    });
    sample = await client.queryReleasePackages(w.id, { limit: SAMPLE_SIZE, offset: 0 });
    // Two packages a page, at most four: enough to tell a page number from a record offset.
    const probe = new ReleasePackagePager(client, "auto");
    await probe.all(w.id, { limit: 2 }, 4);
    reading = probe.detectedReading ?? "unknown";
  } catch (err) {
    findings.push({ severity: "fail", message: describeError(err) });
  }
  const records = client.records.get(w.id) ?? [];
  for (const r of records) if (r.page) findings.push(...inspectFilter(r.filter, r.page.data as unknown as Array<Record<string, unknown>>));
  const seen = new Map<string, ReleasePackage>();
  for (const r of records) for (const p of r.page?.data ?? []) seen.set(p.package_id, p);
  const packages = [...seen.values()] as unknown as Array<Record<string, unknown>>;
  findings.push(...inspectPackages(packages));
  if (snapshot) findings.push(...inspectTotals(snapshot.data.counts, sample?.total));
  const configured = config.polling.pagination;
  if (configured !== "auto" && reading !== "unknown" && reading !== configured) {
    findings.push({
      severity: "fail",
      message: `polling.pagination is ${configured} but the service reads offset as ${reading === "offset" ? "a record offset" : "a page number"}: set pagination: auto or ${reading}`,
    });
  }
  return {
    workspace_id: w.id,
    name: w.name,
    source: w.source,
    queries: records.map(queryReport),
    offset_reading: reading,
    would_publish: snapshot ? publishedFrom(snapshot, now) : null,
    sample_size: packages.length,
    findings,
    result: rollUp(findings),
  };
}

function queryReport(r: QueryRecord): QueryReport {
  const last = r.events.at(-1);
  // The request id has its own field here.
  const error = r.error === undefined ? null : r.error instanceof ApiError ? `${r.error.reason}: ${r.error.message}` : describeError(r.error);
  const requestId = last?.requestId ?? (r.error instanceof ApiError ? r.error.requestId : undefined);
  return {
    filter: r.filter as Record<string, unknown>,
    status: last?.code ?? "error",
    request_id: requestId ?? null,
    latency_ms: r.events.length > 0 ? Math.round(r.events.reduce((n, e) => n + e.durationSeconds, 0) * 1000) : null,
    total: r.page?.total ?? null,
    returned: r.page?.data.length ?? null,
    error,
  };
}

function publishedFrom({ data: s }: Snapshot, now: number): NonNullable<WorkspaceReport["would_publish"]> {
  const age = (ms: number | undefined) => (ms === undefined ? null : Math.max(0, Math.round((now - ms) / 1000)));
  return {
    counts: { ...s.counts },
    oldest_pending_age_seconds: age(s.oldestPendingApplyMs),
    longest_running_seconds: age(s.oldestReleasingStartMs),
    last_failure_at: s.lastFailureMs === undefined ? null : new Date(s.lastFailureMs).toISOString(),
  };
}
