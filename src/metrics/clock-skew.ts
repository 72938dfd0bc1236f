/** `dataarts_api_clock_skew_seconds{project_id}`: the service's clock minus ours, from the last answer's `Date`. */
import { METRIC_FAMILIES } from "./families";
import { renderFamily } from "./exposition";

export class ClockSkewMetrics {
  private readonly skew = new Map<string, number>();

  observe(projectId: string, seconds: number): void {
    this.skew.set(projectId, seconds);
  }

  /** Drops projects no longer configured. */
  retain(projectIds: ReadonlySet<string>): void {
    for (const id of this.skew.keys()) if (!projectIds.has(id)) this.skew.delete(id);
  }

  render(): string {
    return renderFamily({
      name: METRIC_FAMILIES.apiClockSkew,
      type: "gauge",
      help: "The DataArts service's clock minus the exporter's, from the Date header of the last answer (signatures are refused past 15 minutes).",
      samples: [...this.skew].map(([projectId, value]) => ({ labels: [["project_id", projectId]], value })),
    });
  }
}
