/** The service's routes: release-package query, workspace listing, and IAM token issue. */
import { z } from "zod";
import type { ReleasePackagePage } from "../dataarts/model";
import { authenticate, SIM_CREDENTIALS } from "./auth";
import type { SimCore } from "./core";
import { answerFault, corruptAnswer, sendTruncated, takeFault } from "./faults";
import { sendError, sendRaw, type SimContext } from "./http";
import { parseQuery } from "./query";
import type { ProjectData } from "./store";
import type { WorkspaceData } from "./workspace-data";

const RELEASE_PACKAGES = /^\/v2\/([^/]+)\/factory\/release-packages\/?$/;
const WORKSPACES = /^\/v1\/([^/]+)\/workspaces\/([^/]+)\/?$/;
const IAM_TOKENS = /^\/v3\/auth\/tokens\/?$/;

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Dispatches a service request; anything else is the gateway's "no such API". */
export async function serviceRoutes(ctx: SimContext, core: SimCore): Promise<void> {
  const method = ctx.method;
  let m: RegExpExecArray | null;
  if (method === "POST" && (m = RELEASE_PACKAGES.exec(ctx.path))) return releasePackages(ctx, core, decodeSegment(m[1]!));
  if (method === "GET" && (m = WORKSPACES.exec(ctx.path))) return listWorkspaces(ctx, core, decodeSegment(m[1]!), decodeSegment(m[2]!));
  if (method === "POST" && IAM_TOKENS.test(ctx.path)) return issueToken(ctx, core);
  sendError(ctx, 404, "APIGW.0101", "The API does not exist or has not been published in the environment.");
}

/** Sends 401 and returns false unless the request carries valid credentials for the project. */
function authorized(ctx: SimContext, core: SimCore, projectId: string): boolean {
  const failure = authenticate(
    { method: ctx.method, path: ctx.path, querystring: ctx.querystring, headers: ctx.headers, body: ctx.state.rawBody },
    projectId,
    core.tokens,
    core.now(),
  );
  if (!failure) return true;
  core.counts.rejected++;
  sendError(ctx, 401, failure.code, failure.message);
  return false;
}

function projectOr404(ctx: SimContext, core: SimCore, projectId: string): ProjectData | undefined {
  const project = core.store.projects.get(projectId);
  if (!project) sendError(ctx, 404, "DLF.0404", `Project ${projectId} does not exist.`);
  return project;
}

/** An absent `workspace` header means the project's default workspace. */
function workspaceOr400(ctx: SimContext, project: ProjectData): WorkspaceData | undefined {
  const id = ctx.get("workspace");
  const ws = id === "" ? project.defaultWorkspace() : project.workspaces.get(id);
  if (!ws) sendError(ctx, 400, "DLF.1006", "Workspace does not exists.");
  return ws;
}

async function releasePackages(ctx: SimContext, core: SimCore, projectId: string): Promise<void> {
  if (!authorized(ctx, core, projectId)) return;
  const project = projectOr404(ctx, core, projectId);
  const ws = project && workspaceOr400(ctx, project);
  if (!ws) return;
  core.counts.hitWorkspace(projectId, ws.id);
  const fault = takeFault(ws);
  if (fault && (await answerFault(ctx, fault))) return;
  const parsed = parseQuery(ctx.state.rawBody, core.offsetMode);
  if (!parsed.ok) return sendError(ctx, 400, "DLF.3051", `The request parameter is invalid: ${parsed.message}`);
  const page: ReleasePackagePage = ws.query(parsed.query);
  if (fault?.kind === "truncated") return sendTruncated(ctx, JSON.stringify(page));
  const corrupted = fault && corruptAnswer(fault, page);
  if (corrupted !== undefined) return sendRaw(ctx, 200, "application/json;charset=UTF-8", corrupted);
  ctx.body = page;
}

/** `limit`/`offset` query parameters: absent means the default, anything but a fitting integer is DLF.3051. */
function intParam(ctx: SimContext, name: string, fallback: number, min: number, max: number): number | undefined {
  const raw = ctx.URL.searchParams.get(name);
  if (raw === null || raw === "") return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

async function listWorkspaces(ctx: SimContext, core: SimCore, projectId: string, instanceId: string): Promise<void> {
  if (!authorized(ctx, core, projectId)) return;
  const project = projectOr404(ctx, core, projectId);
  if (!project) return;
  if (project.instanceId !== instanceId) return sendError(ctx, 404, "DLF.0404", `Instance ${instanceId} does not exist.`);
  const limit = intParam(ctx, "limit", 10, 1, 100);
  const offset = intParam(ctx, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
  if (limit === undefined || offset === undefined) return sendError(ctx, 400, "DLF.3051", "The request parameter is invalid: limit must be 1..100 and offset >= 0");
  core.counts.workspaces++;
  const all = [...project.workspaces.values()];
  ctx.body = {
    count: all.length,
    total_page: Math.ceil(all.length / limit),
    data: all.slice(offset, offset + limit).map((ws) => ({
      id: ws.id,
      name: ws.name,
      is_default: ws.isDefault || ws === project.defaultWorkspace() ? 1 : 0,
      description: `${ws.name} (simulated)`,
      owner_name: SIM_CREDENTIALS.user,
    })),
  };
}

const tokenRequest = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()).refine((m) => m.includes("password"), "methods must include password"),
      password: z.object({
        user: z.object({ name: z.string(), password: z.string(), domain: z.object({ name: z.string() }) }),
      }),
    }),
    scope: z.object({ project: z.object({ id: z.string() }) }),
  }),
});

const SIM_DOMAIN_ID = "0d5a1e7c3f9b4c21a8e6d2f4b7c90e13";
const SIM_USER_ID = "7b71e498e75d44048c9a22dd3c54f978";

/** IAM's timestamps: ISO 8601 with microseconds. */
function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

async function issueToken(ctx: SimContext, core: SimCore): Promise<void> {
  core.counts.iam++;
  const parsed = tokenRequest.safeParse(parseJson(ctx.state.rawBody));
  if (!parsed.success) return sendError(ctx, 400, "IAM.0011", "Request body is invalid.");
  const { user } = parsed.data.auth.identity.password;
  const projectId = parsed.data.auth.scope.project.id;
  if (user.domain.name !== SIM_CREDENTIALS.domain || user.name !== SIM_CREDENTIALS.user || user.password !== SIM_CREDENTIALS.password) {
    core.counts.rejected++;
    return sendError(ctx, 401, "IAM.0002", "The username or password is wrong.");
  }
  if (!core.store.projects.has(projectId)) return sendError(ctx, 400, "IAM.0011", `Project ${projectId} does not exist.`);
  const now = core.now();
  const expiresAt = now + core.tokenTtlMs;
  ctx.set("X-Subject-Token", core.tokens.issue(projectId, expiresAt));
  ctx.status = 201;
  ctx.body = {
    token: {
      expires_at: iamTime(expiresAt),
      issued_at: iamTime(now),
      methods: ["password"],
      project: { id: projectId, name: "sim-region", domain: { id: SIM_DOMAIN_ID, name: SIM_CREDENTIALS.domain } },
      user: { id: SIM_USER_ID, name: SIM_CREDENTIALS.user, domain: { id: SIM_DOMAIN_ID, name: SIM_CREDENTIALS.domain } },
      catalog: [],
      roles: [{ id: "0", name: "op_service" }],
    },
  };
}
