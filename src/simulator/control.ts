/** The in-process test control of a simulator. */
import type { ReleasePackage } from "../dataarts/model";
import type { SimCore } from "./core";
import { checkFault } from "./fault-schema";
import { NotFoundError } from "./workspace-data";
import type { Fault, SimulatorControl, WorkspaceInput } from "./types";

export function createControl(core: SimCore): SimulatorControl {
  const { store } = core;
  return {
    addPackages(projectId: string, workspaceId: string, pkgs: ReleasePackage[]): void {
      if (!Array.isArray(pkgs)) throw new Error("packages must be an array");
      store.workspace(projectId, workspaceId).add(pkgs);
    },
    setStatus(projectId: string, workspaceId: string, packageId: string, status: number, deployTimestamp?: number): void {
      store.workspace(projectId, workspaceId).setStatus(packageId, status, deployTimestamp, core.now());
    },
    removePackage(projectId: string, workspaceId: string, packageId: string): void {
      if (!store.workspace(projectId, workspaceId).remove(packageId)) throw new NotFoundError(`unknown package ${packageId} in workspace ${workspaceId}`);
    },
    addWorkspace(projectId: string, ws: WorkspaceInput): void {
      store.project(projectId).addWorkspace(ws);
    },
    removeWorkspace(projectId: string, workspaceId: string): void {
      store.workspace(projectId, workspaceId);
      store.project(projectId).workspaces.delete(workspaceId);
    },
    injectFault(projectId: string, workspaceId: string, fault: Fault): void {
      store.workspace(projectId, workspaceId).faults.push(checkFault(fault));
    },
    clearFaults(projectId?: string, workspaceId?: string): void {
      const targets =
        projectId === undefined
          ? store.allWorkspaces()
          : workspaceId === undefined
            ? [...store.project(projectId).workspaces.values()]
            : [store.workspace(projectId, workspaceId)];
      for (const ws of targets) ws.faults = [];
    },
    expireTokens(): void {
      core.tokens.expireAll();
    },
    requestCounts() {
      return core.counts.snapshot(store);
    },
    resetCounts(): void {
      core.counts.reset();
    },
    tick(): void {
      core.life.tick(store, core.now());
    },
    packages(projectId: string, workspaceId: string): ReleasePackage[] {
      return structuredClone(store.workspace(projectId, workspaceId).all());
    },
    faults(projectId: string, workspaceId: string): Fault[] {
      return structuredClone(store.workspace(projectId, workspaceId).faults);
    },
    projects() {
      return [...store.projects.values()].map((p) => {
        const def = p.defaultWorkspace();
        return {
          projectId: p.projectId,
          instanceId: p.instanceId,
          workspaces: [...p.workspaces.values()].map((ws) => ({ id: ws.id, name: ws.name, isDefault: ws === def, packageCount: ws.size })),
        };
      });
    },
  };
}
