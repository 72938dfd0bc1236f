/**
 * The dashboard's PromQL, kept apart from the layout so each query can be read
 * (and tested) on its own. Every selector carries the dashboard's variables; the
 * API latency histogram has only the `project_id` label, so it cannot be
 * narrowed to a workspace.
 */

/**
 * Matchers for the job, team, project and workspace variables (all multi-value regexes).
 * `team` comes from the exporter's config `labels`; its All is `.*`, which also matches
 * series without one, so the dashboard works the same where no team is configured.
 */
const WORKSPACE_MATCHERS = 'job=~"$job", team=~"$team", project_id=~"$project_id", workspace=~"$workspace"';
const PROJECT_MATCHERS = 'job=~"$job", project_id=~"$project_id"';

/** A selector for a workspace-labelled metric, with extra matchers appended. */
export function ws(metric: string, extra = ""): string {
  return `${metric}{${WORKSPACE_MATCHERS}${extra ? `, ${extra}` : ""}}`;
}

/** Seconds a package may await review before the alert fires (same value as in prometheus/alerts.yml). */
export const PENDING_REVIEW_ALERT_SECONDS = 86400;
/** Seconds a release may run before the alert fires (same value as in prometheus/alerts.yml). */
export const RELEASING_ALERT_SECONDS = 3600;

/** Share of failed releases over 24 h at which DataArtsChangeFailureRateHigh fires (same value as in prometheus/alerts.yml). */
export const CHANGE_FAILURE_RATE_ALERT = 0.25;
/** Releases over 24 h below which the change failure rate alert stays silent (same value as in prometheus/alerts.yml). */
export const CHANGE_FAILURE_RATE_MIN_RELEASES = 10;

export const Q = {
  awaitingReviewNow: `sum(${ws("dataarts_release_packages", 'status="pending_review"')})`,
  oldestPendingReviewAge: `max by (workspace) (${ws("dataarts_release_packages_pending_review_oldest_age_seconds")})`,
  newFailuresInRange: `sum(increase(${ws("dataarts_release_package_failures_total")}[$__range]))`,
  longestRunningRelease: `max by (workspace) (${ws("dataarts_release_packages_releasing_oldest_age_seconds")})`,
  packagesByStatus: `sum by (workspace, status) (${ws("dataarts_release_packages")})`,
  failureRate: `sum by (workspace) (rate(${ws("dataarts_release_package_failures_total")}[$__rate_interval]))`,

  workspaceUp: `max by (project_id, workspace) (${ws("dataarts_workspace_up")})`,
  lastSuccessAge: `time() - max by (project_id, workspace) (${ws("dataarts_workspace_last_success_timestamp_seconds")})`,
  pollDuration: `max by (project_id, workspace) (${ws("dataarts_workspace_poll_duration_seconds")})`,
  pollErrorsInRange: `sum by (project_id, workspace) (increase(${ws("dataarts_poll_errors_total")}[$__range]))`,
  pollErrorsByReason: `sum by (workspace, reason) (increase(${ws("dataarts_poll_errors_total")}[$__range]))`,

  apiRequestsByCode: `sum by (code) (rate(${ws("dataarts_api_requests_total")}[$__rate_interval]))`,
  apiLatencyQuantile: (q: number) =>
    `histogram_quantile(${q}, sum by (le) (rate(dataarts_api_request_duration_seconds_bucket{${PROJECT_MATCHERS}}[$__rate_interval])))`,

  releasesPerDayByResult: (result: "failures" | "successes") =>
    `sum(rate(${ws(`dataarts_release_package_${result}_total`)}[$__rate_interval])) * 86400`,
  changeFailureRateInRange: `sum(increase(${ws("dataarts_release_package_failures_total")}[$__range])) / (sum(increase(${ws(
    "dataarts_release_package_failures_total",
  )}[$__range])) + sum(increase(${ws("dataarts_release_package_successes_total")}[$__range])))`,
  reviewWaitQuantileInRange: (q: number) =>
    `histogram_quantile(${q}, sum by (le) (increase(${ws("dataarts_release_package_review_wait_seconds_bucket")}[$__range])))`,

  pendingPackages: `max by (project_id, workspace, package_id, package_name, applicant) (${ws(
    "dataarts_release_package_pending_review_age_seconds",
  )})`,
};

/** Variable queries (Grafana's `label_values`), each narrowed by the variables before it. */
export const VARIABLE_QUERIES = {
  job: "label_values(dataarts_workspace_up, job)",
  team: 'label_values(dataarts_workspace_up{job=~"$job"}, team)',
  project_id: 'label_values(dataarts_workspace_up{job=~"$job", team=~"$team"}, project_id)',
  workspace: 'label_values(dataarts_workspace_up{job=~"$job", team=~"$team", project_id=~"$project_id"}, workspace)',
};
