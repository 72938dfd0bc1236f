/** createSimulator: the Koa app (service routes plus control routes) over one simulator's state. */
import Koa from "koa";
import { createControl } from "./control";
import { CONTROL_PREFIX, controlRoutes } from "./control-routes";
import { SimCore } from "./core";
import { BodyTooLarge, newRequestId, readRawBody, sendError, type SimContext, type SimState } from "./http";
import { serviceRoutes } from "./routes";
import type { SimulatorControl, SimulatorOptions } from "./types";

export interface Simulator {
  app: Koa<SimState>;
  control: SimulatorControl;
}

/**
 * Every answer, errors included, carries a fresh X-Request-Id and the service's own time in
 * `Date`; nothing a client sends escapes as a crash.
 */
const boundary = (core: SimCore) => async (ctx: SimContext, next: Koa.Next): Promise<void> => {
  ctx.set("X-Request-Id", newRequestId());
  ctx.set("Date", new Date(core.now()).toUTCString());
  try {
    ctx.state.rawBody = await readRawBody(ctx);
    await next();
  } catch (err) {
    if (err instanceof BodyTooLarge) return sendError(ctx, 400, "DLF.3051", `The request parameter is invalid: ${err.message}`);
    sendError(ctx, 500, "DLF.0100", `Simulator internal error: ${err instanceof Error ? err.message : String(err)}`);
  }
};

export function createSimulator(opts: SimulatorOptions): Simulator {
  const core = new SimCore(opts);
  const control = createControl(core);
  const app = new Koa<SimState>();
  // Errors are answered by `boundary`; Koa's own handler would only log client aborts.
  app.silent = true;
  app.use(boundary(core));
  app.use(async (ctx) => {
    if (ctx.path.startsWith(CONTROL_PREFIX)) controlRoutes(ctx, control);
    else await serviceRoutes(ctx, core);
  });
  return { app, control };
}
