/**
 * Config `labels` through the real exporter process against the simulator: on every
 * per-workspace family, and moved by a reload (SIGHUP) with the counters' values kept.
 */
import { DeployStatus } from "../../src/dataarts/model";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, generatePackages, startSimulator } from "../../src/simulator";
import { ExporterProcess, eventually, scrape, startExporterOn, tempDir, writeConfig } from "../helpers/exporter-process";
import { family, promtoolCheckMetrics } from "../helpers/promtool";

const P1 = "11111111111111111111111111111111";
const P2 = "22222222222222222222222222222222";
const INSTANCE = "8b4c3a0b2c1d4e5f";
const FIN = "f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1";
const OPS = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
const IOT = "10101010101010101010101010101010";

/** Every status present, so every family has a series. */
const pkgs = (projectId: string, workspaceId: string, seed: number) =>
  generatePackages({ projectId, workspaceId, counts: { pending_review: 2, succeeded: 5, failed: 1, releasing: 2 }, now: Date.now(), seed });

const scenario: Scenario = {
  projects: [
    {
      projectId: P1,
      workspaces: [
        { id: FIN, name: "Finance Reporting", packages: pkgs(P1, FIN, 1) },
        { id: OPS, name: "Operations", packages: pkgs(P1, OPS, 2) },
      ],
    },
    { projectId: P2, instanceId: INSTANCE, workspaces: [{ id: IOT, name: "IoT Telemetry", packages: pkgs(P2, IOT, 3) }] },
  ],
};

/** P1 lists its workspaces, P2 discovers them; `finTeam` and `opsLabels` are what the reload changes. */
const configYaml = (url: string, finTeam: string, opsLabels = "") => `
polling:
  interval: 1s
  timeout: 500ms
metrics:
  package_series: true
projects:
  - project_id: ${P1}
    region: cn-north-4
    endpoint: ${url}
    auth: {type: token, token: "\${SIM_STATIC}"}
    labels:
      team: platform
      env: \${DEPLOY_ENV}
    workspaces:
      - id: ${FIN}
        name: Finance Reporting
        labels:
          team: ${finTeam}
      - id: ${OPS}
        name: Operations
${opsLabels}
  - project_id: ${P2}
    region: cn-north-4
    endpoint: ${url}
    auth: {type: token, token: "\${SIM_STATIC}"}
    labels:
      env: prod
    discover:
      instance_id: ${INSTANCE}
      refresh: 1s
      labels:
        team: iot
`;

/** The families the issue names: every dataarts_release_* and dataarts_workspace_* one, poll errors and API requests. */
const PER_WORKSPACE = Object.values(F).filter(
  (name) => name.startsWith("dataarts_release_") || name.startsWith("dataarts_workspace_") || name === F.pollErrors || name === F.apiRequests,
);

describe("config labels through the exporter process", () => {
  let sim: RunningSimulator;
  let exporter: ExporterProcess;
  let dir: string;
  const env = { SIM_STATIC: SIM_CREDENTIALS.staticToken, DEPLOY_ENV: "staging" };

  /** Each workspace's labels as they appear on one family, keyed by workspace id (all its series must agree). */
  function labelsByWorkspace(text: string, name: string, extra: string[]): Record<string, Record<string, string | undefined>> {
    const out: Record<string, Record<string, string | undefined>> = {};
    for (const s of family(text, name).filter((x) => x.labels.workspace_id !== "")) {
      const picked = Object.fromEntries(extra.map((l) => [l, s.labels[l]]));
      const id = s.labels.workspace_id!;
      if (out[id]) expect(picked).toEqual(out[id]);
      out[id] = picked;
    }
    return out;
  }

  const allPolled = async () => {
    const text = await scrape(exporter.url);
    // The failure series of all three and a per-package series each: every family is there.
    const up = family(text, F.up).filter((s) => s.value === 1).length === 3;
    const pending = new Set(family(text, F.pendingAge).map((s) => s.labels.workspace_id)).size === 3;
    return up && pending ? text : undefined;
  };

  beforeAll(async () => {
    sim = await startSimulator({ scenario, port: 0 });
    dir = tempDir();
    exporter = await startExporterOn(configYaml(sim.url, "finance-data"), [], env, dir);
  });

  afterAll(async () => {
    await exporter?.stop();
    await sim?.close();
  });

  it.each(PER_WORKSPACE)("puts the merged labels of each workspace on every series of %s", async (name) => {
    const text = await eventually(allPolled, "all three workspaces polled", 15_000);
    expect(labelsByWorkspace(text, name, ["team", "env"])).toEqual({
      [FIN]: { team: "finance-data", env: "staging" }, // the workspace's team over the project's; env from ${DEPLOY_ENV}
      [OPS]: { team: "platform", env: "staging" }, // the project's
      [IOT]: { team: "iot", env: "prod" }, // discover's, with the project's env
    });
  });

  it("passes promtool check metrics with the extra labels", async () => {
    const text = await eventually(allPolled, "all three workspaces polled", 15_000);
    expect(promtoolCheckMetrics(text)).toBe("");
  });

  it("shows each workspace's labels on the landing page", async () => {
    await eventually(allPolled, "all three workspaces polled", 15_000);
    const page = await (await fetch(`${exporter.url}/`)).text();
    const rowOf = (id: string) => page.split("\n").find((l) => l.includes(`<td>${id}</td>`));
    expect(rowOf(FIN)).toContain("<td>env=&#34;staging&#34;, team=&#34;finance-data&#34;</td>");
    expect(rowOf(OPS)).toContain("<td>env=&#34;staging&#34;, team=&#34;platform&#34;</td>");
    expect(rowOf(IOT)).toContain("<td>env=&#34;prod&#34;, team=&#34;iot&#34;</td>");
  });

  it("moves a workspace's series to its new labels on SIGHUP, every counter going on from its value", async () => {
    const released = sim.control.packages(P1, FIN).find((p) => p.deploy_status === DeployStatus.releasing)!;
    sim.control.setStatus(P1, FIN, released.package_id, DeployStatus.failed, Date.now());
    const fin = { workspace_id: FIN, team: "finance-data" };
    const before = await eventually(async () => {
      const text = await scrape(exporter.url);
      return family(text, F.failures).some((s) => s.labels.workspace_id === FIN && s.value === 1) ? text : undefined;
    }, "the failure to be counted");
    const requestsBefore = family(before, F.apiRequests).find((s) => s.labels.workspace_id === FIN && s.labels.code === "200")!;
    expect(requestsBefore.labels).toMatchObject(fin);

    writeConfig(dir, configYaml(sim.url, "finance-reporting", "        labels:\n          team: sre\n          tier: gold"));
    exporter.child.kill("SIGHUP");
    const after = await eventually(async () => {
      const text = await scrape(exporter.url);
      return family(text, F.up).some((s) => s.labels.team === "sre") ? text : undefined;
    }, "the reload to take effect");

    // Not one series keeps the old label value: the old series end, Prometheus marks them stale.
    expect(after).not.toContain('team="finance-data"');
    expect(labelsByWorkspace(after, F.up, ["team", "tier"])).toEqual({
      [FIN]: { team: "finance-reporting", tier: undefined },
      [OPS]: { team: "sre", tier: "gold" },
      [IOT]: { team: "iot", tier: undefined },
    });
    for (const name of PER_WORKSPACE) {
      expect(labelsByWorkspace(after, name, ["team"])[FIN]).toEqual({ team: "finance-reporting" });
    }
    // The counters go on under the new labels from the value they had: the failure is not counted again or lost.
    const failures = family(after, F.failures).find((s) => s.labels.workspace_id === FIN)!;
    expect(failures).toEqual({ labels: expect.objectContaining({ team: "finance-reporting" }), value: 1 });
    const requestsAfter = family(after, F.apiRequests).find((s) => s.labels.workspace_id === FIN && s.labels.code === "200")!;
    expect(requestsAfter.labels.team).toBe("finance-reporting");
    expect(requestsAfter.value).toBeGreaterThanOrEqual(requestsBefore.value);
    expect(promtoolCheckMetrics(after)).toBe("");
  });
});
