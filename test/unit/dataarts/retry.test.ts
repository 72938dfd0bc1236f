import { ApiError } from "../../../src/dataarts/api-error";
import { DEFAULT_RETRY, backoffDelay, parseRetryAfter, withRetry } from "../../../src/dataarts/retry";
import { FakeClock } from "../../helpers/fake-clock";

const policy = { ...DEFAULT_RETRY, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 10_000 };

function failing(errors: ApiError[], then = "ok") {
  let calls = 0;
  const fn = async () => {
    const err = errors[calls++];
    if (err) throw err;
    return then;
  };
  return { fn, calls: () => calls };
}

describe("retries", () => {
  it("backs off exponentially with full jitter, capped", () => {
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(2, policy, () => 0)).toBe(0);
  });

  it("retries 429, 5xx and network errors, then succeeds", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failing([
      new ApiError("server", "502"),
      new ApiError("network", "reset"),
      new ApiError("throttled", "429"),
    ]);
    await expect(withRetry(fn, { clock, policy, random: () => 0.5 })).resolves.toBe("ok");
    expect(calls()).toBe(4);
    expect(clock.sleeps).toEqual([50, 100, 200]);
  });

  it.each(["client", "auth", "invalid_response", "timeout"] as const)("does not retry a %s error", async (reason) => {
    const clock = new FakeClock();
    const { fn, calls } = failing([new ApiError(reason, "no")]);
    await expect(withRetry(fn, { clock, policy, random: () => 0.5 })).rejects.toMatchObject({ reason });
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("gives up after the last attempt with the last error", async () => {
    const clock = new FakeClock();
    const errors = [1, 2, 3, 4, 5].map((n) => new ApiError("server", `attempt ${n}`));
    const { fn, calls } = failing(errors);
    await expect(withRetry(fn, { clock, policy, random: () => 0.5 })).rejects.toThrow("attempt 4");
    expect(calls()).toBe(4);
  });

  it("honours Retry-After instead of its own backoff", async () => {
    const clock = new FakeClock();
    const { fn } = failing([new ApiError("throttled", "429", { retryAfterSeconds: 3 })]);
    await withRetry(fn, { clock, policy, random: () => 0.5 });
    expect(clock.sleeps).toEqual([3_000]);
  });

  it("stops instead of waiting for a Retry-After longer than its cap", async () => {
    const clock = new FakeClock();
    const { fn, calls } = failing([new ApiError("throttled", "429", { retryAfterSeconds: 3_600 })]);
    await expect(withRetry(fn, { clock, policy, random: () => 0.5 })).rejects.toMatchObject({ reason: "throttled" });
    expect(calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("starts no retry that could end past the total time budget", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const slow = async () => {
      calls++;
      clock.advance(4_000);
      throw new ApiError("server", "slow 503");
    };
    // After 8.05s a third attempt would start in budget, but could take 4s more: not started.
    await expect(withRetry(slow, { clock, policy, random: () => 0.5, attemptMs: 4_000 })).rejects.toMatchObject({ reason: "server" });
    expect(calls).toBe(2);
  });

  it("reads Retry-After as seconds or as an HTTP date, and ignores nonsense", () => {
    const now = Date.parse("Sun, 29 Nov 2026 12:00:00 GMT");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 29 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
