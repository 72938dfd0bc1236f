import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(__dirname, "../../dist/cli.js");

/** A deadline-bound wait on real events of a real process (not a sleep: it returns as soon as `check` holds). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "dataarts-exporter-test-"));
}

export function writeConfig(dir: string, yaml: string, name = "config.yml"): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

export interface ExporterProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/** Starts `dist/cli.js` on a free loopback port and waits for its "exporter started" line. */
export async function startExporter(args: string[], env: Record<string, string> = {}): Promise<ExporterProcess> {
  // JSON logs, so that the start line and the address in it can be read; `args` may ask for another format.
  const listen = args.some((a) => a.startsWith("--web.listen-address")) ? [] : ["--web.listen-address=127.0.0.1:0"];
  const child = spawn(process.execPath, [CLI, ...listen, "--log.format=json", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once("exit", (code, signal) => res({ code, signal })),
  );
  const url = await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`exporter exited: ${out}`);
    const line = out.split("\n").find((l) => l.includes('"exporter started"'));
    return line ? (JSON.parse(line) as { address: string }).address : undefined;
  }, "the exporter to start");
  return {
    child,
    url,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A look inside the real exporter: starts it with `probe` (a script's text, written to `dir`)
 * preloaded, sends it SIGUSR2 and returns what the probe wrote to the file named by PROBE_REPORT.
 */
export async function probeExporter(dir: string, args: string[], probe: string): Promise<string> {
  const id = Math.random().toString(36).slice(2);
  const preload = join(dir, `probe-${id}.js`);
  const report = join(dir, `probe-${id}.txt`);
  writeFileSync(preload, probe);
  const exporter = await startExporter(args, { NODE_OPTIONS: `--require=${preload}`, PROBE_REPORT: report });
  try {
    exporter.child.kill("SIGUSR2");
    return await eventually(async () => readFileSync(report, "utf8") || undefined, "the probe's report", 20_000);
  } finally {
    await exporter.stop();
  }
}

/**
 * Runs the CLI to completion (for --config.check, --help, bad flags). A hang is killed after
 * 20 s (`signal` is then SIGKILL) and fails the test that way, not by the jest timeout above it.
 */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
    killSignal: "SIGKILL",
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

export async function scrape(url: string, path = "/metrics"): Promise<string> {
  const res = await fetch(`${url}${path}`);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  return res.text();
}

/** Writes `yaml` to `dir`/`name` and starts the exporter on it (flags `args` after --config.file); the file stays for reloads. */
export async function startExporterOn(
  yaml: string,
  args: string[] = [],
  env: Record<string, string> = {},
  dir = tempDir(),
  name?: string,
): Promise<ExporterProcess & { configFile: string }> {
  const configFile = writeConfig(dir, yaml, name);
  return { ...(await startExporter([`--config.file=${configFile}`, ...args], env)), configFile };
}
