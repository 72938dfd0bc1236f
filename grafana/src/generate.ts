import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildDashboard } from "./dashboard";

/** Where the committed dashboard lives, relative to the repository root (npm runs scripts there). */
export const DASHBOARD_PATH = "grafana/dashboards/dataarts-release-packages.json";

/** The dashboard exactly as committed: stable key order from the builders, two-space indent, final newline. */
export function renderDashboard(): string {
  return JSON.stringify(buildDashboard(), null, 2) + "\n";
}

if (require.main === module) {
  const out = resolve(process.argv[2] ?? DASHBOARD_PATH);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, renderDashboard());
  console.log(`wrote ${out}`);
}
