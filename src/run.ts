/** Starts polling and serving: the one place where the parts are wired together. */
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Config, redactConfig } from "./config/config";
import { ConfigError } from "./config/config-error";
import { Exporter } from "./exporter";
import { Flags } from "./flags";
import { BuildInfo } from "./build-info";
import { inShard } from "./polling/shard";
import { StateStore } from "./polling/state-store";
import { systemClock } from "./clock";
import { systemTimers } from "./polling/scheduler";
import { projectTransport } from "./connections";
import type { ProxyEnv } from "./dataarts/proxy";
import { ListenAddress, close, createApp, listenOn } from "./http/server";
import { renderLandingPage } from "./http/landing";
import { WebConfigSource } from "./http/web-config-source";
import { describeWebConfig } from "./http/web-config";
import { accessControl } from "./http/access";
import { ScrapeMetrics } from "./http/self-metrics";
import { metricsTail } from "./http/metrics-body";
import { DEFAULT_HANDSHAKE_LIMITS, HandshakeLimits, TlsServer, closeTlsServer, createTlsServer } from "./http/tls-server";
import { createServer } from "node:http";

export interface RunOptions {
  flags: Pick<Flags, "listen" | "telemetryPath" | "shard" | "lifecycle" | "storagePath">;
  /** --web.config.file, already read once (a bad one stops the start with exit status 2). */
  webConfig?: WebConfigSource;
  handshake?: HandshakeLimits;
  config: Config;
  /** Reads the config again for a reload; throws ConfigError when it is not valid. */
  readConfig: () => Config;
  logger: Logger;
  build: BuildInfo;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case), from the entry point. */
  env?: ProxyEnv;
}

/** A listener: plain HTTP, or TLS (HTTP/1.1, or HTTP/2 with HTTP/1.1 when the web config allows it). */
export type Server = HttpServer | TlsServer;

export interface Running {
  exporter: Exporter;
  /** The first listener, and all of them (one per --web.listen-address). */
  server: Server;
  servers: Server[];
  url: string;
  reload(): Promise<{ ok: true } | { ok: false; message: string }>;
  stop(): Promise<void>;
}

/** Starts polling and serving. The one place where the parts are wired together. */
export async function run(options: RunOptions): Promise<Running> {
  const { logger } = options;
  const { shard } = options.flags;
  const ownShard = { ordinal: shard.shard, total: shard.totalShards };
  const exporter = new Exporter(options.config, {
    clock: systemClock,
    timers: systemTimers,
    random: Math.random,
    transportFor: (project) => projectTransport(project, options.env ?? {}, logger),
    logger,
    build: options.build,
    shard: ownShard,
    owns: (projectId, workspaceId) => inShard(ownShard, projectId, workspaceId),
    storage: options.flags.storagePath === undefined ? undefined : new StateStore({
      dir: options.flags.storagePath,
      shard: ownShard,
      logger,
      now: () => systemClock.now(),
    }),
  });

  const { webConfig } = options;
  const reload = async (): Promise<{ ok: true } | { ok: false; message: string }> => {
    const web = webConfig?.reload() ?? { ok: true };
    try {
      const config = options.readConfig();
      exporter.reloadWith(config);
      logger.info({ config: redactConfig(config) }, "config reloaded");
      if (!web.ok) {
        // One gauge for "a reload was refused", whichever file was at fault.
        exporter.reloadFailed();
        return web;
      }
      return { ok: true };
    } catch (err) {
      const message = err instanceof ConfigError ? err.problems.join("; ") : (err as Error).message;
      exporter.reloadFailed();
      logger.error({ problems: message }, "config reload rejected; the previous config keeps running");
      return { ok: false, message };
    }
  };

  webConfig?.onRejected((message) => logger.error({ problem: message }, "web config rejected; the last good one stays"));
  webConfig?.onChange(() => logger.info({ web_config: webConfig.path, ...describeWebConfig(webConfig.current) }, "web config reloaded"));
  const scrapes = new ScrapeMetrics(webConfig && (() => webConfig));
  const app = createApp({
    telemetryPath: options.flags.telemetryPath,
    metrics: (format, encoding, load) => exporter.metricsBody(format, encoding, load, (f) => metricsTail(f, scrapes.render())),
    landingPage: () =>
      renderLandingPage(
        { version: options.build.version, telemetryPath: options.flags.telemetryPath, nowMs: systemClock.now(), web: describeWebConfig(webConfig?.current) },
        exporter.workspaceStates(),
      ),
    ready: () => true,
    reload,
    lifecycle: options.flags.lifecycle,
    access: webConfig && accessControl(webConfig, logger),
    scrapes,
    logger,
  });
  const tls = !!webConfig?.current.tls;
  const servers: Server[] = [];
  try {
    for (const address of options.flags.listen) {
      const server: Server = tls ? createTlsServer(app.callback(), webConfig!, options.handshake ?? DEFAULT_HANDSHAKE_LIMITS, logger) : createServer(app.callback());
      servers.push(await listenOn(server, address));
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  exporter.start();
  const urls = servers.map((server, i) => urlOf(tls, options.flags.listen[i]!, server));
  const url = urls[0]!;
  logger.info(
    { address: url, ...(urls.length > 1 ? { addresses: urls } : {}), tls, basic_auth: describeWebConfig(webConfig?.current).basicAuth, telemetry_path: options.flags.telemetryPath, workspaces: exporter.workspaceStates().length, shard: shard.shard, total_shards: shard.totalShards, version: options.build.version },
    "exporter started",
  );
  return {
    exporter,
    server: servers[0]!,
    servers,
    url,
    reload,
    stop: async () => {
      exporter.stop();
      await Promise.all(servers.map(closeServer));
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return "setSecureContext" in server ? closeTlsServer(server) : close(server);
}

function urlOf(tls: boolean, listen: ListenAddress, server: Server): string {
  return `${tls ? "https" : "http"}://${displayHost(listen.host)}:${(server.address() as AddressInfo).port}`;
}

/** A host a person can click: localhost when listening on every interface. */
function displayHost(host: string | undefined): string {
  if (!host || host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}
