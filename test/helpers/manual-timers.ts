import { Timers } from "../../src/polling/scheduler";

/** Timers fired by hand: `pending()` lists what is planned, `fireAll()` runs it. */
export class ManualTimers implements Timers {
  planned: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  setTimeout(fn: () => void, ms: number) {
    const t = { fn, ms, cleared: false };
    this.planned.push(t);
    return t;
  }
  clearTimeout(handle: unknown) {
    if (handle) (handle as { cleared: boolean }).cleared = true;
  }
  pending() {
    return this.planned.filter((t) => !t.cleared);
  }
  fireAll() {
    const now = this.pending();
    this.planned = [];
    now.forEach((t) => t.fn());
  }
}

/** Lets pending promise and I/O callbacks run. */
export const flush = () => new Promise((r) => setImmediate(r));
