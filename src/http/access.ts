/** Who may use the HTTP face: the web config's response headers, and basic auth on every route but the probes. */
import type { Middleware } from "koa";
import type { Logger } from "pino";
import { BasicAuth } from "./basic-auth";
import { WebConfigSource } from "./web-config-source";

/** Probes answer without credentials, as in the exporter-toolkit, so kubelet and load balancers need none. */
const OPEN_PATHS = new Set(["/-/healthy", "/-/ready"]);

/** Applies the current web config to each request: its headers always, then basic auth when it has users. */
export function accessControl(source: WebConfigSource, logger: Logger): Middleware {
  const auth = new BasicAuth(source.current.users);
  source.onChange((config) => auth.setUsers(config.users));
  return async (ctx, next) => {
    for (const [name, value] of Object.entries(source.current.headers)) ctx.set(name, value);
    if (!auth.enabled || OPEN_PATHS.has(ctx.path)) return next();
    const result = await auth.check(ctx.get("Authorization") || undefined);
    if (result === "ok") return next();
    if (result === "busy") {
      ctx.status = 503;
      ctx.set("Retry-After", "1");
      ctx.type = "text/plain";
      ctx.body = "too many authentication attempts at once\n";
      return;
    }
    // Never the user name or password: the address is enough to find a misconfigured scraper.
    logger.debug({ remote: ctx.ip, path: ctx.path }, "basic auth refused");
    ctx.status = 401;
    ctx.set("WWW-Authenticate", 'Basic realm="dataarts-exporter"');
    ctx.type = "text/plain";
    ctx.body = "Unauthorized\n";
  };
}
