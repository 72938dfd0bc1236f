/** The process_* and nodejs_* families: prom-client's defaults, lint-clean, with event-loop lag that is never NaN. */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { Registry, collectDefaultMetrics } from "prom-client";
import { formatValue } from "./exposition";

/**
 * Gauges named *_total fail `promtool check metrics`; each is the sum of a kept family
 * (nodejs_active_handles and friends, labelled by type), so nothing is lost.
 */
const LINT_FAILING_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** prom-client's event-loop delay gauges: NaN mean and stddev (and a huge min) when no sample fell between two scrapes. */
const LAG_STATS = ["min", "max", "mean", "stddev", "p50", "p90", "p99"] as const;
type LagStat = (typeof LAG_STATS)[number];

/**
 * How often the lag gauges' histogram samples the event loop. Each sample is a timer that wakes an idle loop:
 * at prom-client's 10 ms that cost about 8 ms of CPU a second, 0.05 ms per API request at 1 000 workspaces
 * (docs/performance.md); at 100 ms a block of the loop longer than that is still always seen.
 */
export const LAG_RESOLUTION_MS = 100;

/** The resolution given to prom-client's own event-loop monitor, whose figures are not shown: as coarse as it takes. */
const UNUSED_MONITOR_RESOLUTION_MS = 60_000;

const LAG_HELP: Record<LagStat, string> = {
  min: "The minimum recorded event loop delay.",
  max: "The maximum recorded event loop delay.",
  mean: "The mean of the recorded event loop delays.",
  stddev: "The standard deviation of the recorded event loop delays.",
  p50: "The 50th percentile of the recorded event loop delays.",
  p90: "The 90th percentile of the recorded event loop delays.",
  p99: "The 99th percentile of the recorded event loop delays.",
};

/**
 * What the lag gauges show from a histogram's window, in seconds; undefined when it recorded nothing.
 * Node.js records the time between two of the monitor's ticks, which is `resolutionMs` on a quiet loop: that
 * period is taken off (never below 0), so the gauges show how late a tick came and do not grow with the period.
 */
export function lagStats(
  h: Pick<IntervalHistogram, "count" | "min" | "max" | "mean" | "stddev" | "percentile">,
  resolutionMs: number,
): Record<LagStat, number> | undefined {
  if (h.count === 0) return undefined;
  const period = resolutionMs * 1e6;
  const late = (ns: number) => Math.max(0, ns - period);
  const stats = {
    min: late(h.min),
    max: late(h.max),
    mean: late(h.mean),
    stddev: h.stddev,
    p50: late(h.percentile(50)),
    p90: late(h.percentile(90)),
    p99: late(h.percentile(99)),
  };
  const out = {} as Record<LagStat, number>;
  for (const stat of LAG_STATS) out[stat] = Number.isFinite(stats[stat]) ? stats[stat] / 1e9 : 0;
  return out;
}

/**
 * The process metrics. The event-loop delay gauges keep the last window that recorded samples, and read 0 until
 * the first one: prom-client's own read NaN when two scrapes come close together.
 */
export class ProcessMetrics {
  private readonly registry = new Registry();
  private readonly delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private lag: Record<LagStat, number> = { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 };

  constructor() {
    // prom-client's own delay histogram only feeds the lag gauges removed below; at its default resolution
    // its timer would wake the event loop 100 times a second for nothing.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: UNUSED_MONITOR_RESOLUTION_MS });
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    for (const stat of LAG_STATS) this.registry.removeSingleMetric(`nodejs_eventloop_lag_${stat}_seconds`);
    this.delay.enable();
  }

  /** The families as of now (the caller shares them for a second). */
  async render(): Promise<string> {
    const window = lagStats(this.delay, LAG_RESOLUTION_MS);
    if (window) {
      this.lag = window;
      this.delay.reset();
    }
    return (await this.registry.metrics()) + renderLag(this.lag);
  }

  stop(): void {
    this.delay.disable();
  }
}

function renderLag(lag: Record<LagStat, number>): string {
  let out = "";
  for (const stat of LAG_STATS) {
    const name = `nodejs_eventloop_lag_${stat}_seconds`;
    out += `# HELP ${name} ${LAG_HELP[stat]}\n# TYPE ${name} gauge\n${name} ${formatValue(lag[stat])}\n`;
  }
  return out;
}
