import { MAX_DURATION_MS, MAX_DURATION_TEXT, MAX_TIMER_MS, formatDuration, parseDuration } from "../../../src/config/duration";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["2w", 1_209_600_000],
    ["1y", 31_536_000_000],
    ["1m30s", 90_000],
    ["1h0m5s", 3_605_000],
    ["1s500ms", 1_500],
    ["0s1ms", 1],
  ])("reads %s as %d milliseconds", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["an empty string", ""],
    ["a bare number", "60"],
    ["an unknown unit", "5x"],
    ["units smallest first", "30s1m"],
    ["a repeated unit", "1m1m"],
    ["a fraction", "1.5s"],
    ["a negative number", "-5s"],
    ["surrounding spaces", " 5s "],
    ["an upper-case unit", "5S"],
    ["a Go-style unit", "5us"],
  ])("rejects %s", (_what, text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("rejects zero, which cannot be an interval or timeout", () => {
    expect(parseDuration("0s")).toBeUndefined();
    expect(parseDuration("0ms")).toBeUndefined();
  });

  it("rejects a duration too large to count exactly in milliseconds", () => {
    expect(parseDuration("9999999999999999y")).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it("writes the shortest Prometheus-style form, which parseDuration reads back", () => {
    for (const ms of [1, 500, 1_000, 90_000, 3_605_000, 86_400_000, 31_536_000_000 + 1]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(60_000)).toBe("1m");
  });
});

describe("the longest duration", () => {
  it("is the whole days a Node.js timer can hold, and the scheduler caps its timers at the same bound", () => {
    expect(MAX_DURATION_MS).toBe(24 * 86_400_000);
    expect(MAX_DURATION_TEXT).toBe("24d");
    expect(MAX_DURATION_MS).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(MAX_DURATION_MS + 86_400_000).toBeGreaterThan(MAX_TIMER_MS);
  });
});
