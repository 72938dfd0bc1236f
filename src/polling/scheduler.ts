/** Runs polls and discoveries each on its own interval: jittered first runs, never overlapping themselves. */
import { MAX_TIMER_MS } from "../config/duration";

/** Timers as the scheduler sees them; injected so tests fire them by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Job {
  id: string;
  intervalMs: number;
  /** When to run first; by default a random point in the first interval. */
  firstDelayMs?: number;
  run: () => Promise<void>;
}

interface Entry {
  job: Job;
  handle?: unknown;
  running: boolean;
}

/**
 * Runs each job on its own interval, the first run jittered across the interval so
 * that many workspaces do not all poll at once. A job never overlaps itself: the
 * next run is planned when the current one ends.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(
    private readonly timers: Timers,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** Makes `jobs` the running set: new ones start, gone ones stop, kept ones keep their rhythm. */
  set(jobs: Job[]): void {
    const wanted = new Map(jobs.map((j) => [j.id, j]));
    for (const [id, entry] of this.entries) {
      if (!wanted.has(id)) {
        this.timers.clearTimeout(entry.handle);
        this.entries.delete(id);
      }
    }
    for (const job of jobs) {
      const entry = this.entries.get(job.id);
      if (entry) entry.job = job;
      else this.start(job);
    }
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.entries.values()) this.timers.clearTimeout(entry.handle);
    this.entries.clear();
  }

  private start(job: Job): void {
    const entry: Entry = { job, running: false };
    this.entries.set(job.id, entry);
    this.plan(entry, job.firstDelayMs ?? Math.floor(this.random() * job.intervalMs));
  }

  private plan(entry: Entry, delayMs: number): void {
    // Node fires a longer timer at once; config refuses such intervals, this is the backstop.
    entry.handle = this.timers.setTimeout(() => void this.fire(entry), Math.min(delayMs, MAX_TIMER_MS));
  }

  private async fire(entry: Entry): Promise<void> {
    if (this.stopped || this.entries.get(entry.job.id) !== entry || entry.running) return;
    entry.running = true;
    const started = this.now();
    try {
      await entry.job.run();
    } catch {
      // Jobs report their own failures; a throw must not stop the rhythm.
    } finally {
      entry.running = false;
    }
    if (this.stopped || this.entries.get(entry.job.id) !== entry) return;
    const elapsed = this.now() - started;
    this.plan(entry, Math.max(0, entry.job.intervalMs - elapsed));
  }
}
