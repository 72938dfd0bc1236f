import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { SIM_CREDENTIALS, startSimulator } from "../../src/simulator";
import { eventually, scrape, startExporterOn } from "../helpers/exporter-process";
import { family, promtoolCheckMetrics } from "../helpers/promtool";
import { PROJECT, SIM_ENV, oneWorkspace, oneWorkspaceConfig, packages } from "../helpers/sim";

async function exporterAgainst(offsetMinutes: number) {
  const sim = await startSimulator({ scenario: oneWorkspace(packages({ succeeded: 3 })), port: 0, clockOffsetMs: offsetMinutes * 60_000 });
  const exporter = await startExporterOn(oneWorkspaceConfig(sim.url), [], SIM_ENV);
  const skew = () =>
    eventually(async () => {
      const text = await scrape(exporter.url);
      const s = family(text, F.apiClockSkew).find((x) => x.labels.project_id === PROJECT);
      return s && { value: s.value, text };
    }, "the clock skew gauge");
  return { sim, exporter, skew, stop: async () => (await exporter.stop(), await sim.close()) };
}

describe("clock skew while running", () => {
  it("publishes the service's clock minus ours from the Date header, within the signature window", async () => {
    const run = await exporterAgainst(6);
    try {
      const { value, text } = await run.skew();
      expect(Math.abs(value - 360)).toBeLessThan(3);
      expect(promtoolCheckMetrics(text)).toBe("");
    } finally {
      await run.stop();
    }
  });

  it("past the window, a refused signature is reason auth with a log line naming the clock and by how much", async () => {
    const run = await exporterAgainst(-20);
    try {
      const { value } = await run.skew();
      expect(Math.abs(value + 1200)).toBeLessThan(3);
      const line = await eventually(async () => run.exporter.output().split("\n").find((l) => l.includes('"poll failed"')), "a failed poll");
      expect(JSON.parse(line)).toMatchObject({ reason: "auth", status: 401, error_code: "APIGW.0301" });
      expect(line).toMatch(/the local clock is 20m\ds ahead of the service's, beyond the 15m0s signature window: the clock is the cause/);
      expect(run.exporter.output()).not.toContain(SIM_CREDENTIALS.secretKey);
    } finally {
      await run.stop();
    }
  });
});
