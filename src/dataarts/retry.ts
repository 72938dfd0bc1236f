/** Retries with exponential backoff and full jitter, honouring Retry-After, within a time budget. */
import { ApiError, ErrorReason } from "./api-error";
import { Clock } from "../clock";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once this much time has passed since the first attempt. */
  maxTotalMs: number;
  /** Longest `Retry-After` we honour; a longer one ends the retries. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxTotalMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Not `timeout`: a service that hung once most likely hangs again, and the wait would hold a request slot. */
const RETRYABLE: ReadonlySet<ErrorReason> = new Set(["throttled", "server", "network"]);

function isRetryable(err: unknown): err is ApiError {
  return err instanceof ApiError && RETRYABLE.has(err.reason);
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; undefined when absent or
 * unreadable. A number is never read as a date (Date.parse takes "1.5" for 2001-01-05): a negative
 * one is ignored, a fractional one rounded up to whole seconds.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds < 0 ? undefined : Math.ceil(seconds) * 1000;
  }
  // An HTTP date starts with the day's name ("Thu, 15 Jan 2026 12:00:30 GMT").
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface RetryDeps {
  clock: Clock;
  random: () => number;
  policy: RetryPolicy;
  /** How long one more attempt may take: a retry that could end past the budget is not started. */
  attemptMs?: number;
}

/**
 * Runs `attempt` until it succeeds, fails with an error not worth retrying, or the
 * policy's attempts or time run out; the last error is then thrown as it came.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, deps: RetryDeps): Promise<T> {
  const { clock, policy, random } = deps;
  const started = clock.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!isRetryable(err) || n + 1 >= policy.maxAttempts) throw err;
      const delay = nextDelay(err, n, deps);
      if (delay === undefined || clock.now() - started + delay + (deps.attemptMs ?? 0) > policy.maxTotalMs) throw err;
      await clock.sleep(delay);
    }
  }
}

function nextDelay(err: ApiError, n: number, { policy, random }: RetryDeps): number | undefined {
  if (err.retryAfterSeconds !== undefined) {
    const ms = err.retryAfterSeconds * 1000;
    return ms > policy.maxRetryAfterMs ? undefined : ms;
  }
  return backoffDelay(n, policy, random);
}
