/** The end of a /metrics body: the HTTP face's own families after the exporter's, and OpenMetrics' `# EOF`. */
import { ExpositionFormat, OPENMETRICS_EOF, toOpenMetrics } from "../metrics/exposition";

/** `families` (text format) as the last lines of a body in `format`; the exporter compresses them with the rest, in one gzip member. */
export function metricsTail(format: ExpositionFormat, families: string): string {
  return format === "openmetrics" ? toOpenMetrics(families) + OPENMETRICS_EOF : families;
}
