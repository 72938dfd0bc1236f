/** How the CLI's first line, `#!/usr/bin/env -S [NAME=VALUE …] node [flag …]`, launches Node.js: read by the bench and by the image's test. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface Launch {
  /** The `NAME=VALUE` words before `node`, as an environment. */
  nodeEnv: Record<string, string>;
  /** The words after `node`: its flags. */
  nodeFlags: string[];
}

/** The launch a first line gives; none (no environment, no flags) when it does not run node through `env -S`. */
export function launchOf(shebang: string): Launch {
  const words = /^#!\/usr\/bin\/env -S (.*)$/.exec(shebang)?.[1]?.split(" ").filter(Boolean) ?? [];
  const node = words.indexOf("node");
  if (node < 0) return { nodeEnv: {}, nodeFlags: [] };
  return { nodeEnv: envOf(words.slice(0, node)), nodeFlags: words.slice(node + 1) };
}

/** `NAME=VALUE` words as an environment. */
export function envOf(words: string[]): Record<string, string> {
  return Object.fromEntries(words.map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
}

/** The launch of src/cli.ts, found from the repository's root. */
export function cliLaunch(root: string): Launch {
  return launchOf(readFileSync(resolve(root, "src", "cli.ts"), "utf8").split("\n")[0]!);
}
