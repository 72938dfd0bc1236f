/** Time as the exporter sees it; injected everywhere so that tests never wait on the wall clock. */
export interface Clock {
  /** Unix milliseconds. */
  now(): number;
  /** Resolves after `ms`; fake clocks resolve at once or when advanced. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};
