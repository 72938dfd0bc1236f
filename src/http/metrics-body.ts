/** The end of a /metrics body: the HTTP face's own families after the exporter's, and OpenMetrics' `# EOF`. */
import { gzipSync } from "node:zlib";
import { ExpositionFormat, OPENMETRICS_EOF, toOpenMetrics } from "../metrics/exposition";

/**
 * Appends `families` (text format) to a body in `format`. Gzip members back to back are one
 * valid gzip stream, so a gzipped body gets a second small member and is never re-compressed.
 */
export function withTrailer(body: Buffer, gzip: boolean, format: ExpositionFormat, families: string): Buffer {
  const text = format === "openmetrics" ? toOpenMetrics(families) + OPENMETRICS_EOF : families;
  return Buffer.concat([body, gzip ? gzipSync(text) : Buffer.from(text)]);
}
