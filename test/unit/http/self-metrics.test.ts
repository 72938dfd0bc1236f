import { ScrapeMetrics } from "../../../src/http/self-metrics";
import { family } from "../../helpers/promtool";

describe("the exporter's scrape metrics", () => {
  it("count scrapes by status code, with 200, 401 and 500 there from the start", () => {
    const metrics = new ScrapeMetrics();
    expect(family(metrics.render(), "dataarts_exporter_scrapes_total").map((s) => [s.labels.code, s.value])).toEqual([["200", 0], ["401", 0], ["500", 0]]);
    metrics.begin()(200);
    metrics.begin()(503);
    expect(family(metrics.render(), "dataarts_exporter_scrapes_total").map((s) => [s.labels.code, s.value])).toEqual([["200", 1], ["401", 0], ["500", 0], ["503", 1]]);
  });

  it("show the scrapes in flight, and at least the one reading a body built between scrapes", () => {
    const metrics = new ScrapeMetrics();
    const inFlight = () => family(metrics.render(), "dataarts_exporter_scrapes_in_flight")[0]!.value;
    expect(inFlight()).toBe(1);
    const first = metrics.begin();
    const second = metrics.begin();
    expect(inFlight()).toBe(2);
    first(200);
    second(200);
    expect(inFlight()).toBe(1);
  });
});
