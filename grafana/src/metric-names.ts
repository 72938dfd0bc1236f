import { METRIC_FAMILIES } from "../../src/metrics/families";
import { DELIVERY_FAMILIES } from "../../src/metrics/delivery";
import { SELF_METRIC_FAMILIES } from "../../src/http/self-metrics";

/**
 * The exporter's families that are histograms: in the exposition they appear
 * only as their `_bucket`, `_sum` and `_count` series, which is what a query
 * must name.
 */
const HISTOGRAMS: readonly string[] = [METRIC_FAMILIES.apiDuration, DELIVERY_FAMILIES.reviewWait];

/**
 * Every series name the exporter exposes, as it appears in the exposition,
 * derived from the exporter's own `METRIC_FAMILIES`, `DELIVERY_FAMILIES` and
 * `SELF_METRIC_FAMILIES` (the HTTP face's) so
 * there is one list. The dashboard and alert tests check their queries against
 * it, so a renamed metric breaks them instead of an empty panel in production.
 */
export const EXPOSED_METRIC_NAMES: readonly string[] = [...Object.values(METRIC_FAMILIES), ...Object.values(DELIVERY_FAMILIES), ...Object.values(SELF_METRIC_FAMILIES)].flatMap(
  (name: string) => (HISTOGRAMS.includes(name) ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]),
);
