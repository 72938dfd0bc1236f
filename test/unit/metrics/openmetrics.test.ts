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

  it("gives a piece of samples alone back as it is", () => {
    const samples = 'x_requests_total{code="200"} 3\nx_age_seconds{workspace_id="w#1"} 2\n';
    expect(toOpenMetrics(samples)).toBe(samples);
  });

  it("still converts a piece whose comment lines come after its first sample", () => {
    expect(toOpenMetrics("a_total 1\n# HELP b_total B.\n# TYPE b_total counter\nb_total 2\n")).toBe("a_total 1\n# HELP b B.\n# TYPE b counter\nb_total 2\n");
  });

  it("drops the blank lines of a piece of samples and ends it with a newline", () => {
    expect(toOpenMetrics("\na 1\n\nb 2")).toBe("a 1\nb 2\n");
    expect(toOpenMetrics("a 1\n\n")).toBe("a 1\n");
    expect(toOpenMetrics("")).toBe("");
  });
});
