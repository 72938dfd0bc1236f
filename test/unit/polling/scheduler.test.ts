import { MAX_TIMER_MS } from "../../../src/config/duration";
import { Scheduler } from "../../../src/polling/scheduler";
import { Limiter } from "../../../src/polling/limiter";
import { ManualTimers, flush } from "../../helpers/manual-timers";


describe("the scheduler", () => {
  it("spreads first runs across the interval and plans the next run an interval after the start", async () => {
    const timers = new ManualTimers();
    let now = 0;
    const scheduler = new Scheduler(timers, () => now, () => 0.25);
    const runs: string[] = [];
    scheduler.set([{ id: "a", intervalMs: 60_000, run: async () => void runs.push("a") }]);
    expect(timers.pending().map((t) => t.ms)).toEqual([15_000]);
    timers.fireAll();
    now = 2_000;
    await flush();
    expect(runs).toEqual(["a"]);
    expect(timers.pending().map((t) => t.ms)).toEqual([58_000]);
  });

  it("runs a job with a first delay at once", () => {
    const timers = new ManualTimers();
    new Scheduler(timers, () => 0, () => 0.9).set([{ id: "d", intervalMs: 600_000, firstDelayMs: 0, run: async () => {} }]);
    expect(timers.pending().map((t) => t.ms)).toEqual([0]);
  });

  it("never runs a job twice at once: the next run is planned only when the current one ends", async () => {
    const timers = new ManualTimers();
    let release!: () => void;
    let running = 0;
    let maxRunning = 0;
    const scheduler = new Scheduler(timers, () => 0, () => 0);
    scheduler.set([
      {
        id: "slow",
        intervalMs: 1_000,
        run: () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          return new Promise<void>((r) => (release = () => (running--, r())));
        },
      },
    ]);
    timers.fireAll();
    await flush();
    expect(timers.pending()).toHaveLength(0);
    release();
    await flush();
    expect(timers.pending()).toHaveLength(1);
    expect(maxRunning).toBe(1);
  });

  it("keeps its rhythm after a job throws", async () => {
    const timers = new ManualTimers();
    const scheduler = new Scheduler(timers, () => 0, () => 0);
    scheduler.set([{ id: "bad", intervalMs: 1_000, run: async () => Promise.reject(new Error("boom")) }]);
    timers.fireAll();
    await flush();
    expect(timers.pending().map((t) => t.ms)).toEqual([1_000]);
  });

  it("stops removed jobs, starts new ones and leaves kept ones alone", () => {
    const timers = new ManualTimers();
    const scheduler = new Scheduler(timers, () => 0, () => 0.5);
    const job = (id: string) => ({ id, intervalMs: 1_000, run: async () => {} });
    scheduler.set([job("a"), job("b")]);
    const [a, b] = timers.pending();
    scheduler.set([job("a"), job("c")]);
    expect(b!.cleared).toBe(true);
    expect(a!.cleared).toBe(false);
    expect(scheduler.ids()).toEqual(["a", "c"]);
    scheduler.stop();
    expect(timers.pending()).toHaveLength(0);
  });
});

describe("the in-flight limit", () => {
  it("runs at most max tasks at once and the rest in arrival order", async () => {
    const limiter = new Limiter(2);
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const task = (n: number) => limiter.run(() => new Promise<void>((r) => gates.push(() => (order.push(n), r()))));
    const all = Promise.all([task(1), task(2), task(3), task(4)]);
    await flush();
    expect(limiter.inFlight).toBe(2);
    expect(gates).toHaveLength(2);
    gates.shift()!();
    await flush();
    expect(gates).toHaveLength(2);
    while (gates.length) {
      gates.shift()!();
      await flush();
    }
    await all;
    expect(order).toEqual([1, 2, 3, 4]);
    expect(limiter.inFlight).toBe(0);
  });

  it("frees its slot when a task fails", async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    await expect(limiter.run(async () => "next")).resolves.toBe("next");
  });
});

describe("the scheduler's timer cap", () => {
  it("never asks Node for a timer longer than it can hold, which would fire at once", () => {
    const timers = new ManualTimers();
    new Scheduler(timers, () => 0, () => 0.99).set([{ id: "far", intervalMs: 10 * MAX_TIMER_MS, run: async () => {} }]);
    expect(timers.pending().map((t) => t.ms)).toEqual([MAX_TIMER_MS]);
  });
});
