/** What the metrics tests render with: fixed exporter info and a fixed "now". */
import type { ExporterInfo } from "../../../src/metrics/families";

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
