#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=2 --heap-growing-percent=20
/** The entry point: the only module that touches `process` (argv, env, signals, exit codes). */
import { setFlagsFromString } from "node:v8";
import { Config, loadConfig, redactConfig } from "./config/config";
import { readBoundedFile } from "./config/bounded-file";
import { ConfigError } from "./config/config-error";
import { Flags, USAGE, parseFlags } from "./flags";
import { createLogger } from "./logger";
import { readBuildInfo } from "./build-info";
import { run } from "./run";
import { WebConfigError } from "./http/web-config";
import { WebConfigSource } from "./http/web-config-source";
import { checkStorageDir } from "./polling/state-file";
import { checkApi } from "./api-check";

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;
const WEB_FILE_MAX_BYTES = 1024 * 1024;
/** A listen address that is taken, privileged, not this machine's, or a host name that does not resolve. */
const LISTEN_ERRORS = new Set(["EADDRINUSE", "EACCES", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN"]);

const sources = { env: process.env, readFile: readBoundedFile };

function fail(code: number, message: string): never {
  process.stderr.write(`dataarts-exporter: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const build = readBuildInfo(__dirname, process.version);
  const flags = parseFlags(process.argv.slice(2), process.env.HOSTNAME);
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.version) {
    process.stdout.write(`dataarts-exporter ${build.version} (revision ${build.revision}, node ${build.nodejsVersion})\n`);
    return;
  }
  // Before anything starts: a state directory that takes no writes would lose counts silently.
  if (flags.storagePath !== undefined) checkStorageDir(flags.storagePath);
  const webConfig = readWebConfig(flags);
  if (flags.demo) return startInDemo(flags, build, webConfig);
  const config = loadConfig(flags.configFile, sources);
  if (flags.configCheck) {
    process.stdout.write(`${flags.configFile}: valid (${config.projects.length} project(s))\n`);
    if (webConfig) process.stdout.write(`${webConfig.path}: valid\n`);
    return;
  }
  if (flags.apiCheck) {
    const { output, failed } = await checkApi(flags, config, { env: process.env, version: build.version });
    // Kept-alive sockets and abandoned hung requests must not hold the process open.
    process.stdout.write(output, () => process.exit(failed ? EXIT_FAILURE : EXIT_OK));
    return;
  }
  await serve(flags, webConfig, config, () => loadConfig(flags.configFile, sources), build);
}

/** Read once before starting: a bad web config must stop the start, not serve without protection. */
function readWebConfig(flags: Flags): WebConfigSource | undefined {
  if (flags.webConfigFile === undefined) return undefined;
  // Regular files of at most 1 MiB, like the config's PEM files: /dev/zero or a FIFO is refused, not read.
  return new WebConfigSource(flags.webConfigFile, (path) => Buffer.from(readBoundedFile(path, WEB_FILE_MAX_BYTES)), () => Date.now());
}

async function startInDemo(flags: Flags, build: ReturnType<typeof readBuildInfo>, webConfig: WebConfigSource | undefined) {
  // Loaded only when asked: a production start never loads the simulator.
  const { startDemo } = await import("./demo.js");
  const demo = await startDemo();
  // The demo's simulator is on loopback: a proxy from the environment must not stand in between.
  const url = await serve(flags, webConfig, demo.config, () => demo.config, build, demo.stop, {});
  process.stdout.write(
    `\nDemo running: the exporter polls the built-in simulator (${demo.simulator.url}).\n` +
      `  metrics:  ${url}${flags.telemetryPath}\n  overview: ${url}/\nPress Ctrl+C to stop.\n\n`,
  );
}

async function serve(
  flags: Flags,
  webConfig: WebConfigSource | undefined,
  config: Config,
  readConfig: () => Config,
  build: ReturnType<typeof readBuildInfo>,
  onStop: () => Promise<void> = async () => {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const logger = createLogger(flags.logLevel, flags.logFormat, process.stdout);
  logger.debug({ config: redactConfig(config) }, "config loaded");
  const running = await run({ flags, webConfig, config, readConfig, logger, build, env }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== undefined && LISTEN_ERRORS.has(err.code)) fail(EXIT_FAILURE, `cannot listen on ${flags.listenText}: ${err.code}`);
    throw err;
  });
  // A bug must cost one request or poll, never the process; it is logged for a report.
  process.on("unhandledRejection", (err) => logger.error({ err: String(err) }, "unhandled rejection"));
  process.on("SIGHUP", () => void running.reload());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    void Promise.all([running.stop(), onStop()]).finally(() => process.exit(EXIT_OK));
    // Shutdown must not hang on a stuck connection.
    setTimeout(() => process.exit(EXIT_OK), 1000).unref();
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return running.url;
}

/**
 * V8 compacts the old generation at every full collection, instead of only pages over 70 % free:
 * workspace states replaced every poll leave pages 40-60 % free that the default keeps (10-16 MB at
 * 2 500 workspaces; docs/performance.md, "Compaction at every full collection"). Set here, not on
 * the first line, which would pass the 127 characters that kernels before 5.1 read of it; V8 reads
 * this flag at each full collection, so setting it now takes effect from the first one.
 */
setFlagsFromString("--compact-on-every-full-gc");

main().catch((err: unknown) => {
  if (err instanceof WebConfigError) fail(EXIT_CONFIG, err.message);
  if (err instanceof ConfigError) fail(EXIT_CONFIG, err.problems.length > 1 ? `invalid configuration:\n  ${err.problems.join("\n  ")}` : err.message);
  fail(EXIT_FAILURE, `unexpected error: ${(err as Error)?.message ?? String(err)}`);
});
