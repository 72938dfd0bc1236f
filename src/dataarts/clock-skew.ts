/** The service's clock against ours, read from each answer's `Date` header; pure. */

/** The API gateway refuses an `X-Sdk-Date` further off than this. */
export const SIGNATURE_WINDOW_SECONDS = 15 * 60;

/**
 * Service time minus local time, in seconds, or undefined without a readable `Date`.
 * `Date` has whole seconds (truncated), so the service's time is taken as its middle;
 * ours is the middle of the exchange.
 */
export function clockSkewSeconds(dateHeader: string | undefined, startedMs: number, endedMs: number): number | undefined {
  if (!dateHeader) return undefined;
  const serviceMs = Date.parse(dateHeader);
  if (!Number.isFinite(serviceMs)) return undefined;
  return Math.round(serviceMs + 500 - (startedMs + endedMs) / 2) / 1000;
}

/** `20m5s` for 1205.2 (sign dropped). */
export function formatSkew(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${rest}s`;
}

/** "the local clock is 20m5s behind the service's" (positive skew: the service is ahead). */
export function describeSkew(seconds: number): string {
  return `the local clock is ${formatSkew(seconds)} ${seconds > 0 ? "behind" : "ahead of"} the service's`;
}
