/** Starts polling and serving: the one place where the parts are wired together. */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Config, redactConfig } from "./config/config";
import { ConfigError } from "./config/config-error";
import { Exporter } from "./exporter";
import { Flags } from "./flags";
import { BuildInfo } from "./build-info";
import { shardOf } from "./polling/shard";
import { StateStore } from "./polling/state-store";
import { systemClock } from "./clock";
import { systemTimers } from "./polling/scheduler";
import { axiosTransport } from "./dataarts/transport";
import { projectTransport } from "./connections";
import type { ProxyEnv } from "./dataarts/proxy";
import { close, createApp, listen } from "./http/server";
import { renderLandingPage } from "./http/landing";

export interface RunOptions {
  flags: Pick<Flags, "listen" | "telemetryPath" | "shard" | "storagePath">;
  config: Config;
  /** Reads the config again for a reload; throws ConfigError when it is not valid. */
  readConfig: () => Config;
  logger: Logger;
  build: BuildInfo;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case), from the entry point. */
  env?: ProxyEnv;
}

export interface Running {
  exporter: Exporter;
  server: Server;
  url: string;
  reload(): Promise<{ ok: true } | { ok: false; message: string }>;
  stop(): Promise<void>;
}

/** Starts polling and serving. The one place where the parts are wired together. */
export async function run(options: RunOptions): Promise<Running> {
  const { logger } = options;
  const { shard } = options.flags;
  const exporter = new Exporter(options.config, {
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    transport: axiosTransport(),
    transportFor: (project) => projectTransport(project, options.env ?? {}, logger),
    logger,
    build: options.build,
    shard: { ordinal: shard.shard, total: shard.totalShards },
    owns: (projectId, workspaceId) => shard.totalShards <= 1 || shardOf(projectId, workspaceId, shard.totalShards) === shard.shard,
    storage: options.flags.storagePath === undefined ? undefined : new StateStore({
      dir: options.flags.storagePath,
      shard: { ordinal: shard.shard, total: shard.totalShards },
      logger,
      now: () => systemClock.now(),
    }),
  });

  const reload = async (): Promise<{ ok: true } | { ok: false; message: string }> => {
    try {
      const config = options.readConfig();
      exporter.reloadWith(config);
      logger.info({ config: redactConfig(config) }, "config reloaded");
      return { ok: true };
    } catch (err) {
      const message = err instanceof ConfigError ? err.problems.join("; ") : (err as Error).message;
      exporter.reloadFailed();
      logger.error({ problems: message }, "config reload rejected; the previous config keeps running");
      return { ok: false, message };
    }
  };

  const app = createApp({
    telemetryPath: options.flags.telemetryPath,
    metrics: (gzip) => exporter.metrics(gzip),
    landingPage: () =>
      renderLandingPage(
        { version: options.build.version, telemetryPath: options.flags.telemetryPath, nowMs: systemClock.now() },
        exporter.workspaceStates(),
      ),
    ready: () => true,
    reload,
    logger,
  });
  const server = await listen(app, options.flags.listen);
  exporter.start();
  const address = server.address() as AddressInfo;
  const url = `http://${displayHost(options.flags.listen.host)}:${address.port}`;
  logger.info(
    { address: url, telemetry_path: options.flags.telemetryPath, workspaces: exporter.workspaceStates().length, shard: shard.shard, total_shards: shard.totalShards, version: options.build.version },
    "exporter started",
  );
  return {
    exporter,
    server,
    url,
    reload,
    stop: async () => {
      exporter.stop();
      await close(server);
    },
  };
}

/** A host a person can click: localhost when listening on every interface. */
function displayHost(host: string | undefined): string {
  if (!host || host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}
