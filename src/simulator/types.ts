/** Public data types of the simulator: scenarios, faults, options and the control interface. */
import type { ReleasePackage } from "../dataarts/model";

/**
 * A fault answers requests for one workspace instead of (or before) the real answer.
 * `times`: applies to the next N release-package requests for that workspace, then removes
 * itself; without it the fault stays until cleared. Faults queue: the first one answers.
 */
export type Fault = FaultBody & { times?: number };

export type FaultBody =
  | { kind: "server_error"; status?: 500 | 502 | 503 | 504; html?: boolean }
  | { kind: "throttle"; retryAfter?: string }
  | { kind: "slow"; delayMs: number }
  | { kind: "hang" }
  | { kind: "malformed_json" }
  | { kind: "wrong_shape"; variant: WrongShapeVariant }
  | { kind: "html" }
  | { kind: "status"; status: number; errorCode: string; errorMsg?: string; errorMsgBytes?: number }
  | { kind: "null_fields"; fields?: OptionalPackageField[] }
  | { kind: "truncated" };

/** Package fields the API page marks optional and the exporter does not rely on. */
export const OPTIONAL_PACKAGE_FIELDS = [
  "package_name",
  "apply_user_id",
  "apply_user_name",
  "deploy_user_id",
  "deploy_user_name",
  "delete_flag",
  "package_approvers",
  "project_id",
  "workspace_id",
] as const;
export type OptionalPackageField = (typeof OPTIONAL_PACKAGE_FIELDS)[number];

export type WrongShapeVariant = "data_not_array" | "total_not_number" | "timestamp_not_number" | "not_an_object";

export type FaultKind = Fault["kind"];

export interface ScenarioWorkspace {
  id: string;
  name: string;
  isDefault?: boolean;
  packages: ReleasePackage[];
  faults?: Fault[];
}

export interface ScenarioProject {
  projectId: string;
  /** DataArts Studio instance id for workspace listing; derived from the project id when absent. */
  instanceId?: string;
  workspaces: ScenarioWorkspace[];
}

/** How `tick()` moves packages along; every field has a default. */
export interface LifeConfig {
  seed?: number;
  /** Packages that never leave "pending review", so an "awaiting review too long" alert can fire. */
  stuckPackageIds?: string[];
  /** Chance per tick and workspace that a new package is applied. */
  applyChance?: number;
  /** Chance per tick that a pending package is approved and starts releasing. */
  reviewChance?: number;
  /** Chance per tick that a releasing package finishes. */
  finishChance?: number;
  /** Chance that a finished release failed. */
  failChance?: number;
  /** Finished packages kept per workspace; the oldest beyond this are dropped so a long demo stays small. */
  maxFinishedPerWorkspace?: number;
}

/** Plain data: everything the simulator serves at start. */
export interface Scenario {
  name?: string;
  projects: ScenarioProject[];
  life?: LifeConfig;
}

export interface SimulatorOptions {
  scenario: Scenario;
  /** How `offset` in the release-packages body is read: page number (default) or record offset. */
  offsetMode?: "page" | "offset";
  /** Unix ms; default Date.now. Used for the signature date window, token expiry and demo activity. */
  clock?: () => number;
  /**
   * How far the service's clock is ahead of `clock` (negative: behind), default 0. The `Date`
   * header, the signature window and token expiry all use the offset clock, so a skewed
   * client can be played without touching the machine's clock.
   */
  clockOffsetMs?: number;
  /** Lifetime of the IAM tokens it issues; default 24h. */
  tokenTtlMs?: number;
}

/**
 * Release-package query counts keyed `"${projectId}/${workspaceId}"`, plus `iam` (token
 * requests), `workspaces` (listing requests) and `rejected` (answers with 401).
 */
export type RequestCounts = { iam: number; workspaces: number; rejected: number } & Record<string, number>;

export interface WorkspaceInput {
  id: string;
  name: string;
  isDefault?: boolean;
  packages?: ReleasePackage[];
  faults?: Fault[];
}

/** Test control of a simulator. Methods naming an unknown project, workspace or package throw. */
export interface SimulatorControl {
  /** Adds packages; one with an existing package_id replaces it. */
  addPackages(projectId: string, workspaceId: string, pkgs: ReleasePackage[]): void;
  /** Changes a package's status; `deployTimestamp` defaults to now for statuses other than pending review. */
  setStatus(projectId: string, workspaceId: string, packageId: string, status: number, deployTimestamp?: number): void;
  removePackage(projectId: string, workspaceId: string, packageId: string): void;
  addWorkspace(projectId: string, ws: WorkspaceInput): void;
  removeWorkspace(projectId: string, workspaceId: string): void;
  injectFault(projectId: string, workspaceId: string, fault: Fault): void;
  /** No arguments: every fault; a project: its workspaces' faults; both: one workspace's. */
  clearFaults(projectId?: string, workspaceId?: string): void;
  /** Every issued IAM token answers `APIGW.0307` from now on (the static token is not affected). */
  expireTokens(): void;
  requestCounts(): RequestCounts;
  resetCounts(): void;
  /** Advances the scenario's life one step (see LifeConfig). */
  tick(): void;
  /** A copy of a workspace's packages, newest applied first. */
  packages(projectId: string, workspaceId: string): ReleasePackage[];
  /** The faults still queued for a workspace (copies). */
  faults(projectId: string, workspaceId: string): Fault[];
  /** Projects and their workspaces as served now (without packages). */
  projects(): Array<{ projectId: string; instanceId: string; workspaces: Array<{ id: string; name: string; isDefault: boolean; packageCount: number }> }>;
}
