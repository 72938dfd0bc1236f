import { Clock } from "../../src/clock";

/** A clock that only moves when told to; `sleep` records the wait and moves time at once. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(public t = Date.UTC(2026, 10, 29, 12, 0, 0)) {}

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
    return Promise.resolve();
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
