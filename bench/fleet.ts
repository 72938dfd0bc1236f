/**
 * The fleet benchmark: real exporter processes polling N workspaces, found by discovery,
 * from the simulator in another process; /metrics throughput beside references in the same run.
 *   npm run bench -- fleet [--workspaces 1000] [--shards 1] [--interval 30] [--wrk-seconds 10] [--minutes 0] [--scrape-seconds 0] [--openmetrics] [--loop-hold] [--package-series] [--node-flags "--max-semi-space-size=1"] [--node-env "MALLOC_MMAP_THRESHOLD_=131072"]
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { cliLaunch, envOf } from "./cli-launch";
import { SIM_CREDENTIALS } from "../src/simulator/auth";
import { hexId } from "../src/simulator/random";

const DIST = resolve(__dirname, "..", "src");
const BENCH = __dirname;
const CLK_TCK = 100;
/** How often the time to the first complete /metrics is checked (its resolution). */
const FIRST_COMPLETE_CHECK_MS = 5_000;
const PAGE_SIZE = 4096;

export interface FleetOptions {
  workspaces: number;
  shards: number;
  intervalSeconds: number;
  wrkSeconds: number;
  /** RSS over time: sample every 30 s for this many minutes (0: off). */
  minutes: number;
  packageSeries: boolean;
  /** Seconds between scrapes of each exporter during the steady window, as Prometheus's scrape_interval; 0: none. */
  scrapeSeconds: number;
  /** Preload bench/loop-hold.ts into the exporters and print the longest hold of their event loop in the steady window (its 1 ms interval costs a little CPU). */
  loopHold: boolean;
  /** Scrape as Prometheus does (it asks for OpenMetrics first) instead of for the text format, as curl does. */
  openMetrics: boolean;
  /** Node.js flags for the exporters: by default those of the CLI's first line, as the npm command and the image run it. */
  nodeFlags: string[];
  /** Environment for the exporters on top of the bench's own: by default that of the CLI's first line. */
  nodeEnv: Record<string, string>;
}

export function parseFleetArgs(argv: string[]): FleetOptions {
  const opts: FleetOptions = { workspaces: 1000, shards: 1, intervalSeconds: 30, wrkSeconds: 10, minutes: 0, scrapeSeconds: 0, loopHold: false, packageSeries: false, openMetrics: false, ...cliLaunch(resolve(__dirname, "..", "..")) };
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i]!.indexOf("=");
    const [flag, inline] = eq > 0 ? [argv[i]!.slice(0, eq), argv[i]!.slice(eq + 1)] : [argv[i]!, undefined];
    const value = () => Number(inline ?? argv[++i]);
    switch (flag) {
      case "--workspaces": opts.workspaces = value(); break;
      case "--shards": opts.shards = value(); break;
      case "--interval": opts.intervalSeconds = value(); break;
      case "--wrk-seconds": opts.wrkSeconds = value(); break;
      case "--minutes": opts.minutes = value(); break;
      case "--scrape-seconds": opts.scrapeSeconds = value(); break;
      case "--package-series": opts.packageSeries = true; break;
      case "--openmetrics": opts.openMetrics = true; break;
      case "--loop-hold": opts.loopHold = true; break;
      case "--node-flags": opts.nodeFlags = (inline ?? argv[++i] ?? "").split(" ").filter(Boolean); break;
      case "--node-env": opts.nodeEnv = envOf((inline ?? argv[++i] ?? "").split(" ").filter(Boolean)); break;
      default: throw new Error(`fleet: unknown flag ${argv[i]}`);
    }
  }
  for (const [k, v] of Object.entries(opts)) if (typeof v === "number" && !(v >= 0)) throw new Error(`fleet: --${k} must be a number`);
  return opts;
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

function start(command: string, args: string[], ready: (out: string) => boolean, what: string, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const proc: Proc = {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(3000).then(() => child.kill("SIGKILL"))]);
    },
  };
  return new Promise((res, rej) => {
    const timer = setInterval(() => {
      if (ready(out)) {
        clearInterval(timer);
        res(proc);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        rej(new Error(`${what} exited: ${out.slice(-2000)}`));
      }
    }, 50);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** utime and stime of a process (all its threads), in seconds. */
function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

function rssMiB(pid: number): number {
  const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
  return (pages * PAGE_SIZE) / 2 ** 20;
}

/** What Prometheus 2.42 sends in `Accept` when it scrapes. */
const PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/** The headers of the bench's scrapes: always gzip, as every scraper asks; OpenMetrics first when told to, as Prometheus asks. */
function scrapeHeaders(opts: FleetOptions): Record<string, string> {
  return { "Accept-Encoding": "gzip", ...(opts.openMetrics ? { Accept: PROMETHEUS_ACCEPT } : {}) };
}

/** The raw body (fetch would gunzip it). */
function get(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  return new Promise((res, rej) => {
    const req = request(url, { headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => res(Buffer.concat(chunks)));
      r.on("error", rej);
    });
    req.on("error", rej);
    req.end();
  });
}

/** One line per sample, as written: `name{labels} value`. */
function samples(text: string, name: string): Array<{ line: string; value: number }> {
  const out: Array<{ line: string; value: number }> = [];
  let at = text.indexOf(`\n${name}{`);
  while (at >= 0) {
    const end = text.indexOf("\n", at + 1);
    const line = text.slice(at + 1, end);
    out.push({ line, value: Number(line.slice(line.lastIndexOf(" ") + 1)) });
    at = text.indexOf(`\n${name}{`, end);
  }
  return out;
}

const workspaceIdOf = (line: string) => /workspace_id="([^"]*)"/.exec(line)?.[1] ?? "";
const gauge = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);

interface Exporter extends Proc {
  url: string;
  pid: number;
  shard: number;
}

/**
 * CPU per API request of the reference (bench/bare-client.ts): the same requests at the same pace for these
 * workspaces, with the exporters' Node.js flags and environment, after a warm-up of 10 s.
 */
function bareClientCpuMs(dir: string, simUrl: string, workspaces: Set<string>, opts: FleetOptions): Promise<number> {
  const ids = join(dir, "bare-client-workspaces.txt");
  writeFileSync(ids, [...workspaces].join("\n"));
  const args = [...opts.nodeFlags, join(BENCH, "bare-client.js"), simUrl, hexId("project:fleet"), ids, String(opts.intervalSeconds), "10", String(opts.intervalSeconds)];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...opts.nodeEnv } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return rej(new Error(`bare client exited ${code}: ${out.slice(-2000)}`));
      const { requests, cpuMs } = JSON.parse(out) as { requests: number; cpuMs: number };
      res(cpuMs / requests);
    });
  });
}

async function startExporter(dir: string, shard: number, opts: FleetOptions, simUrl: string): Promise<Exporter> {
  const projectId = hexId("project:fleet");
  const config = join(dir, `config-${shard}.yml`);
  writeFileSync(
    config,
    [
      "polling:",
      `  interval: ${opts.intervalSeconds}s`,
      `  timeout: ${Math.min(10_000, opts.intervalSeconds * 500)}ms`,
      "metrics:",
      `  package_series: ${opts.packageSeries}`,
      "projects:",
      `  - project_id: ${projectId}`,
      "    region: bench-1",
      `    endpoint: ${simUrl}`,
      `    auth: {type: aksk, access_key: ${SIM_CREDENTIALS.accessKey}, secret_key: ${SIM_CREDENTIALS.secretKey}}`,
      `    discover: {instance_id: ${hexId("instance:fleet")}}`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const probe = opts.loopHold ? ["-r", join(BENCH, "loop-hold.js")] : [];
  const args = [...opts.nodeFlags, ...probe, join(DIST, "cli.js"), `--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"];
  if (opts.shards > 1) args.push(`--shard=${shard}`, `--total-shards=${opts.shards}`);
  const proc = await start(process.execPath, args, () => true, `exporter ${shard}`, opts.nodeEnv);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && proc.child.exitCode === null; i++) {
    if (await get(`${url}/-/healthy`).then(() => true, () => false)) return { ...proc, url, pid: proc.child.pid!, shard };
    await sleep(50);
  }
  await proc.stop();
  throw new Error(`exporter ${shard} did not start: ${proc.output().slice(-2000)}`);
}

interface ShardFigures {
  shard: number;
  workspaces: Set<string>;
  firstCompleteS: number;
  requestsPerWorkspacePoll: number;
  cpuMsPerRequest: number;
  /** The part of cpuMsPerRequest spent in the kernel (sockets), the rest is user time of all threads. */
  systemMsPerRequest: number;
  rssMiB: number;
  heapMiB: number;
  metricsMiB: number;
  /** The longest the event loop was held in the window (--loop-hold). */
  loopHoldMs?: number;
}

interface WrkResult {
  rps: number;
  p99Ms: number;
  /** CPU time of the server per request, when its pid is known. */
  cpuMsPerRequest?: number;
}

function wrk(url: string, seconds: number, headers: Record<string, string>, pid?: number): WrkResult {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const h = Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  const r = spawnSync("wrk", ["-t2", "-c64", `-d${seconds}s`, "--latency", ...h, url], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN);
  const m = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(r.stdout);
  const p99Ms = m ? Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]!]! : NaN;
  if (!Number.isFinite(rps)) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? NaN);
  return { rps, p99Ms, cpuMsPerRequest: pid ? ((cpuSeconds(pid) - cpu0) * 1000) / requests : undefined };
}

async function nginx(dir: string): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (spawnSync("nginx", ["-v"]).error) return undefined;
  const port = await freePort();
  const conf = join(dir, "nginx.conf");
  for (const d of ["tmp", "logs"]) mkdirSync(join(dir, d), { recursive: true });
  const t = join(dir, "tmp");
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? "user root;\n" : ""}worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\n` +
      "events { worker_connections 1024; }\n" +
      `http { access_log off; client_body_temp_path ${t}; proxy_temp_path ${t}; fastcgi_temp_path ${t}; uwsgi_temp_path ${t}; scgi_temp_path ${t};\n` +
      `  server { listen 127.0.0.1:${port}; location = /metrics { root ${dir}/www; gzip_static on; default_type "text/plain; version=0.0.4; charset=utf-8"; } } }\n`,
  );
  const proc = await start("nginx", ["-p", dir, "-c", conf, "-e", `${dir}/logs/error.log`], () => true, "nginx");
  const url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 100; i++) {
    if (await get(url).then(() => true, () => false)) return { url, stop: proc.stop };
    await sleep(50);
  }
  await proc.stop();
  return undefined;
}

/** The longest hold of each second so far that the exporter's preloaded probe (bench/loop-hold.ts) reported. */
function loopHolds(e: Exporter): number[] {
  return [...e.output().matchAll(/^bench-loop-hold-ms ([\d.]+)$/gm)].map((m) => Number(m[1]));
}

function slopeMiBPerHour(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return (sxy / sxx) * 3600;
}

const fixed = (v: number, d = 2) => (Number.isFinite(v) ? Number(v.toFixed(d)) : v);

export async function fleet(opts: FleetOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dataarts-fleet-"));
  chmodSync(dir, 0o755);
  const procs: Array<{ stop(): Promise<void> }> = [];
  const started = Date.now();
  try {
    console.log(`Fleet: ${opts.workspaces} workspaces by discovery, ${opts.shards} exporter(s), interval ${opts.intervalSeconds}s, per-package series ${opts.packageSeries ? "on" : "off"}, scrapes ask for ${opts.openMetrics ? "OpenMetrics first (as Prometheus)" : "the text format"}, steady window scraped ${opts.scrapeSeconds > 0 ? `every ${opts.scrapeSeconds}s` : "never"}, exporter node flags: ${opts.nodeFlags.join(" ") || "none"}, environment: ${Object.entries(opts.nodeEnv).map(([k, v]) => `${k}=${v}`).join(" ") || "none"}`);
    console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")} at start`);
    const sim = await start(
      process.execPath,
      [join(DIST, "simulator", "cli.js"), "--scenario=fleet", `--workspaces=${opts.workspaces}`, "--port=0"],
      (out) => /listening on http:\/\/\S+/.test(out) && out.includes("Control routes"),
      "simulator",
    );
    procs.push(sim);
    const simUrl = /listening on (http:\/\/\S+)/.exec(sim.output())![1]!;
    const launched = Date.now();
    const exporters: Exporter[] = [];
    for (let s = 0; s < opts.shards; s++) {
      const e = await startExporter(dir, s, opts, simUrl);
      exporters.push(e);
      procs.push(e);
    }

    // Time to the first complete /metrics: every workspace the shard polls is up, and the shards cover all of them.
    const firstComplete = new Map<number, number>();
    const sets = new Map<number, Set<string>>();
    const deadline = Date.now() + (opts.intervalSeconds * 3 + 120) * 1000;
    while (firstComplete.size < exporters.length && Date.now() < deadline) {
      for (const e of exporters) {
        if (firstComplete.has(e.shard)) continue;
        // As Prometheus scrapes: with gzip.
        const text = gunzipSync(await get(`${e.url}/metrics`, scrapeHeaders(opts))).toString();
        const up = samples(text, "dataarts_workspace_up");
        sets.set(e.shard, new Set(up.map((s) => workspaceIdOf(s.line))));
        const union = [...sets.values()].reduce((n, s) => n + s.size, 0);
        if (up.length > 0 && up.every((s) => s.value === 1) && (opts.shards > 1 || up.length === opts.workspaces) && union <= opts.workspaces) {
          firstComplete.set(e.shard, (Date.now() - launched) / 1000);
        }
      }
      // Every check is a scrape that builds a body while the first polls land: not more often than Prometheus would.
      await sleep(FIRST_COMPLETE_CHECK_MS);
    }
    if (firstComplete.size < exporters.length) throw new Error("the exporters did not complete a round of polls in time");

    // A steady window of one interval: API requests per workspace per poll, CPU per request, memory.
    await fetch(`${simUrl}/-/sim/counts/reset`, { method: "POST" });
    const cpuBefore = exporters.map((e) => cpuTimes(e.pid));
    const holdsBefore = exporters.map((e) => loopHolds(e).length);
    const windowStart = Date.now();
    const rssPeak = exporters.map(() => 0);
    let nextScrape = opts.scrapeSeconds > 0 ? windowStart : Infinity;
    while (Date.now() - windowStart < opts.intervalSeconds * 1000) {
      if (Date.now() >= nextScrape) {
        await Promise.all(exporters.map((e) => get(`${e.url}/metrics`, scrapeHeaders(opts))));
        nextScrape += opts.scrapeSeconds * 1000;
      }
      exporters.forEach((e, i) => (rssPeak[i] = Math.max(rssPeak[i]!, rssMiB(e.pid))));
      await sleep(1000);
    }
    const windowS = (Date.now() - windowStart) / 1000;
    const cpuAfter = exporters.map((e) => cpuTimes(e.pid));
    const counts = (await (await fetch(`${simUrl}/-/sim/counts`)).json()) as Record<string, number>;
    const figures: ShardFigures[] = [];
    for (const [i, e] of exporters.entries()) {
      const gz = await get(`${e.url}/metrics`, scrapeHeaders(opts));
      const text = gunzipSync(gz).toString();
      const mine = new Set(samples(text, "dataarts_workspace_info").map((s) => workspaceIdOf(s.line)));
      let requests = 0;
      for (const [key, n] of Object.entries(counts)) if (key.includes("/") && mine.has(key.slice(key.indexOf("/") + 1))) requests += n;
      const polls = (mine.size * windowS) / opts.intervalSeconds;
      figures.push({
        shard: e.shard,
        workspaces: mine,
        firstCompleteS: firstComplete.get(e.shard)!,
        requestsPerWorkspacePoll: requests / polls,
        cpuMsPerRequest: ((cpuAfter[i]!.user + cpuAfter[i]!.system - cpuBefore[i]!.user - cpuBefore[i]!.system) * 1000) / requests,
        systemMsPerRequest: ((cpuAfter[i]!.system - cpuBefore[i]!.system) * 1000) / requests,
        rssMiB: rssPeak[i]!,
        heapMiB: gauge(text, "nodejs_heap_size_used_bytes") / 2 ** 20,
        metricsMiB: text.length / 2 ** 20,
        loopHoldMs: opts.loopHold ? Math.max(...loopHolds(e).slice(holdsBefore[i])) : undefined,
      });
    }
    // The reference runs after the window, the exporters polling meanwhile (as they do under wrk).
    const bareMs = await bareClientCpuMs(dir, simUrl, figures[0]!.workspaces, opts);
    console.log(`\nPolling (steady window of ${windowS.toFixed(0)} s; CPU from /proc, requests from the simulator's counts)`);
    console.table(
      figures.map((f) => ({
        shard: f.shard,
        workspaces: f.workspaces.size,
        "first complete /metrics (s)": fixed(f.firstCompleteS, 1),
        "requests / workspace / poll": fixed(f.requestsPerWorkspacePoll),
        "CPU ms / API request": fixed(f.cpuMsPerRequest, 3),
        "of it system (kernel)": fixed(f.systemMsPerRequest, 3),
        "÷ bare client": fixed(f.cpuMsPerRequest / bareMs),
        "peak RSS (MiB)": fixed(f.rssMiB, 1),
        "heap used (MiB)": fixed(f.heapMiB, 1),
        "/metrics (MiB)": fixed(f.metricsMiB, 2),
        ...(f.loopHoldMs !== undefined && { "longest loop hold (ms)": fixed(f.loopHoldMs, 1) }),
      })),
    );
    console.log(`Reference, bare client (bench/bare-client.ts: the same five signed POSTs per workspace at the same pace for shard 0's ${figures[0]!.workspaces.size} workspaces, JSON.parse only): ${fixed(bareMs, 3)} ms CPU per API request`);
    if (opts.shards > 1) {
      const all = figures.flatMap((f) => [...f.workspaces]);
      const distinct = new Set(all);
      console.log(`Shards: ${all.length} workspaces in all, ${distinct.size} distinct of ${opts.workspaces}: ${distinct.size === all.length ? "disjoint" : "OVERLAPPING"} and ${distinct.size === opts.workspaces ? "complete" : "INCOMPLETE"}`);
    }

    if (opts.shards === 1 && opts.wrkSeconds > 0) await throughput(dir, exporters[0]!, opts.wrkSeconds, scrapeHeaders(opts));

    if (opts.minutes > 0) {
      console.log(`\nRSS over ${opts.minutes} min (every 30 s; each exporter scraped with gzip every 15 s, as Prometheus would)`);
      const points: Array<[number, number]> = [];
      const t0 = Date.now();
      while (Date.now() - t0 <= opts.minutes * 60_000) {
        const rss = exporters.reduce((a, e) => a + rssMiB(e.pid), 0) / exporters.length;
        points.push([(Date.now() - t0) / 1000, rss]);
        console.log(`  ${((Date.now() - t0) / 60_000).toFixed(1)} min  ${rss.toFixed(1)} MiB`);
        for (let half = 0; half < 2; half++) {
          await Promise.all(exporters.map((e) => get(`${e.url}/metrics`, scrapeHeaders(opts))));
          await sleep(15_000);
        }
      }
      const settled = points.slice(Math.floor(points.length / 2));
      console.log(`RSS slope: ${slopeMiBPerHour(points).toFixed(1)} MiB/hour over all ${points.length} samples, ${slopeMiBPerHour(settled).toFixed(1)} MiB/hour over the last ${settled.length} (least squares)`);
    }
    console.log(`\nLoad at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}; run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Load before each measured wrk run. */
const WARM_UP_SECONDS = 3;

/** /metrics with gzip at 64 connections: the exporter, a bare Koa app with the same bytes, nginx gzip_static. */
async function throughput(dir: string, exporter: Exporter, seconds: number, headers: Record<string, string>): Promise<void> {
  const url = `${exporter.url}/metrics`;
  const gz = await get(url, headers);
  mkdirSync(join(dir, "www"), { recursive: true });
  writeFileSync(join(dir, "www", "metrics"), gunzipSync(gz));
  writeFileSync(join(dir, "www", "metrics.gz"), gz);
  // Each server gets a first burst of load before the measured run, as wrk runs usually do:
  // its p99 is shown too, since the first seconds of load after a quiet spell are real.
  const loaded = (target: string, pid?: number) => ({ first: wrk(target, WARM_UP_SECONDS, headers), run: wrk(target, seconds, headers, pid) });
  const ours = loaded(url, exporter.pid);
  const koa = await start(process.execPath, [join(BENCH, "bare-koa.js"), join(dir, "www", "metrics"), join(dir, "www", "metrics.gz")], (o) => o.includes("listening"), "bare koa");
  const koaUrl = `http://127.0.0.1:${/listening (\d+)/.exec(koa.output())![1]}/metrics`;
  const bare = loaded(koaUrl, koa.child.pid);
  await koa.stop();
  const web = await nginx(dir);
  const ng = web ? loaded(web.url) : undefined;
  await web?.stop();
  console.log(`\n/metrics with gzip (${(gz.length / 1024).toFixed(0)} KiB), wrk -t2 -c64 -d${seconds}s after ${WARM_UP_SECONDS} s of the same load; exporter keeps polling meanwhile`);
  const row = (name: string, { first, run }: { first: WrkResult; run: WrkResult }) => ({
    server: name,
    "req/s": fixed(run.rps, 0),
    "p99 (ms)": fixed(run.p99Ms),
    "req/s ÷ bare Koa": fixed(run.rps / bare.run.rps),
    "p99 ÷ bare Koa": fixed(run.p99Ms / bare.run.p99Ms),
    "CPU ms / request": run.cpuMsPerRequest === undefined ? "-" : fixed(run.cpuMsPerRequest, 3),
    [`p99 first ${WARM_UP_SECONDS} s (ms)`]: fixed(first.p99Ms),
  });
  console.table([row("exporter", ours), row("bare Koa, same bytes", bare), ...(ng ? [row("nginx gzip_static, 1 worker", ng)] : [])]);
}
