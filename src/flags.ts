import { parseArgs } from "node:util";
import { ConfigError } from "./errors";
import { LOG_LEVELS, LogFormat, LogLevel } from "./logger";
import { ListenAddress, parseListenAddress } from "./server";

export interface Flags {
  configFile: string;
  listen: ListenAddress;
  listenText: string;
  telemetryPath: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  configCheck: boolean;
  version: boolean;
  help: boolean;
  demo: boolean;
  shard?: string;
  totalShards?: string;
}

export const DEFAULT_PORT = 19918;

export const USAGE = `usage: dataarts-exporter [flags]

Prometheus exporter for Huawei Cloud DataArts Studio release packages.

  --config.file=PATH          configuration file (default: config.yml)
  --web.listen-address=ADDR   address to listen on (default: :${DEFAULT_PORT})
  --web.telemetry-path=PATH   path of the metrics (default: /metrics)
  --log.level=LEVEL           debug, info, warn or error (default: info)
  --log.format=FORMAT         json or pretty (default: json)
  --config.check              validate the configuration and exit (0 valid, 2 invalid)
  --shard=K|auto              this replica's shard, 0-based; auto reads the StatefulSet ordinal from HOSTNAME
  --total-shards=N            how many replicas share the workspaces (default: 1)
  --demo                      run against the built-in simulator; no cloud account needed
  --version                   print the version and exit
  --help                      print this help and exit
`;

const OPTIONS = {
  "config.file": { type: "string", default: "config.yml" },
  "web.listen-address": { type: "string", default: `:${DEFAULT_PORT}` },
  "web.telemetry-path": { type: "string", default: "/metrics" },
  "log.level": { type: "string", default: "info" },
  "log.format": { type: "string", default: "json" },
  "config.check": { type: "boolean", default: false },
  shard: { type: "string" },
  "total-shards": { type: "string" },
  demo: { type: "boolean", default: false },
  version: { type: "boolean", default: false },
  help: { type: "boolean", default: false, short: "h" },
} as const;

/** Reads the command line; every problem is reported at once as a ConfigError. */
export function parseFlags(argv: string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError([(err as Error).message.replace(/\. To specify .*$/s, "")]);
  }
  const problems: string[] = [];
  const listenText = values["web.listen-address"];
  const listen = parseListenAddress(listenText);
  if (!listen) problems.push(`--web.listen-address: "${listenText}" is not host:port (e.g. :${DEFAULT_PORT} or 127.0.0.1:${DEFAULT_PORT})`);
  const telemetryPath = values["web.telemetry-path"];
  if (!telemetryPath.startsWith("/") || telemetryPath === "/" || telemetryPath.startsWith("/-/")) {
    problems.push(`--web.telemetry-path: "${telemetryPath}" must start with / and not be / or under /-/`);
  }
  const logLevel = values["log.level"];
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`--log.level: "${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  const logFormat = values["log.format"];
  if (logFormat !== "json" && logFormat !== "pretty") problems.push(`--log.format: "${logFormat}" is not json or pretty`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    configFile: values["config.file"],
    listen: listen!,
    listenText,
    telemetryPath,
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
    configCheck: values["config.check"],
    version: values.version,
    help: values.help,
    demo: values.demo,
    shard: values.shard,
    totalShards: values["total-shards"],
  };
}
