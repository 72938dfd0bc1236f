/**
 * The running stack every end-to-end file starts: the exporter process, Debian's
 * Alertmanager and Prometheus on loopback, and deadline-bound waits that fail with
 * what each of them printed.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunningSimulator } from "../../src/simulator";
import { CLI, eventually, writeConfig } from "../helpers/exporter-process";
import { Daemon, freePort, startDaemon } from "./processes";
import { writePrometheusConfig } from "./stack";

/** The daemons one test file started, and waits on real events that fail with their output. */
export class Daemons {
  private readonly list: Daemon[] = [];

  add(daemon: Daemon): Daemon {
    this.list.push(daemon);
    return daemon;
  }

  /** Stops `daemon` and forgets it: a process stopped on purpose is no failure for the waits. */
  async remove(daemon: Daemon): Promise<void> {
    await daemon.stop();
    this.list.splice(this.list.indexOf(daemon), 1);
  }

  /** A deadline-bound wait whose failure message carries what every process printed: that is what explains it. */
  readonly within = <T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> =>
    eventually(async () => {
      const stopped = this.list.find((d) => !d.running());
      if (stopped) {
        // 127: the shell found no such program.
        const hint = stopped.child.exitCode === 127 ? " (not installed? .ci/run installs Debian's prometheus and prometheus-alertmanager)" : "";
        throw new Error(`${stopped.name} has stopped with status ${stopped.child.exitCode ?? stopped.child.signalCode}${hint}`);
      }
      return check();
    }, what, ms).catch((err: Error) => {
      const logs = this.list.map((d) => `--- ${d.name} ---\n${d.output().slice(-3000)}`).join("\n");
      throw new Error(`${err.message}\n${logs}`);
    });

  /** Waits for `url`'s /-/ready to answer 200 (Prometheus and Alertmanager both have one). */
  ready(what: string, url: string): Promise<true> {
    return this.within(`${what} to be ready`, 30_000, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));
  }

  stop(): Promise<void[]> {
    return Promise.all(this.list.map((d) => d.stop()));
  }
}

export interface StackOptions {
  /** Temporary directory for configs and the daemons' data. */
  dir: string;
  /** The exporter's config.yml text, and the environment it reads (`${VAR}`). */
  exporterConfig: string;
  exporterEnv: Record<string, string>;
  /** More exporter flags (e.g. --storage.path). */
  exporterArgs?: string[];
  /** A fixed port for the exporter, so that a restart keeps Prometheus's target; by default it picks one. */
  exporterPort?: number;
  /** The Alertmanager config file to load. */
  alertmanagerConfig: string;
  /** Scrape, evaluation (and the config's poll) interval, and what every rule's `for` becomes. */
  interval: string;
  forDuration: string;
}

export interface RunningStack {
  exporterUrl: string;
  prometheus: string;
  alertmanager: string;
  /** What writePrometheusConfig wrote: the scrape job's name and the rule files loaded. */
  prometheusConfig: ReturnType<typeof writePrometheusConfig>;
  /** Stops the exporter, and starts it again with the same config, flags and port (set exporterPort). */
  stopExporter(): Promise<void>;
  startExporter(): Promise<void>;
}

/** Starts the exporter process and returns it with the address it logs once it listens. */
async function startExporterDaemon(daemons: Daemons, options: StackOptions, configFile: string): Promise<{ exporter: Daemon; url: string }> {
  const exporter = daemons.add(
    startDaemon(
      "exporter",
      process.execPath,
      [CLI, `--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${options.exporterPort ?? 0}`, "--log.format=json", ...(options.exporterArgs ?? [])],
      { env: { PATH: process.env.PATH ?? "", ...options.exporterEnv } },
    ),
  );
  // Port 0 and the address it logs: no free-port race for the one program that can report its own.
  const url = await daemons.within("the exporter to start", 15_000, async () => {
    const line = exporter.output().split("\n").find((l) => l.includes('"exporter started"'));
    return line ? (JSON.parse(line) as { address: string }).address : undefined;
  });
  return { exporter, url };
}

/** Starts the exporter, then Alertmanager and Prometheus (scraping it, alerting to it), and waits until all three are up. */
export async function startStack(daemons: Daemons, options: StackOptions): Promise<RunningStack> {
  const { dir } = options;
  const configFile = writeConfig(dir, options.exporterConfig, "exporter.yml");
  const first = await startExporterDaemon(daemons, options, configFile);
  let exporter = first.exporter;
  const exporterUrl = first.url;

  const [amPort, promPort] = [await freePort(), await freePort()];
  daemons.add(
    startDaemon("alertmanager", "prometheus-alertmanager", [
      `--config.file=${options.alertmanagerConfig}`,
      `--storage.path=${join(dir, "alertmanager")}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // No cluster: a single Alertmanager, and no gossip port to collide on.
      "--cluster.listen-address=",
    ]),
  );
  const prometheusConfig = writePrometheusConfig({
    dir,
    exporterTarget: new URL(exporterUrl).host,
    alertmanagerTarget: `127.0.0.1:${amPort}`,
    interval: options.interval,
    forDuration: options.forDuration,
  });
  daemons.add(
    startDaemon("prometheus", "prometheus", [
      `--config.file=${prometheusConfig.configFile}`,
      `--storage.tsdb.path=${join(dir, "prometheus")}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      // A firing alert's annotations reach Alertmanager again within a second, not a minute.
      "--rules.alert.resend-delay=1s",
    ]),
  );
  const alertmanager = `http://127.0.0.1:${amPort}`;
  const prometheus = `http://127.0.0.1:${promPort}`;
  await daemons.ready("Alertmanager", alertmanager);
  await daemons.ready("Prometheus", prometheus);
  return {
    exporterUrl,
    prometheus,
    alertmanager,
    prometheusConfig,
    stopExporter: () => daemons.remove(exporter),
    startExporter: async () => {
      ({ exporter } = await startExporterDaemon(daemons, options, configFile));
    },
  };
}

/** Ends what a file's beforeAll started, whichever parts it got to: the daemons, the simulator, the temporary directory. */
export async function stopStack(daemons: Daemons, sim: RunningSimulator | undefined, dir: string | undefined): Promise<void> {
  await daemons.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
