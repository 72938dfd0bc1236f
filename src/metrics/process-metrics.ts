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

const LAG_HELP: Record<LagStat, string> = {
  min: "The minimum recorded event loop delay.",
  max: "The maximum recorded event loop delay.",
  mean: "The mean of the recorded event loop delays.",
  stddev: "The standard deviation of the recorded event loop delays.",
  p50: "The 50th percentile of the recorded event loop delays.",
  p90: "The 90th percentile of the recorded event loop delays.",
  p99: "The 99th percentile of the recorded event loop delays.",
};

/** What the lag gauges show from a histogram's window; undefined when it recorded nothing. */
export function lagStats(h: Pick<IntervalHistogram, "count" | "min" | "max" | "mean" | "stddev" | "percentile">): Record<LagStat, number> | undefined {
  if (h.count === 0) return undefined;
  const stats = { min: h.min, max: h.max, mean: h.mean, stddev: h.stddev, p50: h.percentile(50), p90: h.percentile(90), p99: h.percentile(99) };
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
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private lag: Record<LagStat, number> = { min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p99: 0 };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const name of LINT_FAILING_DEFAULTS) this.registry.removeSingleMetric(name);
    for (const stat of LAG_STATS) this.registry.removeSingleMetric(`nodejs_eventloop_lag_${stat}_seconds`);
    this.delay.enable();
  }

  /** The families as of now (the caller shares them for a second). */
  async render(): Promise<string> {
    const window = lagStats(this.delay);
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
