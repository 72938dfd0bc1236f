/**
 * Every series name the exporter exposes, as it appears in the exposition
 * (histograms as their `_bucket`, `_sum` and `_count` series), from the metrics
 * contract of issue 3 plus the two shard gauges of issue 4. The dashboard and
 * alert tests check their queries against this list, so a renamed metric breaks
 * them instead of an empty panel in production.
 *
 * Kept as one list on purpose: it is to be replaced by an import from the
 * exporter's metrics module, the single source of truth.
 */
export const EXPOSED_METRIC_NAMES: readonly string[] = [
  "dataarts_release_packages",
  "dataarts_release_packages_pending_review_oldest_timestamp_seconds",
  "dataarts_release_packages_pending_review_oldest_age_seconds",
  "dataarts_release_packages_releasing_oldest_age_seconds",
  "dataarts_release_package_failures_total",
  "dataarts_release_package_last_failure_timestamp_seconds",
  "dataarts_release_package_pending_review_age_seconds",
  "dataarts_workspace_info",
  "dataarts_workspace_up",
  "dataarts_workspace_last_success_timestamp_seconds",
  "dataarts_workspace_poll_duration_seconds",
  "dataarts_poll_errors_total",
  "dataarts_api_requests_total",
  "dataarts_api_request_duration_seconds_bucket",
  "dataarts_api_request_duration_seconds_sum",
  "dataarts_api_request_duration_seconds_count",
  "dataarts_exporter_build_info",
  "dataarts_exporter_config_last_reload_successful",
  "dataarts_exporter_config_last_reload_success_timestamp_seconds",
  "dataarts_exporter_shard_ordinal",
  "dataarts_exporter_total_shards",
];
