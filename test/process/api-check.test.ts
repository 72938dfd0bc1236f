import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, StartOptions, generatePackages } from "../../src/simulator";
import { makePki } from "../helpers/certs";
import { CLI, tempDir, writeConfig } from "../helpers/exporter-process";
import { simProjectYaml, withSim as withScenario, writeSimPassword } from "../helpers/sim";
import { Tinyproxy, freePort, startTinyproxy } from "../helpers/tinyproxy";

const P1 = "11111111111111111111111111111111";
const P2 = "22222222222222222222222222222222";
const WS_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const WS_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const WS_C = "cccccccccccccccccccccccccccccccc";
const INSTANCE = "inst-0001";
const PROXY_PASSWORD = "pr0xy-s3cret-pw";
/** Every secret any config here holds: none may appear in any output. */
const SECRETS = [SIM_CREDENTIALS.secretKey, SIM_CREDENTIALS.password, SIM_CREDENTIALS.staticToken, SIM_CREDENTIALS.securityToken, "wrong-s3cret-key", PROXY_PASSWORD];
/** What the run itself makes secret: IAM tokens the simulator issues (all start `MIIsim`) and AK/SK signatures. */
const RUNTIME_SECRETS = [/MIIsim/, /Signature=/, /SDK-HMAC-SHA256/];

const schema = JSON.parse(readFileSync(join(__dirname, "../../docs/api-check.schema.json"), "utf8")) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

const now = Date.now();
const pkgs = (projectId: string, workspaceId: string, seed: number) =>
  generatePackages({ projectId, workspaceId, now, seed, counts: { pending_review: 3, succeeded: 6, failed: 2, releasing: 2 } });

function scenario(): Scenario {
  return {
    projects: [
      {
        projectId: P1,
        instanceId: INSTANCE,
        workspaces: [
          { id: WS_A, name: "analytics", packages: pkgs(P1, WS_A, 1) },
          { id: WS_B, name: "finance", packages: pkgs(P1, WS_B, 2) },
        ],
      },
      { projectId: P2, workspaces: [{ id: WS_C, name: "iam-ws", packages: pkgs(P2, WS_C, 3) }] },
    ],
  };
}

interface Options {
  secretKey?: string;
  pagination?: string;
  timeout?: string;
  extra?: string;
}

/** P1 over AK/SK with WS_A listed and WS_B found by discovery; P2 over an IAM password. */
function config(url: string, o: Options = {}): string {
  return `
polling:
  timeout: ${o.timeout ?? "2s"}
  pagination: ${o.pagination ?? "auto"}
projects:
${simProjectYaml(P1, url, "aksk")}      - id: ${WS_A}
        name: analytics
    discover:
      instance_id: ${INSTANCE}
${o.extra ?? ""}
${simProjectYaml(P2, url, "password", "ap-southeast-3")}      - id: ${WS_C}
${o.extra ?? ""}`;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI, run asynchronously so that the simulator in this process can answer it. */
function apiCheck(configYaml: string, args: string[] = [], env: Record<string, string> = {}, secretKey: string = SIM_CREDENTIALS.secretKey): Promise<Run> {
  const dir = tempDir();
  writeSimPassword(dir);
  const file = writeConfig(dir, configYaml);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, `--config.file=${file}`, "--api.check", ...args], {
      env: { PATH: process.env.PATH ?? "", SIM_SK: secretKey, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      for (const secret of SECRETS) {
        expect(stdout).not.toContain(secret);
        expect(stderr).not.toContain(secret);
      }
      for (const secret of RUNTIME_SECRETS) {
        expect(stdout).not.toMatch(secret);
        expect(stderr).not.toMatch(secret);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON report, checked against docs/api-check.schema.json. */
function parsed(run: Run) {
  const report = JSON.parse(run.stdout);
  if (!validate(report)) throw new Error(`report does not match its schema: ${ajv.errorsText(validate.errors)}`);
  return report as {
    result: string;
    projects: Array<{
      project_id: string;
      endpoints: Array<Record<string, any>>;
      auth: Record<string, any>;
      discovery: Record<string, any> | null;
      other_shards: number;
      workspaces: Array<Record<string, any>>;
    }>;
  };
}

/** A simulator of this file's scenario, started with `opts`, for the length of `fn`. */
const withSim = <T>(opts: Omit<StartOptions, "scenario">, fn: (sim: RunningSimulator) => Promise<T>): Promise<T> => withScenario(scenario(), fn, opts);

describe("--api.check through the real CLI against the simulator", () => {
  it("passes a good config: every endpoint, auth, discovered workspace and query, exit 0", async () => {
    await withSim({}, async (sim) => {
      const run = await apiCheck(config(sim.url));
      expect(run.code).toBe(0);
      const out = run.stdout;
      expect(out).toContain(`Project ${P1} (cn-north-4): ok`);
      expect(out).toContain(`auth aksk as ${SIM_CREDENTIALS.accessKey}: ok`);
      expect(out).toMatch(new RegExp(`auth password as sim-user \\(domain sim-domain\\): ok, token expires \\d{4}-`));
      expect(out).toContain(`discovery instance ${INSTANCE}: ok, 2 workspace(s): analytics (${WS_A}), finance (${WS_B})`);
      expect(out).toContain(`workspace finance (${WS_B}, discovered): ok`);
      expect(out).toMatch(/query {6}\{"deploy_status_filter":\[1\].*\} -> 200 \d+ ms, total 3, 1 returned, request [0-9a-f]{32}/);
      expect(out).toContain("offset     read as a page number");
      expect(out).toMatch(/publish {4}pending_review 3, succeeded 6, failed 2, releasing 2; oldest pending \d/);
      expect(out).toContain("clock      the service's clock is in step with ours");
      expect(out).toMatch(/^Result: PASS \(\d+ passed, 0 with warnings, 0 failed\)/m);

      const json = await apiCheck(config(sim.url), ["--api.check.format=json"]);
      expect(json.code).toBe(0);
      const report = parsed(json);
      expect(report.result).toBe("pass");
      const ws = report.projects[0]!.workspaces.find((w) => w.workspace_id === WS_A)!;
      expect(ws.would_publish.counts).toEqual({ pending_review: 3, succeeded: 6, failed: 2, releasing: 2 });
      expect(ws.queries.length).toBeLessThanOrEqual(8);
      expect(ws.queries.every((q: { request_id: string }) => /^[0-9a-f]{32}$/.test(q.request_id))).toBe(true);
    });
  });

  it("fails a wrong secret key as refused auth, exit 1", async () => {
    await withSim({}, async (sim) => {
      const run = await apiCheck(config(sim.url), [], {}, "wrong-s3cret-key");
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`auth aksk as ${SIM_CREDENTIALS.accessKey}: FAIL`);
      expect(run.stdout).toMatch(/FAIL {2}refused: HTTP 401: APIGW\.0301 \(Incorrect IAM authentication information: signature does not match\)/);
      expect(run.stdout).not.toContain("clock is the cause");
      expect(run.stdout).toMatch(/^Result: FAIL/m);
      const report = parsed(await apiCheck(config(sim.url), ["--api.check.format=json"], {}, "wrong-s3cret-key"));
      expect(report.projects[0]!.auth.result).toBe("fail");
      expect(report.projects[1]!.auth.result).toBe("pass");
    });
  });

  it("fails a clock 20 minutes off the service's, naming the clock as the cause, exit 1", async () => {
    await withSim({ clockOffsetMs: 20 * 60_000 }, async (sim) => {
      const run = await apiCheck(config(sim.url));
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/clock {6}the service's clock is 20m\ds ahead of ours \(over 5 minutes: flagged\)/);
      expect(run.stdout).toMatch(/FAIL {2}clock: the local clock is 20m\ds behind the service's; AK\/SK signatures are refused past 15 minutes: fix the clock \(NTP\)/);
      expect(run.stdout).toMatch(/beyond the 15m0s signature window: the clock is the cause/);
      const report = parsed(await apiCheck(config(sim.url), ["--api.check.format=json"]));
      const clock = report.projects[0]!.endpoints[0]!.clock;
      expect(clock.flagged).toBe(true);
      expect(Math.abs(clock.skew_seconds - 1200)).toBeLessThan(3);
    });
  });

  it("flags a clock 6 minutes off but passes, as signatures still work, exit 0", async () => {
    await withSim({ clockOffsetMs: -6 * 60_000 }, async (sim) => {
      const run = await apiCheck(config(sim.url));
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/WARN {2}clock: the local clock is 6m\ds ahead of the service's; signatures are refused past 15 minutes/);
    });
  });

  it("fails an unreachable endpoint at connect, with reason network for every query, exit 1", async () => {
    const port = await freePort();
    const run = await apiCheck(config(`http://127.0.0.1:${port}`));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`endpoint http://127.0.0.1:${port} (dataarts): FAIL`);
    expect(run.stdout).toContain(`FAIL  cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(run.stdout).toContain(`FAIL  network: request to 127.0.0.1:${port} failed: ECONNREFUSED`);
    expect(run.stdout).toContain("FAIL  IAM token: network:");
    expect(run.stdout).toContain("not checked: authentication failed");
    parsed(await apiCheck(config(`http://127.0.0.1:${port}`), ["--api.check.format=json"]));
  });

  it("reports a hanging workspace as a timeout after polling.timeout while the others pass, exit 1", async () => {
    await withSim({}, async (sim) => {
      sim.control.injectFault(P1, WS_B, { kind: "hang" });
      const run = await apiCheck(config(sim.url, { timeout: "700ms" }), ["--api.check.format=json"]);
      expect(run.code).toBe(1);
      const report = parsed(run);
      const hung = report.projects[0]!.workspaces.find((w) => w.workspace_id === WS_B)!;
      expect(hung.findings).toEqual([{ severity: "fail", message: "timeout: no answer within 700ms" }]);
      expect(hung.queries).toHaveLength(1);
      expect(hung.queries[0].status).toBe("error");
      expect(report.projects[0]!.workspaces.find((w) => w.workspace_id === WS_A)!.result).toBe("pass");
      expect(sim.control.requestCounts()[`${P1}/${WS_B}`]).toBe(1);
    });
  });

  it("finds a service that reads offset as a record offset: fine under auto, a failure when the config says page", async () => {
    await withSim({ offsetMode: "offset" }, async (sim) => {
      const auto = await apiCheck(config(sim.url));
      expect(auto.code).toBe(0);
      expect(auto.stdout).toContain("offset     read as a record offset (offset=N skips N packages)");
      const page = await apiCheck(config(sim.url, { pagination: "page" }));
      expect(page.code).toBe(1);
      expect(page.stdout).toContain("FAIL  polling.pagination is page but the service reads offset as a record offset: set pagination: auto or offset");
    });
  });

  it("warns about a deploy_status outside the documented set and the packages it leaves uncounted, exit 0", async () => {
    await withSim({}, async (sim) => {
      sim.control.addPackages(P1, WS_A, [
        { package_id: "odd-1", package_name: "odd", apply_timestamp: Date.now(), deploy_status: 7, deploy_timestamp: 0, apply_user_name: "dev" },
      ]);
      const run = await apiCheck(config(sim.url));
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`workspace analytics (${WS_A}, config): WARN`);
      expect(run.stdout).toContain("WARN  deploy_status 7 is outside the documented set (1, 2, 3, 5) in 1 sample package(s)");
      expect(run.stdout).toContain("WARN  the per-status totals add up to 13 but the workspace holds 14 package(s): 1 are in statuses the exporter does not count");
    });
  });

  it("shows the proxy, the CONNECT and the private CA's certificate for an https:// endpoint through tinyproxy", async () => {
    const pki = makePki("Inspecting Corp");
    let proxy: Tinyproxy | undefined;
    await withSim({ tls: { cert: pki.cert, key: pki.key } }, async (sim) => {
      proxy = await startTinyproxy();
      const tls = `    tls:\n      ca_file: ${pki.caFile}\n`;
      const run = await apiCheck(config(sim.url, { extra: tls }), [], { HTTPS_PROXY: `http://user:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}` });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`proxy      127.0.0.1:${proxy.port} (from HTTPS_PROXY)`);
      expect(run.stdout).toMatch(/tunnel {5}CONNECT answered 200 in \d+ ms/);
      expect(run.stdout).toMatch(/tls {8}TLSv1\.[23] in \d+ ms, trusted/);
      expect(run.stdout).toMatch(/cert {7}subject O=Inspecting Corp, CN=dataarts-simulator; issuer O=Inspecting Corp, CN=Inspecting Corp Root CA; expires \S+ \((19|20) days\)/);
      expect(proxy.connects().some((l) => l.includes(`CONNECT 127.0.0.1:${sim.port}`))).toBe(true);

      const untrusted = await apiCheck(config(sim.url), [], { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}` });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stdout).toMatch(/tls {8}TLSv1\.[23] in \d+ ms, NOT trusted/);
      expect(untrusted.stdout).toContain("FAIL  TLS: the certificate of 127.0.0.1:");
    }).finally(() => proxy?.stop());
  });

  it("checks only this shard's workspaces, discovered ones included, and says how many it left to the others", async () => {
    await withSim({}, async (sim) => {
      const checked: string[] = [];
      let left = 0;
      for (const shard of ["0", "1"]) {
        const report = parsed(await apiCheck(config(sim.url), ["--api.check.format=json", "--total-shards=2", `--shard=${shard}`]));
        for (const p of report.projects) {
          checked.push(...p.workspaces.map((w) => w.workspace_id));
          left += p.other_shards;
        }
      }
      expect(checked.sort()).toEqual([WS_A, WS_B, WS_C]);
      expect(left).toBe(3);
    });
  });

  it("exits 2 for an invalid config without contacting anything", async () => {
    const run = await apiCheck("projects: []\n");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("projects: must list at least one project");
    expect(run.stdout).toBe("");
  });
});
