import { toOpenMetrics } from "../../../src/metrics/exposition";

describe("the OpenMetrics renderer", () => {
  it("names counter families without _total, keeps their samples, and adds base units", () => {
    const text = [
      "# HELP x_requests_total Requests.",
      "# TYPE x_requests_total counter",
      'x_requests_total{code="200"} 3',
      "# HELP x_cpu_seconds_total CPU.",
      "# TYPE x_cpu_seconds_total counter",
      "x_cpu_seconds_total 1.5",
      "# HELP x_age_seconds Age.",
      "# TYPE x_age_seconds gauge",
      "x_age_seconds 2",
      "",
    ].join("\n");
    expect(toOpenMetrics(text)).toBe(
      [
        "# HELP x_requests Requests.",
        "# TYPE x_requests counter",
        'x_requests_total{code="200"} 3',
        "# HELP x_cpu_seconds CPU.",
        "# TYPE x_cpu_seconds counter",
        "# UNIT x_cpu_seconds seconds",
        "x_cpu_seconds_total 1.5",
        "# HELP x_age_seconds Age.",
        "# TYPE x_age_seconds gauge",
        "# UNIT x_age_seconds seconds",
        "x_age_seconds 2",
        "",
      ].join("\n"),
    );
  });

  it("types a counter without _total and untyped families as unknown, and drops blank lines", () => {
    expect(toOpenMetrics("# TYPE odd counter\nodd 1\n\n# TYPE u untyped\nu 2\n")).toBe("# TYPE odd unknown\nodd 1\n# TYPE u unknown\nu 2\n");
  });
});
