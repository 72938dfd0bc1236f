/** startSimulator: the app on a real HTTP port, with a close() that does not wait for hung requests. */
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createSimulator } from "./app";
import type { SimulatorControl, SimulatorOptions } from "./types";

export interface RunningSimulator {
  url: string;
  port: number;
  control: SimulatorControl;
  close(): Promise<void>;
}

/** PEM certificate (chain) and key: the simulator then serves HTTPS. */
export interface SimulatorTls {
  cert: string | Buffer;
  key: string | Buffer;
}

export type StartOptions = SimulatorOptions & { port?: number; host?: string; tls?: SimulatorTls };

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** A URL a local client can use: wildcard addresses are reached through loopback. */
function urlFor(host: string, port: number, scheme: "http" | "https"): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `${scheme}://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export async function startSimulator(opts: StartOptions): Promise<RunningSimulator> {
  const { app, control } = createSimulator(opts);
  const host = opts.host ?? "127.0.0.1";
  const server: Server = opts.tls ? createTlsServer({ cert: opts.tls.cert, key: opts.tls.key }, app.callback()) : createServer(app.callback());
  await listen(server, opts.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: urlFor(host, port, opts.tls ? "https" : "http"),
    port,
    control,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung and slow answers hold their connections open; drop them so close() is prompt.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
