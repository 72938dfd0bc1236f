import { gunzipSync } from "node:zlib";
import { request } from "node:http";
import { DeployStatus } from "../../src/dataarts/model";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { expectedFrom } from "../helpers/expected";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, generatePackages, startSimulator } from "../../src/simulator";
import { ExporterProcess, eventually, runCli, scrape, startExporterOn, tempDir, writeConfig } from "../helpers/exporter-process";
import { family, promtoolCheckMetrics, sample } from "../helpers/promtool";
import { simProjectYaml, writeSimPassword } from "../helpers/sim";

const P1 = "11111111111111111111111111111111";
const P2 = "22222222222222222222222222222222";
const P3 = "33333333333333333333333333333333";
const WS_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const WS_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const WS_C = "cccccccccccccccccccccccccccccccc";
const WS_D = "dddddddddddddddddddddddddddddddd";
const WS_NEW = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const PASSWORD = SIM_CREDENTIALS.password;

function pkgs(projectId: string, workspaceId: string, seed: number, counts = { pending_review: 4, succeeded: 30, failed: 3, releasing: 5 }) {
  return generatePackages({ projectId, workspaceId, counts, now: Date.now(), seed });
}

const scenario: Scenario = {
  projects: [
    {
      projectId: P1,
      workspaces: [
        { id: WS_A, name: "analytics", packages: pkgs(P1, WS_A, 1) },
        { id: WS_B, name: "finance", packages: pkgs(P1, WS_B, 2) },
        { id: WS_NEW, name: "added-later", packages: pkgs(P1, WS_NEW, 5) },
      ],
    },
    { projectId: P2, workspaces: [{ id: WS_C, name: "iam-ws", packages: pkgs(P2, WS_C, 3) }] },
    { projectId: P3, workspaces: [{ id: WS_D, name: "token-ws", packages: pkgs(P3, WS_D, 4, { pending_review: 0, succeeded: 2, failed: 0, releasing: 0 }) }] },
  ],
};

function configYaml(url: string, p1Workspaces: string): string {
  return `
polling:
  interval: 1s
  timeout: 500ms
  concurrency: 2
metrics:
  package_series: true
  package_series_limit: 3
  stale_after: 3s
projects:
  - project_id: ${P1}
    region: cn-north-4
    endpoint: ${url}
    auth:
      type: aksk
      access_key: \${SIM_AK}
      secret_key: \${SIM_SK}
      security_token: \${SIM_TOKEN}
    workspaces:
${p1Workspaces}
${simProjectYaml(P2, url, "password", "ap-southeast-3")}      - id: ${WS_C}
${simProjectYaml(P3, url, "token")}      - id: ${WS_D}
        name: token-ws
`;
}

const WORKSPACES_AB = `      - id: ${WS_A}\n        name: analytics\n      - id: ${WS_B}\n        name: finance\n        interval: 2s`;
const WORKSPACES_A_NEW = `      - id: ${WS_A}\n        name: analytics\n      - id: ${WS_NEW}\n        name: added-later`;

const env = {
  SIM_AK: SIM_CREDENTIALS.accessKey,
  SIM_SK: SIM_CREDENTIALS.secretKey,
  SIM_TOKEN: SIM_CREDENTIALS.securityToken,
  SIM_STATIC: SIM_CREDENTIALS.staticToken,
};

const SECRETS = [SIM_CREDENTIALS.secretKey, SIM_CREDENTIALS.securityToken, SIM_CREDENTIALS.staticToken, PASSWORD];

describe("the exporter process against the simulator", () => {
  let sim: RunningSimulator;
  let exporter: ExporterProcess;
  let dir: string;

  const allUp = async () => {
    const text = await scrape(exporter.url);
    const ups = family(text, F.up);
    return ups.length === 4 && ups.every((s) => s.value === 1) ? text : undefined;
  };

  beforeAll(async () => {
    sim = await startSimulator({ scenario, port: 0 });
    dir = tempDir();
    writeSimPassword(dir);
    exporter = await startExporterOn(configYaml(sim.url, WORKSPACES_AB), ["--log.level=debug", "--web.enable-lifecycle"], env, dir);
  });

  afterAll(async () => {
    await exporter?.stop();
    await sim?.close();
  });

  it("serves every workspace's counts, oldest ages and timestamps as the simulator holds them", async () => {
    const text = await eventually(allUp, "every workspace to be up");
    const want = expectedFrom(sim.control.packages(P1, WS_A));
    const w = { project_id: P1, workspace_id: WS_A, workspace: "analytics" };
    for (const status of ["pending_review", "succeeded", "failed", "releasing"] as const) {
      expect(sample(text, F.packages, { ...w, status })).toBe(want.counts[status]);
    }
    expect(sample(text, F.pendingOldestTimestamp, w)).toBe(want.oldestPendingMs / 1000);
    expect(sample(text, F.lastFailure, w)).toBe(want.lastFailureMs / 1000);
    const scrapedAt = Date.now();
    const pendingAge = sample(text, F.pendingOldestAge, w)!;
    expect(Math.abs(pendingAge - (scrapedAt - want.oldestPendingMs) / 1000)).toBeLessThan(5);
    const releasingAge = sample(text, F.releasingOldestAge, w)!;
    expect(Math.abs(releasingAge - (scrapedAt - want.oldestReleasingMs) / 1000)).toBeLessThan(5);
    expect(sample(text, F.failures, w)).toBe(0);
  });

  it("leaves out what a workspace has none of: no pending package, no failure, no release running", async () => {
    const text = await scrape(exporter.url);
    const d = { project_id: P3, workspace_id: WS_D, workspace: "token-ws" };
    expect(sample(text, F.packages, { ...d, status: "succeeded" })).toBe(2);
    expect(sample(text, F.packages, { ...d, status: "pending_review" })).toBe(0);
    expect(sample(text, F.pendingOldestTimestamp, d)).toBeUndefined();
    expect(sample(text, F.lastFailure, d)).toBeUndefined();
    expect(sample(text, F.pendingOldestAge, d)).toBe(0);
    expect(sample(text, F.releasingOldestAge, d)).toBe(0);
    expect(family(text, F.pendingAge).filter((s) => s.labels.workspace_id === WS_D)).toEqual([]);
  });

  it("times each poll and dates the last success and the config load", async () => {
    const text = await scrape(exporter.url);
    const w = { workspace_id: WS_A };
    const duration = sample(text, F.pollDuration, w)!;
    expect(duration).toBeGreaterThan(0);
    expect(duration).toBeLessThan(5);
    expect(Math.abs(sample(text, F.lastSuccess, w)! - Date.now() / 1000)).toBeLessThan(10);
    expect(Math.abs(sample(text, F.reloadTimestamp, {})! - Date.now() / 1000)).toBeLessThan(60);
  });

  it("labels workspaces by configured name, or by id when unnamed, with the project's region", async () => {
    const text = await scrape(exporter.url);
    const info = family(text, F.info).map((s) => s.labels);
    expect(info).toContainEqual({ project_id: P1, workspace_id: WS_B, workspace: "finance", region: "cn-north-4" });
    expect(info).toContainEqual({ project_id: P2, workspace_id: WS_C, workspace: WS_C, region: "ap-southeast-3" });
    expect(info).toHaveLength(4);
  });

  it("shows per-package pending ages, oldest first, up to the limit per workspace", async () => {
    const text = await scrape(exporter.url);
    const want = expectedFrom(sim.control.packages(P1, WS_A)).pendingOldestFirst.slice(0, 3);
    const series = family(text, F.pendingAge).filter((s) => s.labels.workspace_id === WS_A);
    expect(series.map((s) => s.labels.package_id)).toEqual(want.map((p) => p.package_id));
    expect(series[0]!.labels).toMatchObject({ package_name: want[0]!.package_name, applicant: want[0]!.apply_user_name });
  });

  it("counts API requests by code, with empty workspace labels for IAM requests, and their latency", async () => {
    const text = await scrape(exporter.url);
    expect(sample(text, F.apiRequests, { project_id: P2, workspace_id: "", workspace: "", code: "201" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, F.apiRequests, { project_id: P1, workspace_id: WS_A, code: "200" })).toBeGreaterThanOrEqual(5);
    expect(sample(text, `${F.apiDuration}_count`, { project_id: P1 })).toBeGreaterThanOrEqual(5);
    expect(sample(text, F.buildInfo, {})).toBe(1);
    expect(sample(text, F.reloadSuccessful, {})).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_total_bytes /m);
  });

  it("never shows NaN, not even in scrapes close together", async () => {
    const scrapes = await Promise.all([scrape(exporter.url), scrape(exporter.url)]);
    scrapes.push(await scrape(exporter.url), await scrape(exporter.url));
    for (const text of scrapes) {
      expect(text).not.toMatch(/\bNaN\b/i);
      expect(text).toMatch(/^nodejs_eventloop_lag_mean_seconds \d/m);
    }
  });

  it("passes promtool check metrics on its real output", async () => {
    expect(promtoolCheckMetrics(await scrape(exporter.url))).toBe("");
  });

  it("serves /metrics with the exposition content type, gzipped when the scraper accepts it", async () => {
    const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((res, rej) => {
      const req = request(`${exporter.url}/metrics`, { headers: { "Accept-Encoding": "gzip" } }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => res({ headers: r.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", rej);
      req.end();
    });
    expect(headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(headers["content-encoding"]).toBe("gzip");
    const text = gunzipSync(body).toString();
    expect(promtoolCheckMetrics(text)).toBe("");
    expect(family(text, F.up)).toHaveLength(4);
    expect(family(text, F.pendingOldestAge)).toHaveLength(4);
  });

  it("answers health, readiness and a landing page that lists the workspaces", async () => {
    expect((await fetch(`${exporter.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${exporter.url}/-/ready`)).status).toBe(200);
    const page = await (await fetch(`${exporter.url}/`)).text();
    expect(page).toContain('href="/metrics"');
    expect(page).toContain("analytics");
    expect(page).toContain(WS_C);
    for (const secret of SECRETS) expect(page).not.toContain(secret);
  });

  it("counts packages entering failed exactly once, however many polls see them", async () => {
    const w = { workspace_id: WS_A };
    const releasing = sim.control.packages(P1, WS_A).filter((p) => p.deploy_status === DeployStatus.releasing);
    for (const p of releasing.slice(0, 3)) sim.control.setStatus(P1, WS_A, p.package_id, DeployStatus.failed, Date.now());
    await eventually(async () => sample(await scrape(exporter.url), F.failures, w) === 3, "three new failures");
    const before = sim.control.requestCounts()[`${P1}/${WS_A}`] ?? 0;
    await eventually(async () => (sim.control.requestCounts()[`${P1}/${WS_A}`] ?? 0) >= before + 10, "two more polls");
    const text = await scrape(exporter.url);
    expect(sample(text, F.failures, w)).toBe(3);
    expect(sample(text, F.packages, { ...w, status: "failed" })).toBe(expectedFrom(sim.control.packages(P1, WS_A)).counts.failed);
  });

  it("keeps a failing workspace's last values with up 0, drops them after stale_after, and keeps its health series", async () => {
    const w = { workspace_id: WS_B };
    sim.control.injectFault(P1, WS_B, { kind: "server_error", status: 503 });
    const down = await eventually(async () => {
      const text = await scrape(exporter.url);
      return sample(text, F.up, w) === 0 ? text : undefined;
    }, "the workspace to go down");
    expect(sample(down, F.packages, { ...w, status: "succeeded" })).toBe(30);
    expect(sample(down, F.pollErrors, { ...w, reason: "server" })).toBeGreaterThanOrEqual(1);
    const stale = await eventually(async () => {
      const text = await scrape(exporter.url);
      return sample(text, F.packages, { ...w, status: "succeeded" }) === undefined ? text : undefined;
    }, "the stale data to be dropped");
    expect(sample(stale, F.pendingOldestAge, w)).toBeUndefined();
    expect(sample(stale, F.up, w)).toBe(0);
    expect(sample(stale, F.info, w)).toBe(1);
    expect(sample(stale, F.lastSuccess, w)).toBeGreaterThan(0);
    expect(sample(stale, F.up, { workspace_id: WS_A })).toBe(1);
    sim.control.clearFaults();
    await eventually(async () => sample(await scrape(exporter.url), F.packages, { ...w, status: "succeeded" }) === 30, "recovery");
  });

  it("applies a valid config on SIGHUP: new workspaces start, removed ones lose every series", async () => {
    writeConfig(dir, configYaml(sim.url, WORKSPACES_A_NEW));
    exporter.child.kill("SIGHUP");
    const text = await eventually(async () => {
      const t = await scrape(exporter.url);
      return sample(t, F.up, { workspace_id: WS_NEW }) === 1 ? t : undefined;
    }, "the new workspace to be polled");
    expect(text).not.toContain(WS_B);
    expect(sample(text, F.reloadSuccessful, {})).toBe(1);
    expect(sample(text, F.failures, { workspace_id: WS_A })).toBe(3);
  });

  it("rejects an invalid config on POST /-/reload, keeps the old one running, and says so in the reload gauge", async () => {
    writeConfig(dir, "polling:\n  interval: soon\nprojects: []\n");
    const res = await fetch(`${exporter.url}/-/reload`, { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("polling.interval");
    const text = await scrape(exporter.url);
    expect(sample(text, F.reloadSuccessful, {})).toBe(0);
    const before = sim.control.requestCounts()[`${P1}/${WS_A}`] ?? 0;
    await eventually(async () => (sim.control.requestCounts()[`${P1}/${WS_A}`] ?? 0) > before, "polling to go on");
  });

  it("never writes a secret to its logs, even at debug level", () => {
    const logs = exporter.output();
    expect(logs).toContain('"poll failed"');
    expect(logs).toContain('"error_code"');
    expect(logs).toContain('"api request"');
    for (const secret of SECRETS) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/Signature=|X-Auth-Token|x-subject-token/i);
    // IAM tokens (the simulator's like Huawei's) start with MII.
    expect(logs).not.toMatch(/MII[\w-]{20,}/);
  });

  it("stops within a second of SIGTERM, exiting 0", async () => {
    const started = Date.now();
    exporter.child.kill("SIGTERM");
    const { code } = await exporter.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe("the command line", () => {
  it("checks a valid config and exits 0 without polling", async () => {
    const sim = await startSimulator({ scenario, port: 0 });
    try {
      const dir = tempDir();
      writeSimPassword(dir);
      const config = writeConfig(dir, configYaml(sim.url, WORKSPACES_AB));
      const result = runCli([`--config.file=${config}`, "--config.check"], env);
      expect(result.code).toBe(0);
      expect(sim.control.requestCounts()).toMatchObject({ iam: 0, workspaces: 0 });
    } finally {
      await sim.close();
    }
  });

  it("rejects an invalid config with exit status 2 and the problems, no stack trace", () => {
    const dir = tempDir();
    const config = writeConfig(dir, "polling:\n  intervall: 5s\nprojects: []\n");
    const result = runCli([`--config.file=${config}`, "--config.check"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("polling.intervall: unknown key");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("names a missing config file", () => {
    const result = runCli(["--config.file=/nonexistent/config.yml"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("/nonexistent/config.yml");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects an unknown flag and a bad listen address with exit status 2", () => {
    const unknown = runCli(["--web.listen-adress=:1"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--web.listen-adress");
    const bad = runCli(["--web.listen-address=nonsense"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--web.listen-address");
  });

  it("names the listen address it cannot bind, with exit status 1 and no stack trace", () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it, so listening there fails with EADDRNOTAVAIL.
    const result = runCli(["--demo", "--web.listen-address=192.0.2.1:0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("dataarts-exporter: cannot listen on 192.0.2.1:0: EADDRNOTAVAIL\n");
  });

  it("prints its version and help", () => {
    expect(runCli(["--version"]).stdout).toMatch(/^dataarts-exporter \d+\.\d+\.\d+/);
    const help = runCli(["--help"]).stdout;
    for (const flag of ["--config.file", "--web.listen-address", "--web.telemetry-path", "--log.level", "--log.format", "--config.check", "--demo", "--shard", "--total-shards", "--storage.path"]) {
      expect(help).toContain(flag);
    }
  });
});
