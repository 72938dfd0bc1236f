/** The demo: the built-in simulator on a free loopback port and a config that polls it. */
import type { Config } from "./config/config";
import { DEFAULTS } from "./config/config";
import { RunningSimulator, SIM_CREDENTIALS, scenarioByName, startSimulator } from "./simulator";

/** How often the demo's packages move, and how often the exporter polls them: fast enough to watch. */
export const DEMO_TICK_MS = 3_000;
export const DEMO_INTERVAL_MS = 5_000;

export interface Demo {
  simulator: RunningSimulator;
  config: Config;
  stop(): Promise<void>;
}

/** Starts the simulator's `demo` scenario on loopback and a config that polls it with AK/SK signing. */
export async function startDemo(): Promise<Demo> {
  const scenario = scenarioByName("demo");
  const simulator = await startSimulator({ scenario, port: 0, host: "127.0.0.1" });
  const timer = setInterval(() => simulator.control.tick(), DEMO_TICK_MS);
  timer.unref();
  const config: Config = {
    polling: { ...pollingDefaults(), intervalMs: DEMO_INTERVAL_MS, timeoutMs: 2_000 },
    metrics: { packageSeriesLimit: 50, staleAfterMs: DEFAULTS.staleAfterMs, catchUpLimitMs: DEFAULTS.catchUpLimitMs },
    projects: scenario.projects.map((p) => ({
      projectId: p.projectId,
      region: "demo-1",
      endpoint: simulator.url,
      auth: { type: "aksk", accessKey: SIM_CREDENTIALS.accessKey, secretKey: SIM_CREDENTIALS.secretKey },
      workspaces: p.workspaces.map((w) => ({ id: w.id, name: w.name, intervalMs: DEMO_INTERVAL_MS })),
    })),
  };
  return {
    simulator,
    config,
    stop: async () => {
      clearInterval(timer);
      await simulator.close();
    },
  };
}

function pollingDefaults(): Config["polling"] {
  return {
    intervalMs: DEFAULTS.intervalMs,
    timeoutMs: DEFAULTS.timeoutMs,
    concurrency: DEFAULTS.concurrency,
    pagination: DEFAULTS.pagination,
  };
}
