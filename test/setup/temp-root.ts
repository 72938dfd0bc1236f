// The one temporary directory a test run writes under: made before the first test file, removed after the last.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

export const TEMP_ROOT = "DATAARTS_TEST_TEMP_ROOT";
const PREVIOUS = `${TEMP_ROOT}_PREVIOUS`;

/** Points TMPDIR (read by os.tmpdir() in every worker jest forks afterwards) at a fresh directory. */
export function createTempRoot(env: Env = process.env): string {
  const root = mkdtempSync(join(env.TMPDIR || tmpdir(), "dataarts-exporter-tests-"));
  env[PREVIOUS] = env.TMPDIR ?? "";
  env[TEMP_ROOT] = root;
  env.TMPDIR = root;
  return root;
}

/** Removes that directory, with the configs, keys and state files the tests left in it, and gives TMPDIR back. */
export function removeTempRoot(env: Env = process.env): void {
  const root = env[TEMP_ROOT];
  if (!root) return;
  rmSync(root, { recursive: true, force: true });
  if (env[PREVIOUS]) env.TMPDIR = env[PREVIOUS];
  else delete env.TMPDIR;
  delete env[TEMP_ROOT];
  delete env[PREVIOUS];
}
