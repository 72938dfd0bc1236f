/** What the metrics tests render with: fixed exporter info and a fixed "now". */
import type { ExporterInfo } from "../../../src/metrics/families";
import type { WorkspaceKey } from "../../../src/polling/state";

export const INFO: ExporterInfo = {
  version: "1.2.3",
  revision: "abc",
  branch: "main",
  platform: "linux/x64",
  nodejsVersion: "v20.0.0",
  reloadSuccessful: true,
  lastReloadSuccessMs: 1_700_000_000_000,
  shard: { ordinal: 0, total: 1 },
};

export const NOW = 1_800_000_000_000;

/** A workspace of project p1 in cn-north-4, named after its id, with `labels` when given. */
export const key = (workspaceId: string, labels?: WorkspaceKey["labels"]): WorkspaceKey => ({
  projectId: "p1",
  workspaceId,
  name: `${workspaceId}-name`,
  region: "cn-north-4",
  ...(labels && { labels }),
});
