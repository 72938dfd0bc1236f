/** The version, git revision and branch this build reports (package.json and dist/build-info.json), and the platform and Node.js it runs on. */
import { readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { join } from "node:path";

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  /** `linux/x64`: Node's names for the OS and CPU, as Go exporters report goos/goarch. */
  platform: string;
  /** `v20.11.1`, from the entry point (the only module that reads `process`). */
  nodejsVersion: string;
}

/** Version from package.json, revision written at build time (`unknown` outside a git checkout). */
export function readBuildInfo(distDir: string, nodejsVersion: string): BuildInfo {
  const read = (file: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  const pkg = read(join(distDir, "..", "package.json"));
  const built = read(join(distDir, "build-info.json"));
  return {
    version: typeof pkg.version === "string" ? pkg.version : "unknown",
    revision: typeof built.revision === "string" ? built.revision : "unknown",
    branch: typeof built.branch === "string" ? built.branch : "unknown",
    platform: `${platform()}/${arch()}`,
    nodejsVersion,
  };
}
