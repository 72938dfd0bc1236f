/** Realistic, deterministic release packages for scenarios, tests and benchmarks. */
import { DeployStatus, type ReleasePackage } from "../dataarts/model";
import { hexId, Rng } from "./random";

export type StatusName = "pending_review" | "succeeded" | "failed" | "releasing";

export const STATUS_BY_NAME: Readonly<Record<StatusName, number>> = {
  pending_review: DeployStatus.pendingReview,
  succeeded: DeployStatus.succeeded,
  failed: DeployStatus.failed,
  releasing: DeployStatus.releasing,
};

export interface GenerateSpec {
  workspaceId: string;
  projectId: string;
  counts: Partial<Record<StatusName, number>>;
  /** Unix ms; apply times fall in [now - maxAgeMs, now]. */
  now: number;
  /** Default 30 days. */
  maxAgeMs?: number;
  /** Default 1. */
  seed?: number;
  /** First numeric package id (default 1); ids then count up in apply-time order, as the service numbers them. */
  firstId?: number;
}

const JOBS = [
  "ods_order_detail", "dwd_trade_payment", "dws_sales_daily", "ads_supplier_inventory_info",
  "dim_customer_profile", "ods_crm_contacts", "dwd_logistics_waybill", "ads_gmv_dashboard",
  "dws_user_active_7d", "dim_product_sku", "ods_erp_invoice", "dwd_marketing_coupon",
  "ads_risk_blacklist", "dws_store_traffic_hourly", "ods_iot_meter_reading", "dwd_finance_ledger",
] as const;

/** Applicants are developers; deployers are the reviewers who approve and release. */
const DEVELOPERS = ["ei_dlf_l00341563", "zhang_wei_z00412873", "li_na_l00508811", "chen_jie_c00461920", "liu_yang_l00529384", "zhao_min_z00611207"] as const;
const REVIEWERS = ["wang_fang_w00377201", "sun_hao_s00290418", "dataops_release_bot"] as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `yyyyMMddHHmmss` in China Standard Time, the suffix DataArts puts on package names. */
export function nameStamp(ms: number): string {
  return new Date(ms + 8 * HOUR).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

const userIds = new Map<string, string>();

/** A stable 32-hex user id per name (memoized: generating 100k packages should not hash 200k times). */
export function userId(name: string): string {
  let id = userIds.get(name);
  if (id === undefined) {
    id = hexId(`user:${name}`);
    userIds.set(name, id);
  }
  return id;
}

export function packageName(rng: Rng, applyTimestamp: number): string {
  const job = rng.pick(JOBS);
  const prefix = rng.chance(0.5) ? `${job}__${job}` : job;
  return `${prefix}_${nameStamp(applyTimestamp)}`;
}

/** A package just applied for: pending review, no deployer yet. */
export function newPackage(rng: Rng, ids: { projectId: string; workspaceId: string; packageId: string }, applyTimestamp: number): ReleasePackage {
  const applicant = rng.pick(DEVELOPERS);
  return {
    package_id: ids.packageId,
    package_name: packageName(rng, applyTimestamp),
    apply_timestamp: applyTimestamp,
    apply_user_id: userId(applicant),
    apply_user_name: applicant,
    deploy_status: DeployStatus.pendingReview,
    deploy_timestamp: 0,
    delete_flag: 0,
    package_approvers: [],
    project_id: `${ids.projectId}-workspace-${ids.workspaceId}`,
    workspace_id: ids.workspaceId,
  };
}

/** Marks a package reviewed by a reviewer, releasing or released at `deployTimestamp`. */
export function approve(rng: Rng, p: ReleasePackage, status: number, deployTimestamp: number): void {
  const reviewer = rng.pick(REVIEWERS);
  p.deploy_status = status;
  p.deploy_timestamp = deployTimestamp;
  p.deploy_user_name = reviewer;
  p.deploy_user_id = userId(reviewer);
  p.package_approvers = [{ user_id: userId(reviewer), user_name: reviewer }];
}

/** When a package of this status was (or started being) released, never before it was applied nor after now. */
function deployTime(rng: Rng, status: number, apply: number, now: number): number {
  const sinceApply = now - apply;
  if (status === DeployStatus.releasing) return now - rng.int(0, Math.min(15 * MINUTE, sinceApply));
  return apply + rng.int(0, Math.min(6 * HOUR, sinceApply));
}

function checkSpec(spec: GenerateSpec): void {
  for (const [name, n] of Object.entries(spec.counts)) {
    if (!(name in STATUS_BY_NAME)) throw new Error(`unknown status ${name}; use ${Object.keys(STATUS_BY_NAME).join(", ")}`);
    if (!Number.isSafeInteger(n) || (n as number) < 0) throw new Error(`count of ${name} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(spec.now)) throw new Error("now must be Unix milliseconds");
  if (spec.maxAgeMs !== undefined && !(spec.maxAgeMs >= 0)) throw new Error("maxAgeMs must not be negative");
}

export function generatePackages(spec: GenerateSpec): ReleasePackage[] {
  checkSpec(spec);
  const rng = new Rng(spec.seed ?? 1);
  const maxAge = Math.floor(spec.maxAgeMs ?? 30 * DAY);
  const plan: Array<{ status: number; apply: number }> = [];
  for (const [name, n] of Object.entries(spec.counts) as Array<[StatusName, number]>) {
    for (let i = 0; i < n; i++) plan.push({ status: STATUS_BY_NAME[name], apply: spec.now - rng.int(0, maxAge) });
  }
  plan.sort((a, b) => a.apply - b.apply);
  let id = spec.firstId ?? 1;
  return plan.map(({ status, apply }) => {
    const p = newPackage(rng, { projectId: spec.projectId, workspaceId: spec.workspaceId, packageId: String(id++) }, apply);
    if (status !== DeployStatus.pendingReview) approve(rng, p, status, deployTime(rng, status, apply, spec.now));
    return p;
  });
}
