/** The HTTP face's own metrics: scrapes by status code, scrapes in flight, and the web config's reload state. */
import { Family, renderFamily } from "../metrics/exposition";

export const SELF_METRIC_FAMILIES = {
  scrapes: "dataarts_exporter_scrapes_total",
  scrapesInFlight: "dataarts_exporter_scrapes_in_flight",
  webConfigReloadSuccessful: "dataarts_exporter_web_config_last_reload_successful",
  webConfigReloadTimestamp: "dataarts_exporter_web_config_last_reload_success_timestamp_seconds",
} as const;
const F = SELF_METRIC_FAMILIES;

/** Codes counted from the start, so that rate() works from the first scrape (as promhttp does for 200, 500 and 503). */
const INITIAL_CODES = ["200", "401", "500"];

export interface WebConfigState {
  lastReloadSuccessful: boolean;
  lastReloadSuccessMs: number;
}

/** Counts scrapes of the metrics path, like Go exporters' promhttp_metric_handler_requests_total and _in_flight. */
export class ScrapeMetrics {
  private readonly byCode = new Map<string, number>(INITIAL_CODES.map((code) => [code, 0]));
  private scrapesInFlight = 0;

  constructor(private readonly webConfig?: () => WebConfigState) {}

  /** Scrapes begun and not yet ended. */
  get inFlight(): number {
    return this.scrapesInFlight;
  }

  /** Call when a scrape starts; call the returned function once, with its status code, when it ends (its response closes). */
  begin(): (status: number) => void {
    this.scrapesInFlight += 1;
    return (status) => {
      this.scrapesInFlight -= 1;
      const code = String(status);
      this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    };
  }

  render(): string {
    const families: Family[] = [
      {
        name: F.scrapes,
        type: "counter",
        help: "Scrapes of the metrics path by HTTP status code.",
        // Codes are three ASCII digits: a plain comparison, not localeCompare, whose ICU collator costs ~3 MB resident.
        samples: [...this.byCode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([code, value]) => ({ labels: [["code", code]], value })),
      },
      // A body may be built between scrapes, for the next one (docs/performance.md), and is only
      // ever read by a scrape in flight: that one counts, as in promhttp's gauge.
      { name: F.scrapesInFlight, type: "gauge", help: "Scrapes of the metrics path being served.", samples: [{ labels: [], value: Math.max(1, this.scrapesInFlight) }] },
    ];
    const web = this.webConfig?.();
    if (web) {
      families.push(
        { name: F.webConfigReloadSuccessful, type: "gauge", help: "Whether the last reading of --web.config.file succeeded (a bad one keeps the last good).", samples: [{ labels: [], value: web.lastReloadSuccessful ? 1 : 0 }] },
        { name: F.webConfigReloadTimestamp, type: "gauge", help: "Time --web.config.file was last read successfully.", samples: [{ labels: [], value: web.lastReloadSuccessMs / 1000 }] },
      );
    }
    return families.map(renderFamily).join("");
  }
}
