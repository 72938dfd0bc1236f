import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfig } from "../../src/config/config";
import { workspaceLabels } from "../../src/config/labels";

const ROOT = join(__dirname, "..", "..");
const doc = readFileSync(join(ROOT, "docs/teams.md"), "utf8");
const section = doc.slice(doc.indexOf("## Worked example"), doc.indexOf("## Changing labels"));
const blocks = (lang: string) => [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);

describe("docs/teams.md, the worked example", () => {
  const [yaml] = blocks("yaml");
  const config = parseConfig(yaml!, { env: { HUAWEICLOUD_SDK_AK: "AKEXAMPLE", HUAWEICLOUD_SDK_SK: "sk" }, readFile: () => "" });

  it("shows on each series the labels the exporter merges from the example config", () => {
    const [listed, discovering] = config.projects;
    const byName: Record<string, Record<string, string>> = {};
    for (const ws of listed!.workspaces) byName[ws.name] = Object.fromEntries(workspaceLabels(listed!, ws, false));
    byName["IoT Telemetry"] = Object.fromEntries(workspaceLabels(discovering!, undefined, true));
    const lines = blocks("text")[0]!.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      const { project_id: _p, workspace_id: _w, workspace, ...extra } = labels;
      expect(extra).toEqual(byName[workspace!]);
    }
  });

  it("gives three teams", () => {
    const teams = new Set(config.projects.flatMap((p) => [p.labels?.team, p.discover?.labels?.team, ...p.workspaces.map((w) => w.labels?.team)]));
    teams.delete(undefined);
    expect([...teams].sort()).toEqual(["finance-data", "iot", "platform"]);
  });

  const commands = blocks("sh")[0]!.trim().split("\n");
  it.each(commands)("`%s` works as written and prints what its comment says", (line) => {
    const [command, expected] = line.split(/\s+#\s+/);
    const [tool, ...args] = command!.trim().split(/\s+/);
    const r = spawnSync(tool!, args, { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    if (expected) expect(r.stdout.trim()).toBe(expected.trim());
  });
});
