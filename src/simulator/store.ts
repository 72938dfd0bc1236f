/** The simulator's data: projects and their workspaces, built from a scenario. */
import { createHash } from "node:crypto";
import { checkFault } from "./fault-schema";
import { NotFoundError, WorkspaceData } from "./workspace-data";
import type { ScenarioProject, WorkspaceInput } from "./types";

export class ProjectData {
  readonly workspaces = new Map<string, WorkspaceData>();

  constructor(
    readonly projectId: string,
    readonly instanceId: string,
  ) {}

  /** The workspace flagged default, else the first one: what an absent `workspace` header means. */
  defaultWorkspace(): WorkspaceData | undefined {
    for (const ws of this.workspaces.values()) if (ws.isDefault) return ws;
    return this.workspaces.values().next().value;
  }

  addWorkspace(input: WorkspaceInput): WorkspaceData {
    if (typeof input.id !== "string" || input.id === "") throw new Error("workspace id must be a non-empty string");
    if (this.workspaces.has(input.id)) throw new Error(`workspace ${input.id} already exists in project ${this.projectId}`);
    const ws = new WorkspaceData(this.projectId, input.id, String(input.name ?? input.id), input.isDefault === true);
    ws.add(input.packages ?? []);
    ws.faults = (input.faults ?? []).map(checkFault);
    this.workspaces.set(ws.id, ws);
    return ws;
  }
}

/** A stable made-up DataArts instance id for a project that does not name one. */
export function derivedInstanceId(projectId: string): string {
  return createHash("sha256").update(`instance:${projectId}`).digest("hex").slice(0, 32);
}

export class SimStore {
  readonly projects = new Map<string, ProjectData>();

  constructor(projects: readonly ScenarioProject[]) {
    for (const p of projects) this.addProject(p);
  }

  addProject(p: ScenarioProject): ProjectData {
    if (this.projects.has(p.projectId)) throw new Error(`project ${p.projectId} appears twice`);
    const project = new ProjectData(p.projectId, p.instanceId ?? derivedInstanceId(p.projectId));
    for (const ws of p.workspaces) project.addWorkspace(ws);
    this.projects.set(p.projectId, project);
    return project;
  }

  project(projectId: string): ProjectData {
    const p = this.projects.get(projectId);
    if (!p) throw new NotFoundError(`unknown project ${projectId}`);
    return p;
  }

  workspace(projectId: string, workspaceId: string): WorkspaceData {
    const ws = this.project(projectId).workspaces.get(workspaceId);
    if (!ws) throw new NotFoundError(`unknown workspace ${workspaceId} in project ${projectId}`);
    return ws;
  }

  allWorkspaces(): WorkspaceData[] {
    return [...this.projects.values()].flatMap((p) => [...p.workspaces.values()]);
  }
}
