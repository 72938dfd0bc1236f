/** The `project_id/workspace_id` key that names one workspace everywhere: config duplicates, state, metrics, shards. */

/** Workspace ids are unique within a project id; project ids never hold a slash (config refuses one). */
export function workspaceKey(projectId: string, workspaceId: string): string {
  return `${projectId}/${workspaceId}`;
}
