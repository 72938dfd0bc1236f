/** The DataArts Factory release-package API, as the exporter and the simulator both see it. */

/** `deploy_status` values. The service has no 4; unknown values are kept as they come. */
export const DeployStatus = {
  pendingReview: 1,
  succeeded: 2,
  failed: 3,
  releasing: 5,
} as const;

export interface PackageApprover {
  user_id?: string;
  user_name?: string;
}

/** One release package as the service returns it. Timestamps are Unix milliseconds. */
export interface ReleasePackage {
  package_id: string;
  package_name?: string;
  apply_timestamp: number;
  apply_user_id?: string;
  apply_user_name?: string;
  deploy_status: number;
  /** 0 (or absent) until a release has started. */
  deploy_timestamp: number;
  deploy_user_id?: string;
  deploy_user_name?: string;
  delete_flag?: number;
  package_approvers?: PackageApprover[];
  project_id?: string;
  workspace_id?: string;
}

export type SortDirection = "asc" | "desc";
export type OrderColumn = "apply_timestamp" | "deploy_timestamp";

/** Body of `POST /v2/{project_id}/factory/release-packages`; every field optional, unset ones omitted. */
export interface ReleasePackageQuery {
  key_word?: string;
  apply_user_name?: string;
  deploy_user_name?: string;
  apply_begin_time?: number;
  apply_end_time?: number;
  deploy_begin_time?: number;
  deploy_end_time?: number;
  apply_user_name_filter?: string[];
  deploy_user_name_filter?: string[];
  deploy_status_filter?: number[];
  sorted_direction?: SortDirection;
  order_column?: OrderColumn;
  limit?: number;
  offset?: number;
}

export interface ReleasePackagePage {
  data: ReleasePackage[];
  total: number;
}

/** One workspace from `GET /v1/{project_id}/workspaces/{instance_id}`. */
export interface Workspace {
  id: string;
  name: string;
  is_default?: number;
}

export interface WorkspacePage {
  count: number;
  total_page?: number;
  data: Workspace[];
}

/** The service's largest accepted page size. */
export const MAX_LIMIT = 100;
