/** Serves /metrics from memory: the polled part rendered once per poll, the clock-moving part per scrape. */
import { constants, crc32, deflateRawSync } from "node:zlib";
import { Registry, collectDefaultMetrics } from "prom-client";
import { ExpositionFormat, toOpenMetrics } from "./exposition";

const LINT_FAILING_DEFAULTS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

export interface ScrapeParts {
  /** Families that change only with a poll or a reload. */
  polled: () => string;
  /** Families that move with the clock (ages): small, rendered every scrape. */
  live: () => string;
}

/** The polled part as text, as raw deflate ending in a full flush (so more deflate can follow), and its CRC-32. */
interface Polled {
  text: Buffer;
  deflated: Buffer;
  crc: number;
}

/** A gzip member header (RFC 1952): deflate, no flags, no time, unknown OS. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * Serves /metrics from memory. The polled part is rendered (and compressed) once after
 * each poll; a scrape renders only the live part and prom-client's process metrics.
 * A gzip body is one gzip member: many readers (curl among them) stop after the first
 * member and would silently show part of the metrics.
 */
export class ScrapeCache {
  /** One polled part per exposition format, rendered when first asked for. */
  private cached: Partial<Record<ExpositionFormat, Polled>> = {};
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
    return Object.keys(this.cached).length > 0;
  }

  /** The families in `format`, then `tail` as given (the HTTP face's own families, OpenMetrics' `# EOF`). */
  async body(gzip: boolean, format: ExpositionFormat = "text", tail = ""): Promise<Buffer> {
    const polled = this.polled(format);
    const liveText = this.parts.live() + (await this.process.metrics());
    const live = Buffer.from((format === "openmetrics" ? toOpenMetrics(liveText) : liveText) + tail);
    return gzip ? gzipMember(polled, live) : Buffer.concat([polled.text, live]);
  }

  private polled(format: ExpositionFormat): Polled {
    let cached = this.cached[format];
    if (!cached) {
      const rendered = this.parts.polled();
      const text = Buffer.from(format === "openmetrics" ? toOpenMetrics(rendered) : rendered);
      // A full flush ends the deflate data on a byte boundary with nothing referring past it.
      cached = this.cached[format] = { text, deflated: deflateRawSync(text, { finishFlush: constants.Z_FULL_FLUSH }), crc: crc32(text) };
    }
    return cached;
  }
}

/**
 * One gzip member of the polled text followed by `live`: the cached deflate data, then the live
 * part's own (a deflate stream may go on with new blocks after a full flush), and a trailer
 * whose CRC-32 and length cover both.
 */
function gzipMember(polled: Polled, live: Buffer): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(live, polled.crc), 0);
  trailer.writeUInt32LE((polled.text.length + live.length) % 2 ** 32, 4);
  return Buffer.concat([GZIP_HEADER, polled.deflated, deflateRawSync(live), trailer]);
}
