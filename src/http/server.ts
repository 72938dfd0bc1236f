/** The exporter's HTTP face: metrics, landing page, health, readiness and reload. */
import Koa from "koa";
import type { IncomingMessage, Server } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Server as NetServer } from "node:net";
import type { Logger } from "pino";
import { ExpositionFormat, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../metrics/exposition";
import type { Encoding, Load, ScrapeCache } from "../metrics/scrape-cache";
import type { ScrapeMetrics } from "./self-metrics";

export interface ServerDeps {
  telemetryPath: string;
  /** What a scrape of /metrics gets now (ScrapeCache.body): built at most once per second and per change. */
  metrics: (format: ExpositionFormat, encoding: Encoding, load: Load) => ReturnType<ScrapeCache["body"]>;
  landingPage: () => string;
  ready: () => boolean;
  /** Re-reads the config; resolves with the reason when the new one was rejected. */
  reload: () => Promise<{ ok: true } | { ok: false; message: string }>;
  /** Whether POST /-/reload is served (--web.enable-lifecycle, as in Prometheus). */
  lifecycle?: boolean;
  /** Headers and basic auth from --web.config.file, before every route. */
  access?: Koa.Middleware;
  /** Counts scrapes of the metrics path; its in-flight count tells the scrape cache how busy /metrics is. */
  scrapes: ScrapeMetrics;
  logger: Logger;
}

/** The exporter's HTTP face: metrics, a landing page, health, readiness and reload. */
export function createApp(deps: ServerDeps): Koa {
  const app = new Koa();
  // Errors are answered and logged here; Koa must not print stacks to stderr.
  app.silent = true;
  app.on("error", (err: Error) => deps.logger.error({ err: err.message }, "http handler failed"));
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      deps.logger.error({ path: ctx.path, err: (err as Error).message }, "request failed");
      ctx.status = 500;
      ctx.type = "text/plain";
      ctx.body = "internal error\n";
    }
  });
  app.use(async (ctx, next) => {
    if (ctx.path !== deps.telemetryPath) return next();
    // Counted until the bytes are sent (or the client goes), with the code it got, refused ones too.
    const end = deps.scrapes.begin();
    ctx.res.once("close", () => end(ctx.res.statusCode));
    return next();
  });
  if (deps.access) app.use(deps.access);
  app.use(async (ctx) => {
    const allowed = allowedMethods(ctx.path, deps.telemetryPath);
    if (!allowed) {
      ctx.status = 404;
      ctx.type = "text/plain";
      ctx.body = "not found\n";
      return;
    }
    if (!allowed.includes(ctx.method)) {
      ctx.status = 405;
      ctx.set("Allow", allowed.join(", "));
      ctx.type = "text/plain";
      ctx.body = "method not allowed\n";
      return;
    }
    if (ctx.path === deps.telemetryPath) {
      const encoding: Encoding = ctx.acceptsEncodings("gzip", "identity") === "gzip" ? "gzip" : "identity";
      // Offers carry their versions: an Accept entry with a version matches only that version.
      const format: ExpositionFormat = ctx.accepts(TEXT_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE) === OPENMETRICS_CONTENT_TYPE ? "openmetrics" : "text";
      const body = deps.metrics(format, encoding, { inFlight: deps.scrapes.inFlight, client: connectionOf(ctx.req) });
      ctx.status = 200;
      ctx.set("Content-Type", format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
      ctx.vary("Accept");
      ctx.vary("Accept-Encoding");
      if (encoding === "gzip") ctx.set("Content-Encoding", "gzip");
      ctx.set("ETag", body.etag(encoding));
      // Neither a conditional request that matches nor a HEAD builds the body.
      if (ctx.fresh) {
        ctx.status = 304;
        return;
      }
      const built = body.peek(encoding);
      if (ctx.method === "HEAD") {
        if (built) ctx.length = built.length;
        return;
      }
      // Always through bytes(): a body served in a newer one's stead starts that one's build.
      ctx.body = await body.bytes(encoding);
      return;
    }
    switch (ctx.path) {
      case "/":
        ctx.type = "text/html; charset=utf-8";
        ctx.body = deps.landingPage();
        return;
      case "/-/healthy":
        ctx.type = "text/plain";
        ctx.body = "Healthy\n";
        return;
      case "/-/ready": {
        const ready = deps.ready();
        ctx.type = "text/plain";
        ctx.status = ready ? 200 : 503;
        ctx.body = ready ? "Ready\n" : "Not ready\n";
        return;
      }
      case "/-/reload": {
        if (!deps.lifecycle) {
          ctx.status = 403;
          ctx.type = "text/plain";
          ctx.body = "Lifecycle API is not enabled (start with --web.enable-lifecycle; SIGHUP always reloads).\n";
          return;
        }
        const result = await deps.reload();
        ctx.type = "text/plain";
        ctx.status = result.ok ? 200 : 400;
        ctx.body = result.ok ? "config reloaded\n" : `config rejected: ${result.message}\n`;
        return;
      }
    }
  });
  return app;
}

const READ = ["GET", "HEAD"];
const ROUTES: Record<string, string[]> = { "/": READ, "/-/healthy": READ, "/-/ready": READ, "/-/reload": ["POST"] };

/** The methods a path answers to; undefined for a path that does not exist. */
function allowedMethods(path: string, telemetryPath: string): string[] | undefined {
  return path === telemetryPath ? READ : Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
}

/** One HTTP/2 session carries many streams (each with its own socket proxy); HTTP/1.1 has its socket. */
function connectionOf(req: IncomingMessage | Http2ServerRequest): object {
  return "stream" in req ? req.stream.session ?? req.stream : req.socket;
}

export interface ListenAddress {
  host?: string;
  port: number;
}

/** Starts an already built server (plain or TLS) on one address. */
export function listenOn<S extends NetServer>(server: S, address: ListenAddress): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once("listening", () => resolve(server));
    server.once("error", reject);
    server.listen(address.port, address.host);
  });
}

/** Closes the server, ending keep-alive and in-flight connections so that shutdown takes no longer than a second. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 500).unref();
  });
}
