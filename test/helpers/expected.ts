import { DeployStatus, ReleasePackage } from "../../src/dataarts/model";
import { releaseStart } from "../../src/polling/poller";

/** What the metrics should say about `packages`, worked out directly from the simulator's data. */
export function expectedFrom(packages: ReleasePackage[]) {
  const of = (status: number) => packages.filter((p) => p.deploy_status === status);
  const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity);
  const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);
  return {
    counts: {
      pending_review: of(DeployStatus.pendingReview).length,
      succeeded: of(DeployStatus.succeeded).length,
      failed: of(DeployStatus.failed).length,
      releasing: of(DeployStatus.releasing).length,
    },
    oldestPendingMs: min(of(DeployStatus.pendingReview).map((p) => p.apply_timestamp)),
    oldestReleasingMs: min(of(DeployStatus.releasing).map(releaseStart)),
    lastFailureMs: max(of(DeployStatus.failed).map((p) => p.deploy_timestamp)),
    lastSucceededMs: max(of(DeployStatus.succeeded).map((p) => p.deploy_timestamp)),
    pendingOldestFirst: of(DeployStatus.pendingReview).sort((a, b) => a.apply_timestamp - b.apply_timestamp),
  };
}
