/** What one poll of one workspace asks the API, and the snapshot it makes of the answers. */
import { DataArtsClient } from "../dataarts/client";
import { ReleasePackagePager } from "../dataarts/paging";
import { DeployStatus, MAX_LIMIT, ReleasePackage } from "../dataarts/model";
import { EndedRelease, PendingPackage, ReleasingPackage, Snapshot } from "./state";

/** Margin for the service's clock being behind ours when choosing the window of ended releases. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Timestamps outside these bounds are not Unix milliseconds (0, or seconds: 10 digits; or
 * microseconds): read as milliseconds they would make ages of 56 years, so ages leave them out.
 */
const PLAUSIBLE_MS = { min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) };

function plausibleMs(ms: number): boolean {
  return ms >= PLAUSIBLE_MS.min && ms < PLAUSIBLE_MS.max;
}

/** Says that a package was left out of the ages, and why (the exporter logs it at debug level). */
export type ImplausibleTimestamp = (event: { packageId: string; field: "apply_timestamp" | "deploy_timestamp"; value: number }) => void;

export interface PollContext {
  client: DataArtsClient;
  pager: ReleasePackagePager;
  workspaceId: string;
  /** `metrics.packageSeriesLimit` from config: 0 turns the per-package pending series off. */
  packageSeriesLimit: number;
  now: number;
  /** When the previous successful poll started, and the releases it saw running. */
  previous?: { startedMs: number; releasing: ReleasingPackage[] };
  onImplausible?: ImplausibleTimestamp;
}

/** A release's start: its deploy time, or its apply time while the service has none. */
export function releaseStart(p: ReleasePackage): number {
  return p.deploy_timestamp > 0 ? p.deploy_timestamp : p.apply_timestamp;
}

/**
 * Polls one workspace with a fixed number of requests whatever its size: `total`
 * with tiny pages for counts, sorting for the oldest and newest, and one
 * `deploy_begin_time` window that lists both failures and successes since the last
 * poll. Only a burst of ended releases or per-package series page further.
 */
export async function pollWorkspace(ctx: PollContext): Promise<Snapshot> {
  const { client, workspaceId } = ctx;
  const query = (filter: Parameters<DataArtsClient["queryReleasePackages"]>[1]) =>
    client.queryReleasePackages(workspaceId, filter);

  const pending = await pendingPackages(ctx);
  const releasing = await query({
    deploy_status_filter: [DeployStatus.releasing],
    order_column: "deploy_timestamp",
    sorted_direction: "asc",
    limit: MAX_LIMIT,
    offset: 0,
  });
  // Newest first, one package: its `total` is the count and the package the last outcome.
  const newest = (status: number) =>
    query({ deploy_status_filter: [status], order_column: "deploy_timestamp", sorted_direction: "desc", limit: 1, offset: 0 });
  const failed = await newest(DeployStatus.failed);
  const succeeded = await newest(DeployStatus.succeeded);

  const running: ReleasingPackage[] = releasing.data.map((p) => ({ id: p.package_id, startMs: releaseStart(p) }));
  const oldestReleasingStartMs = minOf(
    releasing.data.filter((p) => plausible(ctx, p, p.deploy_timestamp > 0 ? "deploy_timestamp" : "apply_timestamp")).map(releaseStart),
  );
  const windowStartMs = windowStart(ctx, running);
  // One query carries both outcomes, so successes cost no request of their own.
  const recent = await ctx.pager.all(workspaceId, {
    deploy_status_filter: [DeployStatus.failed, DeployStatus.succeeded],
    deploy_begin_time: windowStartMs,
    order_column: "deploy_timestamp",
    sorted_direction: "desc",
    limit: MAX_LIMIT,
  });

  return {
    data: {
      counts: {
        pending_review: pending.total,
        succeeded: succeeded.total,
        failed: failed.total,
        releasing: releasing.total,
      },
      oldestPendingApplyMs: pending.oldest?.apply_timestamp,
      oldestReleasingStartMs,
      lastFailureMs: deployTime(ctx, failed.data[0]),
      lastSucceededMs: deployTime(ctx, succeeded.data[0]),
      pending: pending.series,
    },
    recentReleases: recent.packages.flatMap(endedRelease),
    // A release running now may end later with its old deploy time: keep what was seen since it started.
    // Every running release counts here, plausible start or not: ages leave some out, counting none.
    retainFromMs: minOf([windowStartMs, ...running.map((r) => r.startMs)])!,
    releasing: running,
  };
}

function deployTime(ctx: PollContext, p: ReleasePackage | undefined): number | undefined {
  return p && p.deploy_timestamp > 0 && plausible(ctx, p, "deploy_timestamp") ? p.deploy_timestamp : undefined;
}

/**
 * A listed package as an ended release; anything else the service slips in is not one.
 * Its review wait is left out (apply time 0) unless both times are plausible milliseconds.
 */
function endedRelease(p: ReleasePackage): EndedRelease[] {
  const outcome = p.deploy_status === DeployStatus.failed ? "failed" : p.deploy_status === DeployStatus.succeeded ? "succeeded" : undefined;
  if (!outcome) return [];
  const applyMs = plausibleMs(p.apply_timestamp) && plausibleMs(p.deploy_timestamp) ? p.apply_timestamp : 0;
  return [{ id: p.package_id, outcome, deployMs: p.deploy_timestamp, applyMs }];
}

const PENDING_OLDEST_FIRST = {
  deploy_status_filter: [DeployStatus.pendingReview],
  order_column: "apply_timestamp" as const,
  sorted_direction: "asc" as const,
};

async function pendingPackages(ctx: PollContext) {
  const filter = PENDING_OLDEST_FIRST;
  if (ctx.packageSeriesLimit <= 0) {
    const page = await ctx.client.queryReleasePackages(ctx.workspaceId, { ...filter, limit: 1, offset: 0 });
    const usable = page.data.filter((p) => plausible(ctx, p, "apply_timestamp"));
    return { total: page.total, oldest: await oldestPlausible(ctx, usable, page.data.length, page.total), series: [] as PendingPackage[] };
  }
  // The pager owns the page size: it asks for at most MAX_LIMIT a page.
  const all = await ctx.pager.all(ctx.workspaceId, { ...filter, limit: ctx.packageSeriesLimit }, ctx.packageSeriesLimit);
  const usable = all.packages.filter((p) => plausible(ctx, p, "apply_timestamp"));
  const series = usable
    .map((p) => ({ id: p.package_id, name: p.package_name ?? "", applicant: p.apply_user_name ?? "", applyMs: p.apply_timestamp }))
    .sort((a, b) => a.applyMs - b.applyMs);
  return { total: all.total, oldest: await oldestPlausible(ctx, usable, all.packages.length, all.total), series };
}

/**
 * The oldest pending package with a plausible apply time. Implausible ones sort first (0, seconds),
 * so when every package fetched was one, one more request asks for the oldest from 2000 on.
 */
async function oldestPlausible(ctx: PollContext, usable: ReleasePackage[], fetched: number, total: number): Promise<ReleasePackage | undefined> {
  const oldest = usable.reduce(olderApply, undefined);
  if (oldest || fetched === 0 || fetched >= total) return oldest;
  const page = await ctx.client.queryReleasePackages(ctx.workspaceId, {
    ...PENDING_OLDEST_FIRST,
    apply_begin_time: PLAUSIBLE_MS.min,
    limit: 1,
    offset: 0,
  });
  const found = page.data[0];
  return found && plausibleMs(found.apply_timestamp) ? found : undefined;
}

/** Whether the package's `field` can go into an age; reports it when not. */
function plausible(ctx: PollContext, p: ReleasePackage, field: "apply_timestamp" | "deploy_timestamp"): boolean {
  const ok = plausibleMs(p[field]);
  if (!ok) ctx.onImplausible?.({ packageId: p.package_id, field, value: p[field] });
  return ok;
}

function olderApply(a: ReleasePackage | undefined, b: ReleasePackage): ReleasePackage {
  return a === undefined || b.apply_timestamp < a.apply_timestamp ? b : a;
}

/**
 * A package whose release ended since the last poll either started releasing since then, or
 * was a release running then that has stopped running now. So the window reaches back
 * to the last poll's start, and to the start of every release that has finished since;
 * a release still running does not hold it back. The first poll reaches back to the
 * oldest running release, so that the baseline holds every ended release a later window sees.
 */
function windowStart(ctx: PollContext, runningNow: ReleasingPackage[]): number {
  if (!ctx.previous) return minOf([ctx.now - CLOCK_SKEW_MS, ...runningNow.map((r) => r.startMs)])!;
  const still = new Set(runningNow.map((r) => r.id));
  const finished = ctx.previous.releasing.filter((r) => !still.has(r.id)).map((r) => r.startMs);
  return minOf([ctx.previous.startedMs - CLOCK_SKEW_MS, ...finished])!;
}

function minOf(values: Array<number | undefined>): number | undefined {
  let min: number | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
}
