/**
 * Benchmarks: API requests and time per poll as a workspace grows, and the cost of a
 * scrape served from memory. Prints a table; numbers go into docs/performance.md by hand.
 *   npm run bench
 *   npm run bench -- fleet --workspaces 1000            (see bench/fleet.ts)
 *   npm run bench -- fleet --shards 4 --workspaces 10000
 */
import { performance } from "node:perf_hooks";
import { AkSkAuthenticator } from "../src/dataarts/auth";
import { DataArtsClient } from "../src/dataarts/client";
import { systemClock } from "../src/clock";
import { ReleasePackagePager } from "../src/dataarts/paging";
import { pollWorkspace } from "../src/polling/poller";
import { initialState, pollSucceeded, Snapshot, WorkspaceState } from "../src/polling/state";
import { nodeTransport } from "../src/dataarts/http-transport";
import { SIM_CREDENTIALS, generatePackages, startSimulator } from "../src/simulator";
import { ageChunks, polledChunks } from "../src/metrics/families";
import { ScrapeCache } from "../src/metrics/scrape-cache";
import { fleet, parseFleetArgs } from "./fleet";
import { StateStore } from "../src/polling/state-store";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";

const PROJECT = "0123456789abcdef0123456789abcdef";
const WS = "45be704b28cb4f25a39221169fd3e27e";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function pollCost(n: number) {
  const share = (f: number) => Math.max(1, Math.round(n * f));
  const packages = generatePackages({
    projectId: PROJECT,
    workspaceId: WS,
    counts: { pending_review: share(0.1), succeeded: share(0.7), failed: share(0.1), releasing: share(0.1) },
    now: Date.now(),
    seed: 1,
  });
  const sim = await startSimulator({ scenario: { projects: [{ projectId: PROJECT, workspaces: [{ id: WS, name: "bench", packages }] }] }, port: 0 });
  const client = new DataArtsClient({
    projectId: PROJECT,
    endpoint: sim.url,
    auth: new AkSkAuthenticator(SIM_CREDENTIALS, PROJECT, systemClock),
    transport: nodeTransport(),
    clock: systemClock,
    timeoutMs: 10_000,
  });
  const pager = new ReleasePackagePager(client, "auto");
  let state = initialState({ projectId: PROJECT, workspaceId: WS, name: "bench", region: "bench" });
  const requests: number[] = [];
  const durations: number[] = [];
  for (let i = 0; i < 6; i++) {
    sim.control.resetCounts();
    const started = performance.now();
    const snapshot = await pollWorkspace({ client, pager, workspaceId: WS, packageSeriesLimit: 0, now: Date.now(), previous: state.previous });
    durations.push(performance.now() - started);
    state = pollSucceeded(state, snapshot, { startedMs: Date.now(), endedMs: Date.now() });
    requests.push(sim.control.requestCounts()[`${PROJECT}/${WS}`] ?? 0);
  }
  await sim.close();
  return { n: packages.length, firstPollRequests: requests[0]!, steadyRequests: Math.max(...requests.slice(1)), pollMs: median(durations.slice(1)) };
}

function fakeStates(workspaces: number, seriesPerWorkspace: number): WorkspaceState[] {
  const now = Date.now();
  return Array.from({ length: workspaces }, (_, i) => {
    const snapshot: Snapshot = {
      data: {
        counts: { pending_review: seriesPerWorkspace, succeeded: 1000 + i, failed: 12, releasing: 3 },
        oldestPendingApplyMs: now - 86_400_000,
        oldestReleasingStartMs: now - 600_000,
        lastFailureMs: now - 3_600_000,
        pending: Array.from({ length: seriesPerWorkspace }, (_, j) => ({
          id: `${i}-${j}`,
          name: `ods_order_detail_${j}_20261129120000`,
          applicant: "zhang_wei_z00412873",
          applyMs: now - j * 60_000,
        })),
      },
      recentReleases: [],
      retainFromMs: now,
      releasing: [],
    };
    const key = { projectId: PROJECT, workspaceId: `ws${String(i).padStart(30, "0")}`, name: `workspace-${i}`, region: "cn-north-4" };
    return pollSucceeded(initialState(key), snapshot, { startedMs: now, endedMs: now });
  });
}

async function scrapeCost(workspaces: number, series: number) {
  const states = fakeStates(workspaces, series);
  const info = { version: "bench", revision: "bench", branch: "bench", platform: "bench", nodejsVersion: process.version, reloadSuccessful: true, lastReloadSuccessMs: Date.now(), shard: { ordinal: 0, total: 1 } };
  const cache = new ScrapeCache({
    clock: systemClock,
    render: function* (_variant, nowMs) {
      yield* polledChunks(states, info);
      yield* ageChunks(states, nowMs);
    },
  });
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const first = await cache.bytes("text", "identity");
  const renderMs = performance.now() - started;
  const rounds = 200;
  started = performance.now();
  for (let i = 0; i < rounds; i++) await cache.bytes("text", "identity");
  const cachedMs = (performance.now() - started) / rounds;
  started = performance.now();
  let gz: Buffer = Buffer.alloc(0);
  for (let i = 0; i < rounds; i++) gz = await cache.bytes("text", "gzip");
  const gzipMs = (performance.now() - started) / rounds;
  return {
    workspaces,
    series,
    bytes: first.length,
    gzipBytes: gz.length,
    firstRenderMs: renderMs,
    cachedScrapeMs: cachedMs,
    cachedGzipScrapeMs: gzipMs,
    heapMiB: (gc(), (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20),
  };
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === "fleet") return fleet(parseFleetArgs(rest));
  if (mode !== undefined) throw new Error(`unknown bench mode "${mode}" (try: fleet)`);
  console.log("Requests and time per poll (one workspace, simulator on loopback)");
  console.table(await Promise.all([10, 10_000, 100_000].map((n) => pollCost(n))).then((rows) => rows.map(round)));
  console.log("Scrape cost (a body built at most once per second and per change; scrapes in between send bytes)");
  const scrapes = [];
  for (const [w, s] of [[10, 0], [100, 0], [1000, 0], [100, 200]] as const) scrapes.push(round(await scrapeCost(w, s)));
  console.table(scrapes);
  console.log("State file (--storage.path): size and time of one crash-safe write (temp file, fsync, rename, fsync dir)");
  console.table([10, 100, 1000].flatMap((w) => [0, 50].map((seen) => round(stateFileCost(w, seen)))));
}

/** `seen` releases counted in each workspace's current window: what a busy workspace keeps between polls. */
function stateFileCost(workspaces: number, seen: number) {
  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "dataarts-bench-state-"));
  const live = new Map(
    fakeStates(workspaces, 0).map((state, i) => {
      const ids = Array.from({ length: seen }, (_, j) => [`succeeded:${String(9_000_000 + i * 1000 + j)}@${now - j * 60_000}`, now - j * 60_000] as const);
      const releasing = Array.from({ length: 3 }, (_, j) => ({ id: String(8_000_000 + j), startMs: now - j * 60_000 }));
      return [`p/${i}`, { ...state, tracker: { baselined: true, seen: new Map(ids) }, previous: { startedMs: now, releasing } }] as const;
    }),
  );
  const store = new StateStore({ dir, shard: { ordinal: 0, total: 1 }, logger: pino({ level: "silent" }), now: () => Date.now() });
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const started = performance.now();
    store.save(() => live, 600_000, 0, true);
    times.push(performance.now() - started);
  }
  const bytes = statSync(store.path).size;
  rmSync(dir, { recursive: true, force: true });
  return { workspaces, seenPerWorkspace: seen, bytes, bytesPerWorkspace: bytes / workspaces, writeMs: median(times) };
}

function round<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(2)) : v])) as T;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
