import { ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** Output kept per process for failure messages: the tail is what explains a failure. */
const OUTPUT_LIMIT = 64 * 1024;

export interface Daemon {
  name: string;
  child: ChildProcess;
  /** The last part of what it printed on stdout and stderr. */
  output(): string;
  /** Whether it is still running. */
  running(): boolean;
  /** SIGTERM to its whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs the program through a shell that first leaves a watchdog in the same
 * process group: when this test process is gone without its afterAll (jest
 * interrupted with Ctrl+C, or killed), the watchdog kills the group, program
 * and all. Stopping the group normally stops the watchdog with it. `exec`
 * keeps the program's pid the group's.
 */
function withWatchdog(command: string, args: string[]): [string, string[]] {
  const watchdog = `( while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL 0 ) </dev/null >/dev/null 2>&1 &`;
  return ["/bin/sh", ["-c", `${watchdog} exec "$@"`, "sh", command, ...args]];
}

/**
 * Starts a long-running program in its own process group (detached), so that
 * stopping it stops everything it started too.
 */
export function startDaemon(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Daemon {
  const [shell, shellArgs] = withWatchdog(command, args);
  const child = spawn(shell, shellArgs, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("error", (err) => keep(Buffer.from(`cannot start ${command}: ${err.message}\n`)));
  const exited = new Promise<void>((resolve) => {
    if (child.pid === undefined) resolve();
    child.once("close", () => resolve());
  });
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals) => killGroup(child.pid!, sig);
  return {
    name,
    child,
    output: () => out,
    running,
    stop: async (graceMs = 5_000) => {
      if (running()) signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // The watchdog, and anything else the program left in its group, goes with it.
      signal("SIGKILL");
    },
  };
}

/**
 * A TCP port on loopback that was free a moment ago, for programs that cannot
 * be told to pick their own and report it (Prometheus, Alertmanager). Another
 * process could take it in between; on a test machine that is rare enough.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
