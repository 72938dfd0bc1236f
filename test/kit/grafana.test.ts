import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARD_PATH, renderDashboard } from "../../grafana/src/generate";
import { EXPOSED_METRIC_NAMES } from "../../grafana/src/metric-names";
import { analyze, expandGrafanaVariables } from "../../grafana/src/promql";

const ROOT = join(__dirname, "..", "..");

interface Target {
  expr: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title?: string;
  description?: string;
  datasource?: { uid?: string };
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: Target[];
}
interface Variable {
  type: string;
  name: string;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  refresh?: number;
  datasource?: { uid?: string };
}

const committed = readFileSync(join(ROOT, DASHBOARD_PATH), "utf8");
const dash = JSON.parse(committed) as { panels: Panel[]; templating: { list: Variable[] } };
/** Rows only group panels: they have no query, unit or description. */
const panels = dash.panels.filter((p) => p.type !== "row");
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variables = dash.templating.list;

/** Series without the workspace labels (contract of issue 3): the latency histogram is per project only. */
const WITHOUT_WORKSPACE_LABEL = /^dataarts_api_request_duration_seconds_/;

describe("the committed Grafana dashboard", () => {
  it("is what the generator produces now", () => {
    if (committed !== renderDashboard()) {
      throw new Error(`${DASHBOARD_PATH} is out of date: run \`npm run dashboards\` and commit the result`);
    }
  });

  it("has the panels the operations kit promises", () => {
    expect(panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        "Release packages by status",
        "Awaiting review now",
        "Oldest awaiting review",
        "Failure rate",
        "New failures in range",
        "Longest-running release",
        "Workspaces",
        "Poll errors by reason",
        "API requests by HTTP status",
        "API latency quantiles",
        "Packages awaiting review",
        "Change failure rate in range",
        "Review wait in range",
        "Releases per day by result",
      ]),
    );
  });

  it.each(panels.map((p) => [p.title ?? "(untitled)", p] as const))(
    "panel %s has a title, a description, a unit and reads from $datasource",
    (_, panel) => {
      expect(panel.title).toBeTruthy();
      expect(panel.description).toBeTruthy();
      expect(panel.fieldConfig?.defaults?.unit).toBeTruthy();
      expect(panel.datasource?.uid).toBe("${datasource}");
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid).toBe("${datasource}");
    },
  );

  it("has a Delivery row", () => {
    expect(dash.panels.filter((p) => p.type === "row").map((p) => p.title)).toContain("Delivery");
  });

  it("offers a Prometheus datasource variable", () => {
    expect(variables[0]).toMatchObject({ type: "datasource", name: "datasource", query: "prometheus" });
  });

  it("offers team (a config label) as a multi-value variable whose All also matches series without one", () => {
    expect(variables.find((v) => v.name === "team")).toMatchObject({
      type: "query",
      query: expect.stringMatching(/^label_values\(dataarts_workspace_up\{job=~"\$job"\}, team\)$/),
      multi: true,
      includeAll: true,
      allValue: ".*",
      refresh: 2,
      datasource: { uid: "${datasource}" },
    });
  });

  it("narrows the project and workspace variables by the team", () => {
    for (const name of ["project_id", "workspace"]) expect(variables.find((v) => v.name === name)?.query).toContain('team=~"$team"');
  });

  it.each(["job", "project_id", "workspace"])(
    "offers %s as a multi-value variable whose All is .+, refreshed when the time range changes",
    (name) => {
      expect(variables.find((v) => v.name === name)).toMatchObject({
        type: "query",
        multi: true,
        includeAll: true,
        allValue: ".+",
        refresh: 2,
        datasource: { uid: "${datasource}" },
      });
    },
  );
});

describe.each(queries)("the query of panel $panel: $expr", ({ expr }) => {
  const { errors, selectors } = analyze(expandGrafanaVariables(expr));

  it("parses as PromQL", () => {
    expect(errors).toEqual([]);
    expect(selectors.length).toBeGreaterThan(0);
  });

  it("uses only metrics the exporter exposes", () => {
    for (const s of selectors) expect(EXPOSED_METRIC_NAMES).toContain(s.metric);
  });

  it("wraps every counter in rate or increase", () => {
    for (const s of selectors.filter((s) => s.metric.endsWith("_total") || s.metric.endsWith("_bucket"))) {
      expect(["rate", "increase"]).toContain(s.rangeFunction);
    }
  });

  it("takes rates over $__rate_interval and increases over $__rate_interval or $__range", () => {
    const ranges = [...expr.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]);
    for (const r of ranges) expect(["$__rate_interval", "$__range"]).toContain(r);
    for (const m of expr.matchAll(/\brate\([^[]*\[([^\]]*)\]/g)) expect(m[1]).toBe("$__rate_interval");
  });

  it("narrows every selector by the job, project_id and workspace variables, and by team where the series has config labels", () => {
    for (const s of selectors) {
      const wanted = WITHOUT_WORKSPACE_LABEL.test(s.metric) ? ["job", "project_id"] : ["job", "team", "project_id", "workspace"];
      for (const label of wanted) {
        expect(s.matchers).toContainEqual({ label, op: "=~", value: `$${label}` });
      }
    }
  });
});

describe("the variable queries", () => {
  it.each(variables.filter((v) => v.type === "query"))("$name reads a series the exporter exposes", (v) => {
    const selector = /^label_values\((.+), (\w+)\)$/.exec(v.query ?? "");
    expect(selector).not.toBeNull();
    const { errors, selectors } = analyze(selector?.[1] ?? "");
    expect(errors).toEqual([]);
    expect(selectors.map((s) => s.metric).every((m) => EXPOSED_METRIC_NAMES.includes(m))).toBe(true);
  });
});
