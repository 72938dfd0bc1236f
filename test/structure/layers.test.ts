/**
 * The layer rule in .dependency-cruiser.cjs, shown to bite: bad imports planted in a
 * temporary copy of src/ are each reported under the rule they break, while the same
 * copy untouched, and an import of clock.ts from the lowest layer, pass.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const DEPCRUISE = join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function copyOfSrc(): string {
  const dir = mkdtempSync(join(tmpdir(), "layers-"));
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  for (const file of ["tsconfig.json", ".dependency-cruiser.cjs", "package.json"]) cpSync(join(ROOT, file), join(dir, file));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

const ARGS = ["src", "--config", ".dependency-cruiser.cjs"];

/** Runs depcruise on `dir` as `npm run lint:deps` does (its exit status), then for the violations as JSON. */
function cruise(dir: string): { status: number | null; violations: Violation[] } {
  const run = (extra: string[]) => spawnSync(process.execPath, [DEPCRUISE, ...ARGS, ...extra], { cwd: dir, encoding: "utf8" });
  const output = JSON.parse(run(["--output-type", "json"]).stdout) as { summary: { violations: Violation[] } };
  return { status: run([]).status, violations: output.summary.violations };
}

const plant = (dir: string, file: string, line: string) => appendFileSync(join(dir, "src", file), `\n${line}\n`);

describe("the layer rule", () => {
  let dir: string;
  beforeEach(() => {
    dir = copyOfSrc();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes on the source as it is, and lets the lowest layer import clock.ts", () => {
    plant(dir, "config/duration.ts", 'import type { Clock } from "../clock";\nexport type _Clock = Clock;');
    expect(cruise(dir)).toEqual({ status: 0, violations: [] });
  });

  it("fails on each planted import that points up a layer, into the simulator, or round in a cycle", () => {
    plant(dir, "config/config-error.ts", 'import type { WorkspaceState } from "../polling/state";\nexport type _S = WorkspaceState;');
    plant(dir, "dataarts/retry.ts", 'import "../metrics/exposition";');
    plant(dir, "polling/limiter.ts", 'import "../http/landing";');
    plant(dir, "metrics/exposition.ts", 'import "../logger";');
    plant(dir, "http/landing.ts", 'import "../exporter";');
    plant(dir, "simulator/random.ts", 'import "../config/duration";');
    plant(dir, "simulator/sorted-index.ts", 'import "./workspace-data";');
    plant(dir, "polling/shard.ts", 'import "../simulator";');
    plant(dir, "metrics/scrape-cache.ts", 'import "../api-check/report";');
    const { status, violations } = cruise(dir);
    const found = new Set(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`));
    expect(status).not.toBe(0);
    for (const expected of [
      "config-not-to-higher-layers: src/config/config-error.ts -> src/polling/state.ts",
      "dataarts-not-to-higher-layers: src/dataarts/retry.ts -> src/metrics/exposition.ts",
      "polling-not-to-higher-layers: src/polling/limiter.ts -> src/http/landing.ts",
      "metrics-not-to-higher-layers: src/metrics/exposition.ts -> src/logger.ts",
      "http-not-to-higher-layers: src/http/landing.ts -> src/exporter.ts",
      "simulator-stands-alone: src/simulator/random.ts -> src/config/duration.ts",
      "no-circular: src/simulator/sorted-index.ts -> src/simulator/workspace-data.ts",
      "simulator-only-for-the-demo: src/polling/shard.ts -> src/simulator/index.ts",
      "api-check-only-from-the-entry-point: src/metrics/scrape-cache.ts -> src/api-check/report.ts",
    ]) {
      expect(found).toContain(expected);
    }
  });

  it("runs as part of npm test", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
    expect(pkg["lint:deps"]).toContain("depcruise src --config .dependency-cruiser.cjs");
    expect(pkg.test).toContain("npm run lint:deps");
  });
});
