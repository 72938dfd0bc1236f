/** The command line: every flag, its default and its checks, read once into `Flags`. */
import { parseArgs } from "node:util";
import { ConfigError } from "./config/config-error";
import { LOG_FORMATS, LOG_LEVELS, LogFormat, LogLevel } from "./logger";
import type { ListenAddress } from "./http/server";
import { MAX_SHARDS } from "./polling/shard";

export interface Flags {
  configFile: string;
  /** Every --web.listen-address, in the order given (the toolkit's flag is repeatable too). */
  listen: ListenAddress[];
  listenText: string;
  /** --web.config.file: TLS, client certificates and basic auth; undefined serves plain HTTP to anyone. */
  webConfigFile?: string;
  /** --web.enable-lifecycle: whether POST /-/reload is served. */
  lifecycle: boolean;
  telemetryPath: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  configCheck: boolean;
  apiCheck: boolean;
  apiCheckFormat: "text" | "json";
  version: boolean;
  help: boolean;
  demo: boolean;
  shard: ShardConfig;
  /** Directory of the state file; unset keeps accounting in memory only. */
  storagePath?: string;
}

const DEFAULT_PORT = 19918;

export const USAGE = `usage: dataarts-exporter [flags]

Prometheus exporter for Huawei Cloud DataArts Studio release packages.

  --config.file=PATH          configuration file (default: config.yml)
  --web.listen-address=ADDR   address to listen on, repeatable (default: :${DEFAULT_PORT})
  --web.config.file=PATH      TLS, client certificates and basic auth (exporter-toolkit format)
  --web.enable-lifecycle      serve POST /-/reload (SIGHUP always reloads)
  --web.telemetry-path=PATH   path of the metrics (default: /metrics)
  --log.level=LEVEL           debug, info, warn or error (default: info)
  --log.format=FORMAT         logfmt, json or pretty (default: logfmt)
  --config.check              validate the configuration and exit (0 valid, 2 invalid)
  --storage.path=DIR          keep counters and the accounting window in DIR across restarts (default: in memory)
  --api.check                 run each poll's requests once, print what the service answered, and exit
                              (0 all passed, 1 something failed, 2 invalid configuration)
  --api.check.format=FORMAT   text or json (default: text; json follows docs/api-check.schema.json)
  --shard=K|auto              this replica's shard, 0-based; auto reads the StatefulSet ordinal from HOSTNAME
  --total-shards=N            how many replicas share the workspaces (default: 1)
  --demo                      run against the built-in simulator; no cloud account needed
  --version                   print the version and exit
  --help                      print this help and exit
`;

const DEFAULT_LISTEN: string[] = [`:${DEFAULT_PORT}`];

const OPTIONS = {
  "config.file": { type: "string", default: "config.yml" },
  "web.listen-address": { type: "string", multiple: true, default: DEFAULT_LISTEN },
  "web.config.file": { type: "string" },
  "web.enable-lifecycle": { type: "boolean", default: false },
  "web.telemetry-path": { type: "string", default: "/metrics" },
  "log.level": { type: "string", default: "info" },
  "log.format": { type: "string", default: "logfmt" },
  "config.check": { type: "boolean", default: false },
  "storage.path": { type: "string" },
  "api.check": { type: "boolean", default: false },
  "api.check.format": { type: "string", default: "text" },
  shard: { type: "string" },
  "total-shards": { type: "string" },
  demo: { type: "boolean", default: false },
  version: { type: "boolean", default: false },
  help: { type: "boolean", default: false, short: "h" },
} as const;

/** Reads the command line; every problem is reported at once as a ConfigError. */
export function parseFlags(argv: string[], hostname?: string): Flags {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError([(err as Error).message.replace(/\. To specify .*$/s, "")]);
  }
  const problems: string[] = [];
  const listenTexts = values["web.listen-address"];
  const listen = listenTexts.map((text) => {
    const address = parseListenAddress(text);
    if (!address) problems.push(`--web.listen-address: "${text}" is not host:port (e.g. :${DEFAULT_PORT} or 127.0.0.1:${DEFAULT_PORT})`);
    return address;
  });
  const webConfigFile = values["web.config.file"];
  if (webConfigFile === "") problems.push("--web.config.file: empty path");
  const telemetryPath = values["web.telemetry-path"];
  if (!telemetryPath.startsWith("/") || telemetryPath === "/" || telemetryPath.startsWith("/-/")) {
    problems.push(`--web.telemetry-path: "${telemetryPath}" must start with / and not be / or under /-/`);
  }
  const logLevel = values["log.level"];
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`--log.level: "${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  const logFormat = values["log.format"];
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) problems.push(`--log.format: "${logFormat}" is not one of ${LOG_FORMATS.join(", ")}`);
  const storagePath = values["storage.path"];
  if (storagePath === "") problems.push("--storage.path: must name a directory");
  const apiCheckFormat = values["api.check.format"];
  if (apiCheckFormat !== "text" && apiCheckFormat !== "json") problems.push(`--api.check.format: "${apiCheckFormat}" is not text or json`);
  const shard = shardOrProblems({ shard: values.shard, totalShards: values["total-shards"], hostname }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    configFile: values["config.file"],
    listen: listen as ListenAddress[],
    listenText: listenTexts.join(", "),
    webConfigFile,
    lifecycle: values["web.enable-lifecycle"],
    telemetryPath,
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
    configCheck: values["config.check"],
    apiCheck: values["api.check"],
    apiCheckFormat: apiCheckFormat as Flags["apiCheckFormat"],
    version: values.version,
    help: values.help,
    demo: values.demo,
    shard,
    storagePath,
  };
}

function shardOrProblems(flags: ShardFlags, problems: string[]): ShardConfig {
  try {
    return parseShardFlags(flags);
  } catch (err) {
    problems.push(...(err as ConfigError).problems);
    return { shard: 0, totalShards: 1 };
  }
}

/** `:19918`, `127.0.0.1:9000`, `[::1]:9000`, as Prometheus exporters write it; undefined when unreadable. */
export function parseListenAddress(value: string): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? m[2];
  return { host: host ? host : undefined, port };
}

export interface ShardFlags {
  shard: string | undefined;
  totalShards: string | undefined;
  /** The HOSTNAME environment variable; a StatefulSet pod is named `<statefulset>-<ordinal>`. */
  hostname: string | undefined;
}

export interface ShardConfig {
  shard: number;
  totalShards: number;
}

/**
 * Reads `--shard` and `--total-shards`. Without either flag the exporter is a
 * single shard that polls everything. Every problem found is reported at once.
 */
export function parseShardFlags(flags: ShardFlags): ShardConfig {
  const problems: string[] = [];
  const totalShards = parseCount(flags.totalShards, problems);
  const shard = parseShard(flags, problems);
  if (problems.length === 0 && totalShards > 1 && flags.shard === undefined) {
    // Two replicas that both default to shard 0 would silently poll the same half.
    problems.push(`--shard: required when --total-shards is ${totalShards} (a number, or auto in a StatefulSet)`);
  }
  if (problems.length === 0 && shard >= totalShards) {
    problems.push(
      `--shard: ${shard} is out of range for --total-shards ${totalShards} (shards are numbered 0 to ${totalShards - 1})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { shard, totalShards };
}

function parseCount(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  const n = parseNonNegativeInteger(raw);
  if (n === undefined || n < 1 || n > MAX_SHARDS) {
    problems.push(`--total-shards: "${raw}" is not a whole number from 1 to ${MAX_SHARDS}`);
    return 1;
  }
  return n;
}

function parseShard(flags: ShardFlags, problems: string[]): number {
  const raw = flags.shard;
  if (raw === undefined) return 0;
  if (raw === "auto") return ordinalFromHostname(flags.hostname, problems);
  const n = parseNonNegativeInteger(raw);
  if (n === undefined) {
    problems.push(`--shard: "${raw}" is neither a whole number from 0 nor auto`);
    return 0;
  }
  return n;
}

function ordinalFromHostname(hostname: string | undefined, problems: string[]): number {
  if (hostname === undefined || hostname === "") {
    problems.push("--shard auto: HOSTNAME is not set, so the StatefulSet pod ordinal cannot be read");
    return 0;
  }
  const match = /-(\d+)$/.exec(hostname);
  const ordinal = match?.[1] === undefined ? undefined : parseNonNegativeInteger(match[1]);
  if (ordinal === undefined) {
    problems.push(
      `--shard auto: HOSTNAME "${hostname}" does not end in a StatefulSet ordinal like "dataarts-exporter-0"`,
    );
    return 0;
  }
  return ordinal;
}

/** Digits only: "1e3", "0x10", " 2" and "2.0" are typos here, not numbers. */
function parseNonNegativeInteger(raw: string): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
