/** The exporter's YAML config: its shape, `*_file` secrets, defaults and validation, every problem collected. */
// Every problem is collected, so that one run of `--config.check` shows all of them,
// in the order they appear in the file.
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError } from "./config-error";
import { formatDuration } from "./duration";
import { workspaceKey } from "./workspace-key";
import { FILE_PATH, MAX_CONFIG_BYTES, Problems, readYamlTree } from "./yaml-tree";
import { ReadContext, Section, describeReadError } from "./section";
import { CONNECTION_KEYS, ConnectionConfig, readConnection, redactConnection } from "./connection";
import { checkLabelCap, readLabels } from "./labels";

export type Pagination = "page" | "offset" | "auto";
export interface Config {
  polling: { intervalMs: number; timeoutMs: number; concurrency: number; pagination: Pagination };
  /** `packageSeriesLimit` is 0 when `package_series` is off: the one number pollers and renderers read. */
  metrics: { packageSeriesLimit: number; staleAfterMs: number; catchUpLimitMs: number };
  projects: ProjectConfig[];
}
export interface ProjectConfig extends ConnectionConfig {
  projectId: string;
  region: string;
  /** The override, else https://dayu.<region>.myhuaweicloud.com; never a trailing slash. */
  endpoint: string;
  auth: AuthConfig;
  workspaces: WorkspaceConfig[];
  /** `intervalMs` is how often a discovered workspace is polled: `polling.interval`. */
  discover?: { instanceId: string; refreshMs: number; intervalMs: number; labels?: Record<string, string> };
  /** Extra labels of every workspace of this entry (src/config/labels.ts); absent when none are set. */
  labels?: Record<string, string>;
}
export type AuthConfig =
  | { type: "aksk"; accessKey: string; secretKey: string; securityToken?: string }
  | { type: "password"; iamEndpoint: string; domain: string; user: string; password: string }
  | { type: "token"; token: string };
/** `name` defaults to the id, `intervalMs` to `polling.intervalMs`. */
export interface WorkspaceConfig {
  id: string;
  name: string;
  intervalMs: number;
  labels?: Record<string, string>;
}
/** Injected so that tests pass fakes; the entry point passes process.env and readBoundedFile. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Reads a file of at most `maxBytes`; throws for anything else. */
  readFile: (path: string, maxBytes: number) => string;
}

export const DEFAULTS = {
  intervalMs: 60_000,
  timeoutMs: 10_000,
  concurrency: 4,
  pagination: "auto" as Pagination,
  packageSeries: false,
  packageSeriesLimit: 200,
  staleAfterMs: 10 * 60_000,
  /** How far back a restart with --storage.path catches up before taking a new baseline. */
  catchUpLimitMs: 24 * 3_600_000,
  discoverRefreshMs: 10 * 60_000,
};

/** The variables the Huawei Cloud SDKs read, used when an aksk auth block leaves its keys out. */
export const SDK_ENV = {
  accessKey: "HUAWEICLOUD_SDK_AK",
  secretKey: "HUAWEICLOUD_SDK_SK",
  securityToken: "HUAWEICLOUD_SDK_SECURITY_TOKEN",
};

/** Fields of AuthConfig that hold a secret. */
const SECRET_FIELDS = ["secretKey", "securityToken", "password", "token"];
const PAGINATIONS: readonly Pagination[] = ["page", "offset", "auto"];
const AUTH_KEYS = {
  aksk: ["access_key", "secret_key", "secret_key_file", "security_token", "security_token_file"],
  password: ["iam_endpoint", "domain", "user", "password", "password_file"],
  token: ["token", "token_file"],
} as const;
type AuthType = keyof typeof AUTH_KEYS;
const AUTH_TYPES = Object.keys(AUTH_KEYS) as AuthType[];
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const cloudUrl = (service: string, region: string): string => `https://${service}.${region}.myhuaweicloud.com`;

type Polling = Config["polling"];
/** Each field undefined when its value was invalid. */
type Checked<T> = { [K in keyof T]-?: T[K] | undefined };

/** `obj` when none of its fields is undefined; an invalid field has already been reported. */
function complete<T>(obj: Checked<T>): T | undefined {
  return Object.values(obj).includes(undefined) ? undefined : (obj as T);
}

/** Parses and validates config YAML; throws ConfigError listing every problem. */
export function parseConfig(yamlText: string, sources: ConfigSources): Config {
  const problems = new Problems();
  const ctx: ReadContext = { problems, env: sources.env, readFile: sources.readFile };
  const tree = readYamlTree(yamlText, sources.env, problems);
  const root = tree && Section.open(ctx, tree, "", 0);
  const config = root && readConfig(root);
  if (problems.any || !config) throw new ConfigError(problems.messages());
  return config;
}

/** Reads and parses the file at `path`; relative `*_file` paths are taken from the config file's directory. */
export function loadConfig(path: string, sources: ConfigSources): Config {
  let text: string;
  try {
    text = sources.readFile(path, MAX_CONFIG_BYTES);
  } catch (error) {
    throw new ConfigError([`${FILE_PATH}: cannot read ${path}: ${describeReadError(error)}`]);
  }
  const base = dirname(path);
  const readFile = (file: string, maxBytes: number): string => sources.readFile(isAbsolute(file) ? file : resolve(base, file), maxBytes);
  return parseConfig(text, { env: sources.env, readFile });
}

/** A copy safe to log or show: every secret replaced by "<redacted>". The access key is an ID, not a secret. */
export function redactConfig(c: Config): unknown {
  const copy = structuredClone(c);
  copy.projects.forEach((project, i) => {
    const auth: Record<string, unknown> = project.auth;
    for (const field of SECRET_FIELDS) if (auth[field] !== undefined) auth[field] = "<redacted>";
    delete project.proxyUrl;
    delete project.tls;
    Object.assign(project, redactConnection(c.projects[i]!));
  });
  return copy;
}

function readConfig(root: Section): Config | undefined {
  root.allowOnly(["polling", "metrics", "projects"]);
  const pollingSection = root.section("polling");
  const polling = pollingSection && readPolling(pollingSection);
  const metricsSection = root.section("metrics");
  const metrics = metricsSection && readMetrics(metricsSection);
  const projects = readProjects(root, polling);
  return complete<Config>({ polling: polling && complete<Polling>(polling), metrics, projects });
}

function readPolling(s: Section): Checked<Polling> {
  s.allowOnly(["interval", "timeout", "concurrency", "pagination"]);
  const polling = {
    intervalMs: s.duration("interval", DEFAULTS.intervalMs),
    timeoutMs: s.duration("timeout", DEFAULTS.timeoutMs),
    concurrency: s.int("concurrency", DEFAULTS.concurrency, 1),
    pagination: s.oneOf("pagination", PAGINATIONS, DEFAULTS.pagination),
  };
  const { intervalMs, timeoutMs } = polling;
  if (intervalMs !== undefined && !outlastsTimeout(intervalMs, timeoutMs)) {
    s.problem("timeout", `must be shorter than polling.interval (${formatDuration(intervalMs)})`);
  }
  return polling;
}

/** A poll must end before the next one is due: the one timeout check, for the default and each workspace interval. */
function outlastsTimeout(intervalMs: number, timeoutMs: number | undefined): boolean {
  return timeoutMs === undefined || intervalMs > timeoutMs;
}

function readMetrics(s: Section): Config["metrics"] | undefined {
  s.allowOnly(["package_series", "package_series_limit", "stale_after", "catch_up_limit"]);
  const on = s.bool("package_series", DEFAULTS.packageSeries);
  const limit = s.int("package_series_limit", DEFAULTS.packageSeriesLimit, 1);
  return complete<Config["metrics"]>({
    // Decided here once: the poller asks for this many package series, the renderer shows what it got.
    packageSeriesLimit: on === undefined || limit === undefined ? undefined : on ? limit : 0,
    staleAfterMs: s.duration("stale_after", DEFAULTS.staleAfterMs),
    catchUpLimitMs: s.duration("catch_up_limit", DEFAULTS.catchUpLimitMs),
  });
}

function readProjects(root: Section, polling: Checked<Polling> | undefined): ProjectConfig[] | undefined {
  const node = root.get("projects");
  if (node === undefined) root.problem("projects", "required");
  if (node?.kind === "list" && node.items.length === 0) root.problem("projects", "must list at least one project");
  const sections = node && root.sections("projects");
  if (!sections?.length) return undefined;
  const seen: WorkspaceIds = new Map();
  const projects = sections.map((s) => readProject(s, polling, seen));
  return projects.includes(undefined) ? undefined : (projects as ProjectConfig[]);
}

/** Where each `project_id/workspace id` was first configured, to report duplicates. */
type WorkspaceIds = Map<string, string>;

function readProject(s: Section, polling: Checked<Polling> | undefined, seen: WorkspaceIds): ProjectConfig | undefined {
  s.allowOnly(["project_id", "region", "endpoint", "auth", "workspaces", "discover", "labels", ...CONNECTION_KEYS]);
  const projectId = s.id("project_id");
  const region = readRegion(s);
  const endpoint = s.url("endpoint", region && cloudUrl("dayu", region), cloudUrl("dayu", "cn-north-4"));
  const authSection = s.section("auth", "required");
  const auth = authSection && readAuth(authSection, region);
  // Without a valid project ID, duplicates are still looked for within this entry.
  const scope = projectId ?? s.path;
  const labels = readLabels(s);
  checkLabelCap(s, [], labels ?? undefined, "");
  const discover = readDiscover(s, polling?.intervalMs, labels);
  const inherited = { names: Object.keys({ ...labels, ...discover?.labels }), from: discover?.labels ? " with the project's and discover's" : " with the project's" };
  const workspaces = readWorkspaces(s, polling, inherited, (id, path) => checkUnique(seen, scope, id, path));
  const connection = readConnection(s);
  const listed = s.get("workspaces");
  if (!s.has("discover") && (listed === undefined || (listed.kind === "list" && listed.items.length === 0))) {
    s.problem("workspaces", "at least one workspace is required unless discover is set");
  }
  const project = complete<Omit<ProjectConfig, "discover" | "labels" | keyof ConnectionConfig>>({ projectId, region, endpoint, auth, workspaces });
  if (!project || discover === null || labels === null || connection === null) return undefined;
  return { ...project, ...connection, ...(discover && { discover }), ...(labels && { labels }) };
}

/**
 * Workspace IDs must be unique within a project ID, also across two entries for the
 * same project (one per DataArts instance), or their series would collide.
 */
function checkUnique(seen: WorkspaceIds, projectId: string, id: string, path: string): string | undefined {
  const key = workspaceKey(projectId, id);
  const first = seen.get(key);
  if (first === undefined) seen.set(key, path);
  return first && `duplicate workspace id (also ${first})`;
}

function readRegion(s: Section): string | undefined {
  const region = s.text("region");
  if (region === undefined || REGION.test(region)) return region;
  s.problem("region", "must be a region name such as cn-north-4");
  return undefined;
}

function readWorkspaces(
  project: Section,
  polling: Checked<Polling> | undefined,
  inheritedLabels: { names: string[]; from: string },
  duplicate: (id: string, path: string) => string | undefined,
): WorkspaceConfig[] | undefined {
  const sections = project.sections("workspaces");
  if (sections === undefined) return undefined;
  const workspaces = sections.map((s) => {
    s.allowOnly(["id", "name", "interval", "labels"]);
    const id = s.id("id");
    const clash = id === undefined ? undefined : duplicate(id, s.path);
    if (clash) s.problem("id", clash);
    const name = s.has("name") ? s.text("name") : id;
    const intervalMs = s.duration("interval", polling?.intervalMs);
    const timeoutMs = polling?.timeoutMs;
    if (s.has("interval") && intervalMs !== undefined && timeoutMs !== undefined && !outlastsTimeout(intervalMs, timeoutMs)) {
      s.problem("interval", `must be longer than polling.timeout (${formatDuration(timeoutMs)})`);
    }
    const labels = readLabels(s);
    checkLabelCap(s, inheritedLabels.names, labels ?? undefined, inheritedLabels.from);
    const workspace = complete<Omit<WorkspaceConfig, "labels">>({ id, name, intervalMs });
    if (!workspace || labels === null) return undefined;
    return labels ? { ...workspace, labels } : workspace;
  });
  return workspaces.includes(undefined) ? undefined : (workspaces as WorkspaceConfig[]);
}

/** The discover block, undefined when absent, null when invalid (reported). */
function readDiscover(
  project: Section,
  intervalMs: number | undefined,
  projectLabels: Record<string, string> | null | undefined,
): ProjectConfig["discover"] | null {
  if (!project.has("discover")) return undefined;
  const s = project.section("discover");
  if (!s) return null;
  s.allowOnly(["instance_id", "refresh", "labels"]);
  const labels = readLabels(s);
  checkLabelCap(s, Object.keys(projectLabels ?? {}), labels ?? undefined, " with the project's");
  const discover = complete<Omit<NonNullable<ProjectConfig["discover"]>, "labels">>({
    instanceId: s.id("instance_id"),
    refreshMs: s.duration("refresh", DEFAULTS.discoverRefreshMs),
    intervalMs,
  });
  if (!discover || labels === null) return null;
  return labels ? { ...discover, labels } : discover;
}

function readAuth(s: Section, region: string | undefined): AuthConfig | undefined {
  const type = s.string("type", { required: `required (${AUTH_TYPES.join(", ")})` });
  if (type === undefined || !(AUTH_TYPES as string[]).includes(type)) {
    if (type !== undefined) s.problem("type", `must be one of ${AUTH_TYPES.join(", ")}, got "${type}"`);
    s.allowOnly(["type", ...AUTH_TYPES.flatMap((t) => AUTH_KEYS[t])]);
    return undefined;
  }
  const authType = type as AuthType;
  const known: readonly string[] = AUTH_TYPES.flatMap((t) => AUTH_KEYS[t]);
  s.allowOnly(["type", ...AUTH_KEYS[authType]], (key) => (known.includes(key) ? `not allowed for type ${authType}` : "unknown key"), [
    "type",
    ...known,
  ]);
  if (authType === "aksk") return readAkSk(s);
  if (authType === "password") return readPassword(s, region);
  const token = requiredSecret(s, "token", "token");
  return token === undefined ? undefined : { type: "token", token };
}

function readAkSk(s: Section): AuthConfig | undefined {
  const required = "required for type aksk";
  const accessKey = nonEmpty(s, "access_key", s.string("access_key", { required, env: SDK_ENV.accessKey }));
  const secretKey = requiredSecret(s, "secret_key", "aksk", SDK_ENV.secretKey);
  // A temporary security token belongs to its access key: only take it from the
  // environment when the access key came from there too.
  const tokenEnv = s.has("access_key") ? undefined : SDK_ENV.securityToken;
  const securityToken = s.secret("security_token", { env: tokenEnv }) || undefined;
  if (accessKey === undefined || secretKey === undefined) return undefined;
  return securityToken === undefined
    ? { type: "aksk", accessKey, secretKey }
    : { type: "aksk", accessKey, secretKey, securityToken };
}

function readPassword(s: Section, region: string | undefined): AuthConfig | undefined {
  const required = "required for type password";
  return complete<Extract<AuthConfig, { type: "password" }>>({
    type: "password",
    iamEndpoint: s.url("iam_endpoint", region && cloudUrl("iam", region), cloudUrl("iam", "cn-north-4")),
    domain: s.text("domain", required),
    user: s.text("user", required),
    password: requiredSecret(s, "password", "password"),
  });
}

function requiredSecret(s: Section, key: string, type: AuthType, env?: string): string | undefined {
  return nonEmpty(s, key, s.secret(key, { required: `required for type ${type}`, env }));
}

function nonEmpty(s: Section, key: string, value: string | undefined): string | undefined {
  if (value !== "") return value;
  s.problem(key, "must not be empty");
  return undefined;
}
