/** Durations as Prometheus writes them (`1h30m`, `500ms`), and the longest one a timer can hold. */
// Unit-suffixed numbers, largest unit first, each unit at most once. A bare number is
// refused, as in Prometheus, because "60" could mean seconds or milliseconds.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["y", 365 * 24 * 3600_000],
  ["w", 7 * 24 * 3600_000],
  ["d", 24 * 3600_000],
  ["h", 3600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];

/** The longest wait a Node.js timer can hold (about 24.8 days); Node fires a longer one at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const DAY_MS = 24 * 3600_000;
const MAX_DAYS = Math.floor(MAX_TIMER_MS / DAY_MS);
/** The longest duration config accepts: the whole days a timer can hold (24d). */
export const MAX_DURATION_MS = MAX_DAYS * DAY_MS;
/** Written in days, as people count them, rather than formatDuration's 3w3d. */
export const MAX_DURATION_TEXT = `${MAX_DAYS}d`;

// One optional group per unit, in UNITS order, so units must come largest first.
const PATTERN = new RegExp(`^${UNITS.map(([u]) => `(?:(\\d+)${u})?`).join("")}$`);

/** Milliseconds, or undefined when `s` is not a duration. Zero is a valid result here. */
export function durationMs(s: string): number | undefined {
  const match = s === "" ? null : PATTERN.exec(s);
  if (!match) return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const n = match[i + 1];
    if (n !== undefined) total += Number(n) * ms;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Milliseconds of a Prometheus-style duration; undefined when invalid or zero. */
export function parseDuration(s: string): number | undefined {
  const ms = durationMs(s);
  return ms === 0 ? undefined : ms;
}

/** The shortest Prometheus-style spelling of `ms` (90000 -> "1m30s"), for messages and logs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
