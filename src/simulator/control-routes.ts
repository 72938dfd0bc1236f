/** The control interface over HTTP, under `/-/sim/`, for loopback peers only (routes: src/simulator/README.md). */
// These routes bypass the service's auth: anyone who can reach them could rewrite the
// simulator's data, hence the loopback check on the socket's own address (never a
// forwarded header).
import { isIP } from "node:net";
import { z } from "zod";
import type { ReleasePackage } from "../dataarts/model";
import { sendError, type SimContext } from "./http";
import { NotFoundError } from "./workspace-data";
import type { Fault, SimulatorControl, WorkspaceInput } from "./types";

export const CONTROL_PREFIX = "/-/sim/";

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped form. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return address === "::1" || address === "0:0:0:0:0:0:0:1";
}

type Params = Record<string, string>;
type Handler = (c: SimulatorControl, params: Params, body: unknown) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** `/projects/:p/workspaces` → a regex with one capture per `:name`. */
function route(method: string, template: string, handler: Handler): Route {
  const names: string[] = [];
  const source = template.replace(/:(\w+)/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}/?$`), names, handler };
}

const statusBody = z.strictObject({ status: z.number().int(), deployTimestamp: z.number().int().optional() });
const workspaceBody = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  isDefault: z.boolean().optional(),
  packages: z.array(z.unknown()).optional(),
  faults: z.array(z.unknown()).optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(z.prettifyError(r.error).replace(/\n/g, "; "));
  return r.data;
}

const WS = "/projects/:p/workspaces/:w";

const ROUTES: Route[] = [
  route("GET", "/projects", (c) => c.projects()),
  route("GET", "/counts", (c) => c.requestCounts()),
  route("POST", "/counts/reset", (c) => c.resetCounts()),
  route("POST", "/tick", (c) => c.tick()),
  route("POST", "/expire-tokens", (c) => c.expireTokens()),
  route("DELETE", "/faults", (c) => c.clearFaults()),
  route("POST", "/projects/:p/workspaces", (c, { p }, body) => {
    const ws = parse(workspaceBody, body);
    // Packages and faults are checked by the store as they are added.
    c.addWorkspace(p!, ws as WorkspaceInput);
  }),
  route("DELETE", "/projects/:p/faults", (c, { p }) => c.clearFaults(p!)),
  route("DELETE", WS, (c, { p, w }) => c.removeWorkspace(p!, w!)),
  route("GET", `${WS}/packages`, (c, { p, w }) => c.packages(p!, w!)),
  route("POST", `${WS}/packages`, (c, { p, w }, body) => {
    // Packages are checked by the store; one object is taken as a list of one.
    c.addPackages(p!, w!, (Array.isArray(body) ? body : [body]) as ReleasePackage[]);
  }),
  route("DELETE", `${WS}/packages/:id`, (c, { p, w, id }) => c.removePackage(p!, w!, id!)),
  route("PUT", `${WS}/packages/:id/status`, (c, { p, w, id }, body) => {
    const { status, deployTimestamp } = parse(statusBody, body);
    c.setStatus(p!, w!, id!, status, deployTimestamp);
  }),
  route("GET", `${WS}/faults`, (c, { p, w }) => c.faults(p!, w!)),
  route("POST", `${WS}/faults`, (c, { p, w }, body) => c.injectFault(p!, w!, body as Fault)),
  route("DELETE", `${WS}/faults`, (c, { p, w }) => c.clearFaults(p!, w!)),
];

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function match(method: string, path: string): { route: Route; params: Params } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Params = {};
    r.names.forEach((name, i) => (params[name] = decode(m[i + 1]!)));
    return { route: r, params };
  }
  return undefined;
}

function jsonBody(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("body is not valid JSON");
  }
}

export function controlRoutes(ctx: SimContext, control: SimulatorControl): void {
  if (!isLoopback(ctx.req.socket.remoteAddress)) {
    return sendError(ctx, 403, "SIM.0403", "Control routes answer loopback clients only.");
  }
  const found = match(ctx.method, ctx.path.slice(CONTROL_PREFIX.length - 1));
  if (!found) return sendError(ctx, 404, "SIM.0404", `No control route ${ctx.method} ${ctx.path}.`);
  try {
    const result = found.route.handler(control, found.params, jsonBody(ctx.state.rawBody));
    ctx.status = 200;
    ctx.body = result === undefined ? { ok: true } : result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    sendError(ctx, err instanceof NotFoundError ? 404 : 400, err instanceof NotFoundError ? "SIM.0404" : "SIM.0400", message);
  }
}
