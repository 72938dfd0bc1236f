import { ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { eventually, tempDir } from "./exporter-process";

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Tinyproxy {
  port: number;
  /** Everything tinyproxy logged so far. */
  log(): string;
  /** Lines of the log that record a CONNECT (tinyproxy logs `Connect (file descriptor N): ...` and `Request (...): CONNECT host:port`). */
  connects(): string[];
  stop(): Promise<void>;
}

/**
 * Debian's tinyproxy on a free loopback port with its own config and log file, in the
 * foreground. `basicAuth` makes it ask for proxy credentials.
 */
export async function startTinyproxy(options: { basicAuth?: { user: string; password: string } } = {}): Promise<Tinyproxy> {
  const dir = tempDir();
  const port = await freePort();
  const logFile = join(dir, "tinyproxy.log");
  const config = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    `LogFile "${logFile}"`,
    "LogLevel Info",
    "MaxClients 20",
    "Allow 127.0.0.1",
    `PidFile "${join(dir, "tinyproxy.pid")}"`,
    // No ConnectPort line: CONNECT is allowed to any port (the simulator's is random).
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ].join("\n");
  const configFile = join(dir, "tinyproxy.conf");
  writeFileSync(configFile, config + "\n");
  const child: ChildProcess = spawn("tinyproxy", ["-d", "-c", configFile], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited: ${log()}`);
    return log().includes("Accepting connections");
  }, "tinyproxy to listen");
  return {
    port,
    log,
    connects: () => log().split("\n").filter((l) => /\bCONNECT\b/.test(l)),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
