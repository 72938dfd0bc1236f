/** The `--api.check` report: its shape (docs/api-check.schema.json describes the JSON form) and how results roll up. */

export const REPORT_VERSION = 1;

export type Result = "pass" | "warn" | "fail";

/** Something the check found; `fail` makes the run exit 1, `warn` is shown but passes. */
export interface Finding {
  severity: "warn" | "fail";
  message: string;
}

export interface EndpointReport {
  role: "dataarts" | "iam";
  /** Scheme, host and port (endpoints never carry credentials). */
  url: string;
  /** `host:port` of the proxy and where it was set; null when connecting directly. */
  proxy: { address: string; from: string } | null;
  dns: { ms: number; addresses: string[] } | null;
  connect: { ms: number } | null;
  /** The proxy's answer to CONNECT (https:// endpoints through a proxy). */
  tunnel: { ms: number; status: number } | null;
  tls: {
    ms: number;
    protocol: string;
    subject: string;
    issuer: string;
    valid_to: string;
    days_to_expiry: number;
    trusted: boolean;
  } | null;
  /** Service time minus ours from the `Date` of its answers; flagged past 5 minutes. */
  clock: { skew_seconds: number; flagged: boolean } | null;
  findings: Finding[];
  result: Result;
}

export interface AuthReport {
  type: "aksk" | "password" | "token";
  /** The access key ID (an identifier, not a secret) for aksk; the IAM user and domain for password. */
  identity: string | null;
  /** When the IAM token expires (password auth); never the token. */
  token_expires_at: string | null;
  findings: Finding[];
  result: Result;
}

export interface QueryReport {
  /** What the request asked, as sent in the body. */
  filter: Record<string, unknown>;
  /** HTTP status, or `error` when no answer came. */
  status: string;
  request_id: string | null;
  latency_ms: number | null;
  total: number | null;
  returned: number | null;
  error: string | null;
}

export interface WorkspaceReport {
  workspace_id: string;
  name: string;
  source: "config" | "discovered";
  queries: QueryReport[];
  /** How the service read `offset`: a page number, a record offset, or not known (too few packages, or a failure). */
  offset_reading: "page" | "offset" | "unknown";
  /** What the exporter would publish from these answers. */
  would_publish: {
    counts: Record<string, number>;
    oldest_pending_age_seconds: number | null;
    longest_running_seconds: number | null;
    last_failure_at: string | null;
  } | null;
  /** Packages checked for missing fields, wrong types, unknown statuses and odd timestamps. */
  sample_size: number;
  findings: Finding[];
  result: Result;
}

export interface ProjectReport {
  project_id: string;
  region: string;
  endpoints: EndpointReport[];
  auth: AuthReport;
  discovery: { instance_id: string; workspaces: Array<{ id: string; name: string }>; findings: Finding[]; result: Result } | null;
  /** Workspaces left to other replicas by --shard / --total-shards. */
  other_shards: number;
  workspaces: WorkspaceReport[];
  result: Result;
}

export interface ApiCheckReport {
  version: typeof REPORT_VERSION;
  exporter_version: string;
  config_file: string;
  started_at: string;
  duration_ms: number;
  projects: ProjectReport[];
  summary: { passed: number; warnings: number; failed: number };
  result: Result;
}

/** The worst of the findings and of the parts' results. */
export function rollUp(findings: Finding[], parts: Result[] = []): Result {
  const all: Result[] = [...findings.map((f) => f.severity), ...parts];
  if (all.includes("fail")) return "fail";
  return all.includes("warn") ? "warn" : "pass";
}

/** Counts checked items (endpoints, auth, discovery, workspaces) by result. */
export function summarize(projects: ProjectReport[]): ApiCheckReport["summary"] {
  const results = projects.flatMap((p) => [
    ...p.endpoints.map((e) => e.result),
    p.auth.result,
    ...(p.discovery ? [p.discovery.result] : []),
    ...p.workspaces.map((w) => w.result),
  ]);
  return {
    passed: results.filter((r) => r === "pass").length,
    warnings: results.filter((r) => r === "warn").length,
    failed: results.filter((r) => r === "fail").length,
  };
}
