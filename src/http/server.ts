/** The exporter's HTTP face: metrics, landing page, health, readiness and reload. */
import Koa from "koa";
import type { Server } from "node:http";
import type { Logger } from "pino";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface ServerDeps {
  telemetryPath: string;
  metrics: (gzip: boolean) => Promise<Buffer>;
  landingPage: () => string;
  ready: () => boolean;
  /** Re-reads the config; resolves with the reason when the new one was rejected. */
  reload: () => Promise<{ ok: true } | { ok: false; message: string }>;
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
    // HEAD is answered as GET; Koa sends the headers without the body.
    if (ctx.path === deps.telemetryPath) {
      const gzip = ctx.acceptsEncodings("gzip", "identity") === "gzip";
      ctx.body = await deps.metrics(gzip);
      ctx.set("Content-Type", METRICS_CONTENT_TYPE);
      ctx.vary("Accept-Encoding");
      if (gzip) ctx.set("Content-Encoding", "gzip");
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
      case "/-/ready":
        ctx.type = "text/plain";
        ctx.status = deps.ready() ? 200 : 503;
        ctx.body = deps.ready() ? "Ready\n" : "Not ready\n";
        return;
      case "/-/reload": {
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

export interface ListenAddress {
  host?: string;
  port: number;
}

export function listen(app: Koa, address: ListenAddress): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(address.port, address.host);
    server.once("listening", () => resolve(server));
    server.once("error", reject);
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
