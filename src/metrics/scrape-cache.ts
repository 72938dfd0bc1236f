/** Serves /metrics from memory: the polled part rendered once per poll, the clock-moving part per scrape. */
import { gzipSync } from "node:zlib";
import { Registry, collectDefaultMetrics } from "prom-client";
import { ExpositionFormat, toOpenMetrics } from "./exposition";

const LINT_FAILING_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

export interface ScrapeParts {
  /** Families that change only with a poll or a reload. */
  polled: () => string;
  /** Families that move with the clock (ages): small, rendered every scrape. */
  live: () => string;
}

/**
 * Serves /metrics from memory. The polled part is rendered (and gzipped) once after
 * each poll; a scrape renders only the live part and prom-client's process metrics.
 * Two gzip members back to back are one valid gzip stream, so the cached one is reused as is.
 */
export class ScrapeCache {
  private cached: Partial<Record<ExpositionFormat, { text: Buffer; gzip: Buffer }>> = {};
  private readonly process = new Registry();

  constructor(private readonly parts: ScrapeParts) {
    collectDefaultMetrics({ register: this.process });
    // Gauges named *_total fail `promtool check metrics`; each is the sum of a kept family
    // (nodejs_active_handles and friends, labelled by type), so nothing is lost.
    for (const name of LINT_FAILING_DEFAULTS) this.process.removeSingleMetric(name);
  }

  invalidate(): void {
    this.cached = {};
  }

  /** Whether the polled part is rendered already (for tests of the scrape path). */
  get isCached(): boolean {
    return this.cached.text !== undefined || this.cached.openmetrics !== undefined;
  }

  /** The families in `format`; OpenMetrics' `# EOF` is the caller's, who may add families after these. */
  async body(gzip: boolean, format: ExpositionFormat = "text"): Promise<Buffer> {
    const polled = this.polled(format);
    const liveText = this.parts.live() + (await this.process.metrics());
    const live = Buffer.from(format === "openmetrics" ? toOpenMetrics(liveText) : liveText);
    return gzip ? Buffer.concat([polled.gzip, gzipSync(live)]) : Buffer.concat([polled.text, live]);
  }

  private polled(format: ExpositionFormat): { text: Buffer; gzip: Buffer } {
    let cached = this.cached[format];
    if (!cached) {
      const rendered = this.parts.polled();
      const text = Buffer.from(format === "openmetrics" ? toOpenMetrics(rendered) : rendered);
      cached = this.cached[format] = { text, gzip: gzipSync(text) };
    }
    return cached;
  }
}
