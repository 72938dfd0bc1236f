/** `--api.check` for the entry point: runs the check with the real clock and shard, and renders it as asked. */
import type { Config } from "../config/config";
import type { Flags } from "../flags";
import type { ProxyEnv } from "../dataarts/proxy";
import { systemClock } from "../clock";
import { shardOf } from "../polling/shard";
import { renderText } from "./render";
import { runApiCheck } from "./run-check";

export async function checkApi(
  flags: Pick<Flags, "configFile" | "shard" | "apiCheckFormat">,
  config: Config,
  context: { env: ProxyEnv; version: string },
): Promise<{ output: string; failed: boolean }> {
  const { shard, totalShards } = flags.shard;
  const report = await runApiCheck(config, {
    clock: systemClock,
    env: context.env,
    owns: (projectId, workspaceId) => totalShards <= 1 || shardOf(projectId, workspaceId, totalShards) === shard,
    exporterVersion: context.version,
    configFile: flags.configFile,
  });
  const output = flags.apiCheckFormat === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report);
  return { output, failed: report.result === "fail" };
}
