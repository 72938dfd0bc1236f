import { setTimeout as wait } from "node:timers/promises";
import { LAG_RESOLUTION_MS, ProcessMetrics } from "../../src/metrics/process-metrics";

/** Holds this thread (and so the event loop) for `ms`, as a long synchronous task would. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);

// The real monitor on the real event loop: the lag gauges exist to show a blocked loop, sampled coarsely or not.
describe("the event-loop lag gauges", () => {
  it("show a loop blocked for longer than the sampling interval, less at most one interval", async () => {
    const metrics = new ProcessMetrics();
    try {
      await wait(3 * LAG_RESOLUTION_MS);
      await metrics.render(); // starts a fresh window, whose first tick only sets where the next is measured from
      await wait(2 * LAG_RESOLUTION_MS);
      const blockedMs = 4 * LAG_RESOLUTION_MS;
      blockEventLoop(blockedMs);
      await wait(3 * LAG_RESOLUTION_MS);
      const text = await metrics.render();
      expect(gauge(text, "nodejs_eventloop_lag_max_seconds")).toBeGreaterThanOrEqual((blockedMs - LAG_RESOLUTION_MS) / 1000);
      expect(text).not.toMatch(/\bNaN\b/);
    } finally {
      metrics.stop();
    }
  });

  it("read near zero on a quiet loop, not the sampling interval", async () => {
    const metrics = new ProcessMetrics();
    try {
      await wait(3 * LAG_RESOLUTION_MS);
      await metrics.render();
      await wait(5 * LAG_RESOLUTION_MS);
      const text = await metrics.render();
      expect(gauge(text, "nodejs_eventloop_lag_p50_seconds")).toBeLessThan(LAG_RESOLUTION_MS / 1000);
      expect(gauge(text, "nodejs_eventloop_lag_min_seconds")).toBeLessThan(LAG_RESOLUTION_MS / 1000);
    } finally {
      metrics.stop();
    }
  });
});
