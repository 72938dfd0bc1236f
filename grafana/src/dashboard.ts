import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { CHANGE_FAILURE_RATE_ALERT, PENDING_REVIEW_ALERT_SECONDS, Q, RELEASING_ALERT_SECONDS, VARIABLE_QUERIES } from "./queries";

export const DASHBOARD_UID = "dataarts-release-packages";

/** Every panel and query reads from the datasource the user picked, never a hard-coded uid. */
const DS: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

type Panel = timeseries.PanelBuilder | stat.PanelBuilder | table.PanelBuilder;

function query(refId: string, expr: string, legend = ""): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().datasource(DS).refId(refId).expr(expr);
  return legend ? q.legendFormat(legend) : q;
}

/** An instant query shaped as a table row per series, for table panels. */
function tableQuery(refId: string, expr: string): prometheus.DataqueryBuilder {
  return query(refId, expr).instant().format(prometheus.PromQueryFormat.Table);
}

function thresholds(...steps: [number | null, string][]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function statPanel(title: string, description: string, unit: string, expr: string, legend = ""): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DS)
    .height(5)
    .span(6)
    .withTarget(query("A", expr, legend).instant())
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .colorMode(common.BigValueColorMode.Value)
    .graphMode(common.BigValueGraphMode.None);
}

function timeseriesPanel(title: string, description: string, unit: string): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .unit(unit)
    .datasource(DS)
    .height(8)
    .span(12)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(["lastNotNull", "max"]),
    );
}

const overview = (): Panel[] => [
  statPanel(
    "Awaiting review now",
    "Release packages in status pending_review, summed over the selected workspaces, from the last poll.",
    "short",
    Q.awaitingReviewNow,
  ).thresholds(thresholds([null, "green"], [1, "blue"])),
  statPanel(
    "Oldest awaiting review",
    `Per workspace: how long the oldest package has been awaiting review. Turns red at ${PENDING_REVIEW_ALERT_SECONDS / 3600}h, where DataArtsPackageAwaitingReviewTooLong fires.`,
    "s",
    Q.oldestPendingReviewAge,
    "{{workspace}}",
  ).thresholds(thresholds([null, "green"], [PENDING_REVIEW_ALERT_SECONDS / 4, "orange"], [PENDING_REVIEW_ALERT_SECONDS, "red"])),
  statPanel(
    "New failures in range",
    "Packages that entered failed during the selected time range (increase of dataarts_release_package_failures_total; failures present when the exporter started are not counted).",
    "short",
    Q.newFailuresInRange,
  ).thresholds(thresholds([null, "green"], [1, "red"])),
  statPanel(
    "Longest-running release",
    `Per workspace: age of the longest release still in status releasing. Turns red at ${RELEASING_ALERT_SECONDS / 3600}h, where DataArtsReleaseRunningTooLong fires.`,
    "s",
    Q.longestRunningRelease,
    "{{workspace}}",
  ).thresholds(thresholds([null, "green"], [RELEASING_ALERT_SECONDS / 2, "orange"], [RELEASING_ALERT_SECONDS, "red"])),
];

const packages = (): Panel[] => [
  timeseriesPanel(
    "Release packages by status",
    "Packages per workspace and status (pending_review, releasing, succeeded, failed) as counted by the service at each poll.",
    "short",
  ).withTarget(query("A", Q.packagesByStatus, "{{workspace}} {{status}}")),
  timeseriesPanel(
    "Failure rate",
    "Per workspace: packages entering failed per second, from the rate of dataarts_release_package_failures_total.",
    "cps",
  ).withTarget(query("A", Q.failureRate, "{{workspace}}")),
];

const delivery = (): Panel[] => [
  statPanel(
    "Change failure rate in range",
    "Share of the releases that ended in the selected range which failed: failures / (failures + successes), from dataarts_release_package_failures_total and dataarts_release_package_successes_total. Empty when no release ended.",
    "percentunit",
    Q.changeFailureRateInRange,
  )
    .decimals(1)
    .thresholds(thresholds([null, "green"], [CHANGE_FAILURE_RATE_ALERT / 2, "orange"], [CHANGE_FAILURE_RATE_ALERT, "red"])),
  statPanel(
    "Review wait in range",
    "Median (p50) and 90th percentile (p90) of the time from applying for a release to its deployment, over the releases that ended in the selected range (dataarts_release_package_review_wait_seconds).",
    "s",
    Q.reviewWaitQuantileInRange(0.5),
    "p50",
  ).withTarget(query("B", Q.reviewWaitQuantileInRange(0.9), "p90").instant()),
  timeseriesPanel(
    "Releases per day by result",
    "Releases that ended succeeded or failed, as a rate per day, summed over the selected workspaces.",
    "short",
  )
    .withTarget(query("A", Q.releasesPerDayByResult("successes"), "succeeded"))
    .withTarget(query("B", Q.releasesPerDayByResult("failures"), "failed")),
];

/** Renames the merged instant-query columns of the workspace table. */
const WORKSPACE_COLUMNS = {
  "Value #A": "Up",
  "Value #B": "Last success",
  "Value #C": "Poll duration",
  "Value #D": "Poll errors in range",
};

const upMapping: dashboard.ValueMapping = {
  type: dashboard.MappingType.ValueToText,
  options: { "0": { text: "down", color: "red", index: 0 }, "1": { text: "up", color: "green", index: 1 } },
};

const workspaces = (): Panel[] => [
  new table.PanelBuilder()
    .title("Workspaces")
    .description(
      "One row per workspace: whether its last poll succeeded, how long ago the last successful poll ended, how long the last poll took, and failed polls in the selected range.",
    )
    .unit("s")
    .datasource(DS)
    .height(8)
    .span(14)
    .withTarget(tableQuery("A", Q.workspaceUp))
    .withTarget(tableQuery("B", Q.lastSuccessAge))
    .withTarget(tableQuery("C", Q.pollDuration))
    .withTarget(tableQuery("D", Q.pollErrorsInRange))
    .withTransformation({ id: "merge", options: {} })
    .withTransformation({
      id: "organize",
      options: { excludeByName: { Time: true }, renameByName: { ...WORKSPACE_COLUMNS, project_id: "Project", workspace: "Workspace" } },
    })
    .overrideByName("Up", [
      { id: "unit", value: "none" },
      { id: "mappings", value: [upMapping] },
      { id: "custom.cellOptions", value: { type: common.TableCellDisplayMode.ColorBackground } },
    ])
    .overrideByName("Poll errors in range", [
      { id: "unit", value: "short" },
      { id: "decimals", value: 0 },
    ]),
  new table.PanelBuilder()
    .title("Poll errors by reason")
    .description(
      "Failed polls in the selected range per workspace (rows) and reason (columns): auth, throttled, timeout, network, server, client, invalid_response.",
    )
    .unit("short")
    .decimals(0)
    .datasource(DS)
    .height(8)
    .span(10)
    .withTarget(tableQuery("A", Q.pollErrorsByReason))
    .withTransformation({
      id: "groupingToMatrix",
      options: { columnField: "reason", rowField: "workspace", valueField: "Value", emptyValue: "zero" },
    }),
];

const api = (): Panel[] => [
  timeseriesPanel(
    "API requests by HTTP status",
    "Requests to the DataArts API per second, by HTTP status code (error when no response came).",
    "reqps",
  ).withTarget(query("A", Q.apiRequestsByCode, "{{code}}")),
  timeseriesPanel(
    "API latency quantiles",
    "Median, 90th and 99th percentile of DataArts API request latency per selected project, from the dataarts_api_request_duration_seconds histogram (not broken down by workspace).",
    "s",
  )
    .withTarget(query("A", Q.apiLatencyQuantile(0.5), "p50"))
    .withTarget(query("B", Q.apiLatencyQuantile(0.9), "p90"))
    .withTarget(query("C", Q.apiLatencyQuantile(0.99), "p99")),
];

const pending = (): Panel[] => [
  new table.PanelBuilder()
    .title("Packages awaiting review")
    .description(
      "Every package awaiting review, oldest first, with its applicant. Empty unless the exporter runs with metrics.package_series: true (at most package_series_limit per workspace).",
    )
    .unit("s")
    .datasource(DS)
    .height(10)
    .span(24)
    .noValue("No per-package series: set metrics.package_series to true")
    .withTarget(tableQuery("A", Q.pendingPackages))
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: { Time: true },
        renameByName: { Value: "Awaiting review for", package_name: "Package", package_id: "Package id", applicant: "Applicant" },
      },
    })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName("Awaiting review for").desc(true)])
    .thresholds(thresholds([null, "green"], [PENDING_REVIEW_ALERT_SECONDS, "red"])),
];

function multiVariable(name: string, label: string, definition: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(definition)
    .definition(definition)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    // The exporter never emits an empty workspace on these series, so .+ is "all" without listing every value.
    .allValue(".+")
    .current({ text: ["All"], value: ["$__all"] });
}

export function buildDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder("DataArts Studio release packages")
    .uid(DASHBOARD_UID)
    .description("Release packages, the flow of delivery, workspace polling health and DataArts API usage, from dataarts-exporter.")
    .tags(["dataarts", "huawei-cloud", "dataarts-exporter"])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: "now-6h", to: "now" })
    .refresh("1m")
    .withVariable(new dashboard.DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"))
    .withVariable(multiVariable("job", "Job", VARIABLE_QUERIES.job))
    // Offers nothing until the exporter's config sets a `team` label; All (.*) then matches every workspace.
    .withVariable(multiVariable("team", "Team", VARIABLE_QUERIES.team).allValue(".*"))
    .withVariable(multiVariable("project_id", "Project", VARIABLE_QUERIES.project_id))
    .withVariable(multiVariable("workspace", "Workspace", VARIABLE_QUERIES.workspace));

  let id = 0;
  // Builders are mutated by building, so every dashboard gets fresh panels.
  const rows: [string, Panel[]][] = [
    ["Overview", overview()],
    ["Release packages", packages()],
    ["Delivery", delivery()],
    ["Workspaces", workspaces()],
    ["DataArts API", api()],
    ["Packages awaiting review", pending()],
  ];
  for (const [title, panels] of rows) {
    builder.withRow(new dashboard.RowBuilder(title).id(++id));
    for (const panel of panels) builder.withPanel(panel.id(++id));
  }
  return builder.build();
}
