#!/usr/bin/env node
/** The simulator on its own: `node dist/simulator/cli.js --port 8080 --scenario demo [--offset-mode page|offset] [--host 127.0.0.1] [--clock-offset-s N] [--tls-cert F --tls-key F] [--workspaces N]`. */
import { readFileSync } from "node:fs";
import { SIM_CREDENTIALS } from "./auth";
import { scenarioByName, SCENARIO_NAMES } from "./scenarios";
import { startSimulator, type RunningSimulator } from "./server";

export interface CliArgs {
  port: number;
  host: string;
  scenario: string;
  offsetMode: "page" | "offset";
  tickMs: number;
  tokenTtlMs?: number;
  /** Seconds the service's clock is ahead (negative: behind) of the machine's. */
  clockOffsetS: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Workspaces of the fleet scenario. */
  workspaces?: number;
}

export class UsageError extends Error {}

const USAGE =
  "usage: simulator [--port 8080] [--host 127.0.0.1] [--scenario demo|small|empty|large|fleet] " +
  "[--offset-mode page|offset] [--tick-ms 5000] [--token-ttl-ms N] [--clock-offset-s N] [--tls-cert FILE --tls-key FILE] [--workspaces N (fleet only)]";

function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** Parses flags (`--flag value` or `--flag=value`); throws UsageError with a one-line reason. */
export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  const args: CliArgs = { port: 8080, host: "127.0.0.1", scenario: "demo", offsetMode: "page", tickMs: 5000, clockOffsetS: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (!flag.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    if (value === undefined || value === "") throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case "--port": args.port = integer(flag, value, 0, 65535); break;
      case "--host": args.host = value; break;
      case "--scenario":
        if (!SCENARIO_NAMES.includes(value)) throw new UsageError(`unknown scenario "${value}"; valid: ${SCENARIO_NAMES.join(", ")}`);
        args.scenario = value;
        break;
      case "--offset-mode":
        if (value !== "page" && value !== "offset") throw new UsageError(`--offset-mode must be page or offset, got "${value}"`);
        args.offsetMode = value;
        break;
      case "--tick-ms": args.tickMs = integer(flag, value, 100, 3_600_000); break;
      case "--token-ttl-ms": args.tokenTtlMs = integer(flag, value, 1, Number.MAX_SAFE_INTEGER); break;
      case "--workspaces": args.workspaces = integer(flag, value, 1, 100_000); break;
      case "--clock-offset-s": {
        const sign = value.startsWith("-") ? -1 : 1;
        args.clockOffsetS = sign * integer(flag, value.replace(/^[-+]/, ""), 0, 10 * 365 * 86_400);
        break;
      }
      case "--tls-cert": args.tlsCert = value; break;
      case "--tls-key": args.tlsKey = value; break;
      default: throw new UsageError(`unknown flag ${flag}`);
    }
  }
  if ((args.tlsCert === undefined) !== (args.tlsKey === undefined)) throw new UsageError("--tls-cert and --tls-key go together");
  return args;
}

export function banner(sim: RunningSimulator, args: CliArgs): string {
  const projects = sim.control.projects();
  const lines = [
    `DataArts Studio simulator (scenario "${args.scenario}", offset read as ${args.offsetMode}${args.clockOffsetS ? `, clock ${args.clockOffsetS}s off` : ""}) listening on ${sim.url}`,
    "Fake credentials accepted (they open only this simulator):",
    `  AK/SK:          ${SIM_CREDENTIALS.accessKey} / ${SIM_CREDENTIALS.secretKey}  (security token optional: ${SIM_CREDENTIALS.securityToken})`,
    `  IAM password:   domain ${SIM_CREDENTIALS.domain}, user ${SIM_CREDENTIALS.user}, password ${SIM_CREDENTIALS.password}  (POST ${sim.url}/v3/auth/tokens)`,
    `  static token:   ${SIM_CREDENTIALS.staticToken}`,
  ];
  for (const p of projects) {
    lines.push(`Project ${p.projectId} (instance ${p.instanceId}):`);
    const listed = p.workspaces.length > 20 ? p.workspaces.slice(0, 3) : p.workspaces;
    for (const ws of listed) lines.push(`  workspace ${ws.id}  ${ws.name}${ws.isDefault ? " (default)" : ""}: ${ws.packageCount} packages`);
    if (listed.length < p.workspaces.length) lines.push(`  ... and ${p.workspaces.length - listed.length} more workspaces`);
  }
  lines.push(`Control routes (loopback only): ${sim.url}/-/sim/projects, /-/sim/counts, ...`);
  return lines.join("\n");
}

/** Starts the simulator and returns a stop function; the demo's life ticks on a timer. */
export async function run(args: CliArgs, log: (line: string) => void): Promise<() => Promise<void>> {
  const sim = await startSimulator({
    scenario: scenarioByName(args.scenario, { workspaces: args.workspaces }),
    offsetMode: args.offsetMode,
    tokenTtlMs: args.tokenTtlMs,
    clockOffsetMs: args.clockOffsetS * 1000,
    tls: args.tlsCert && args.tlsKey ? { cert: readFileSync(args.tlsCert), key: readFileSync(args.tlsKey) } : undefined,
    port: args.port,
    host: args.host,
  });
  log(banner(sim, args));
  const timer = args.scenario === "demo" ? setInterval(() => sim.control.tick(), args.tickMs) : undefined;
  return async () => {
    if (timer) clearInterval(timer);
    await sim.close();
  };
}

async function main(): Promise<void> {
  let args: CliArgs | "help";
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)} (try --help)\n`);
    process.exit(2);
  }
  if (args === "help") {
    process.stdout.write(USAGE + "\n");
    return;
  }
  let stop: () => Promise<void>;
  try {
    stop = await run(args, (line) => process.stdout.write(line + "\n"));
  } catch (err) {
    process.stderr.write(`simulator: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string): void => {
    process.stdout.write(`simulator: ${signal}, stopping\n`);
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (require.main === module) void main();
