import { spawnSync } from "node:child_process";
import { closeSync, openSync, ftruncateSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { crc32, gunzipSync } from "node:zlib";
import { DeployStatus, ReleasePackage } from "../../src/dataarts/model";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, generatePackages, startSimulator } from "../../src/simulator";
import { expectedFrom } from "../helpers/expected";
import { ExporterProcess, eventually, runCli, scrape, startExporterOn, tempDir, writeConfig } from "../helpers/exporter-process";
import { family, promtoolCheckMetrics, sample } from "../helpers/promtool";
import { simProjectYaml, writeSimPassword } from "../helpers/sim";

const P = "11111111111111111111111111111111";
const WS_OK = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const WS_NULL = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const WS_TIME = "cccccccccccccccccccccccccccccccc";
const WS_HUGE = "dddddddddddddddddddddddddddddddd";
const DAY = 86_400_000;

/** Every key that holds a secret or names a file holding one (access_key is an ID, but it is checked too). */
const SECRET_KEYS = ["password", "password_file", "secret_key", "secret_key_file", "security_token", "security_token_file", "token", "token_file", "access_key"];
const typoSecret = (key: string, sep: string) => `Hunter2-TOPSECRET-${key}${sep === "=" ? "-eq" : ""}`;
const TYPO_SECRETS = SECRET_KEYS.flatMap((key) => [":", "="].map((sep) => typoSecret(key, sep)));
/** Every secret any config of this file holds; none may show anywhere. */
const SECRETS = [SIM_CREDENTIALS.password, SIM_CREDENTIALS.secretKey, SIM_CREDENTIALS.securityToken, SIM_CREDENTIALS.staticToken, ...TYPO_SECRETS];

function pkgs(workspaceId: string, seed: number): ReleasePackage[] {
  return generatePackages({ projectId: P, workspaceId, counts: { pending_review: 3, succeeded: 10, failed: 2, releasing: 2 }, now: Date.now(), seed });
}

const now = Date.now();
/** Timestamps that are not Unix milliseconds: 0, and seconds (10 digits). */
const BAD_TIMES: ReleasePackage[] = [
  { package_id: "bad-zero", package_name: "zero", apply_user_name: "eve", apply_timestamp: 0, deploy_status: DeployStatus.pendingReview, deploy_timestamp: 0 },
  { package_id: "bad-seconds", package_name: "seconds", apply_user_name: "eve", apply_timestamp: Math.floor((now - 3 * DAY) / 1000), deploy_status: DeployStatus.pendingReview, deploy_timestamp: 0 },
  { package_id: "bad-release", package_name: "release", apply_user_name: "eve", apply_timestamp: now - DAY, deploy_status: DeployStatus.releasing, deploy_timestamp: Math.floor((now - DAY) / 1000) },
];
const GOOD_TIMES = pkgs(WS_TIME, 3);

const scenario: Scenario = {
  projects: [
    {
      projectId: P,
      workspaces: [
        { id: WS_OK, name: "ok", packages: pkgs(WS_OK, 1) },
        { id: WS_NULL, name: "nulls", packages: pkgs(WS_NULL, 2), faults: [{ kind: "null_fields" }] },
        { id: WS_TIME, name: "times", packages: [...GOOD_TIMES, ...BAD_TIMES] },
        { id: WS_HUGE, name: "huge", packages: [], faults: [{ kind: "status", status: 400, errorCode: "DLF.3051", errorMsg: "The request is invalid. ", errorMsgBytes: 5_000_000 }] },
      ],
    },
  ],
};

function goodConfig(url: string): string {
  return `
polling:
  interval: 1s
  timeout: 800ms
metrics:
  package_series: true
  package_series_limit: 5
projects:
${simProjectYaml(P, url, "password")}      - {id: ${WS_OK}, name: ok}
      - {id: ${WS_NULL}, name: nulls}
      - {id: ${WS_TIME}, name: times}
      - {id: ${WS_HUGE}, name: huge}
`;
}

/** A valid config whose auth block holds `auth` lines (by default a static token). */
function configWithAuth(auth: string[] = ["type: token", `token: ${SIM_CREDENTIALS.staticToken}`]): string {
  return [
    "projects:",
    `  - project_id: ${P}`,
    "    region: cn-north-4",
    "    auth:",
    ...auth.map((line) => `      ${line}`),
    "    workspaces:",
    `      - id: ${WS_OK}`,
    "",
  ].join("\n");
}

/** Eight levels of ten aliases under a key the exporter does not know: 10^8 nodes once expanded. */
function aliasBomb(base: string): string {
  const levels = ["bomb:", "  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let i = 1; i <= 8; i++) levels.push(`  l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(", ")}]`);
  return `${base}${levels.join("\n")}\n`;
}

/** One auth line per secret key name, each missing its space: `password:Hunter2-...`, `password=Hunter2-...`. */
const TYPO_LINES = SECRET_KEYS.flatMap((key) => [":", "="].map((sep) => `${key}${sep}${typoSecret(key, sep)}:`));

/** `--config.check` through the real CLI (a hang is killed, see runCli), with stderr's lines. */
function configCheck(configFile: string) {
  const result = runCli([`--config.file=${configFile}`, "--config.check"]);
  return { ...result, lines: result.stderr.split("\n").filter(Boolean) };
}

describe("--config.check on hostile files", () => {
  const dir = tempDir();
  const fifo = join(dir, "secret.fifo");
  const big = join(dir, "secret-100mb.txt");

  beforeAll(() => {
    const made = spawnSync("mkfifo", [fifo]);
    if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
    // 100 MB without writing them: a sparse file reads as zeros.
    const fd = openSync(big, "w");
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
  });

  const oneLine = (result: ReturnType<typeof configCheck>, pattern: RegExp) => {
    expect(result.signal).toBeNull();
    expect(result.code).toBe(2);
    expect(result.lines).toHaveLength(1);
    expect(result.lines[0]).toMatch(pattern);
  };

  it("answers a YAML alias bomb with exit status 2 and one line", () => {
    oneLine(configCheck(writeConfig(dir, aliasBomb(configWithAuth()), "bomb.yml")), /^dataarts-exporter: config\.file: its aliases expand past the limit of \d+ \(a YAML alias bomb\?\)$/);
  }, 40_000);

  it.each([
    ["/dev/zero", "/dev/zero", "not a regular file (a character device)"],
    ["a FIFO", fifo, "not a regular file (a named pipe)"],
    ["a 100 MB file", big, "larger than 65536 bytes"],
  ])("answers secret_key_file: %s with exit status 2 and one line naming the key and the path", (_what, path, reason) => {
    const config = configWithAuth(["type: aksk", "access_key: AKEXAMPLE", `secret_key_file: ${path}`]);
    const result = configCheck(writeConfig(dir, config, "secret-file.yml"));
    oneLine(result, /^dataarts-exporter: projects\[0\]\.auth\.secret_key_file: cannot read /);
    expect(result.lines[0]).toBe(`dataarts-exporter: projects[0].auth.secret_key_file: cannot read ${path}: ${reason}`);
  }, 40_000);

  it.each([
    ["/dev/zero", "/dev/zero", "not a regular file (a character device)"],
    ["a FIFO", fifo, "not a regular file (a named pipe)"],
    ["a 100 MB file", big, "larger than 1048576 bytes"],
  ])("answers --config.file=%s with exit status 2 and one line", (_what, path, reason) => {
    oneLine(configCheck(path), new RegExp(`^dataarts-exporter: config\\.file: cannot read ${path}: ${reason.replace(/[()]/g, "\\$&")}$`));
  }, 40_000);

  it("answers the typo of the report, password:Hunter2-TOPSECRET in a flow mapping, without the password", () => {
    const yaml = configWithAuth().replace(/    auth:\n.*\n.*\n/, "    auth: {type: password, domain: d, user: u, password:Hunter2-TOPSECRET}\n");
    const result = configCheck(writeConfig(dir, yaml, "report.yml"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('projects[0].auth: unknown key at line 4, column 48, starting "password:"');
    expect(result.stderr).not.toContain("TOPSECRET");
  }, 40_000);

  it("names where a key without its space is, and the key name, but never the secret after it", () => {
    const result = configCheck(writeConfig(dir, configWithAuth(["type: token", `token: ${SIM_CREDENTIALS.staticToken}`, ...TYPO_LINES]), "typos.yml"));
    expect(result.code).toBe(2);
    const unknown = result.lines.filter((l) => l.includes("unknown key"));
    expect(unknown).toHaveLength(TYPO_LINES.length);
    TYPO_LINES.forEach((line, i) => {
      const name = line.slice(0, line.search(/[:=]/) + 1);
      expect(unknown[i]).toBe(
        `  projects[0].auth: unknown key at line ${7 + i}, column 7, starting "${name}" (the rest is not shown; write "${name.slice(0, -1)}: value"${name.endsWith(":") ? ", with a space after the colon" : ""})`,
      );
    });
    for (const secret of SECRETS) expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
  }, 40_000);
});

/** The raw bytes a server sends for `text`, until it closes the connection. */
function rawExchange(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.end(text);
  });
}

function gzipScrape(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/metrics`, { headers: { "Accept-Encoding": "gzip" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    });
    req.on("error", reject);
    req.end();
  });
}

const familiesOf = (text: string) => new Set(text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]));

describe("the exporter process facing a hostile service, client and config", () => {
  let sim: RunningSimulator;
  let exporter: ExporterProcess;
  let dir: string;
  let configFile: string;
  const reloadBodies: string[] = [];

  const reload = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${exporter.url}/-/reload`, { method: "POST", signal: AbortSignal.timeout(5_000) });
    const body = await res.text();
    reloadBodies.push(body);
    return { status: res.status, body };
  };

  beforeAll(async () => {
    sim = await startSimulator({ scenario, port: 0 });
    dir = tempDir();
    writeSimPassword(dir);
    const started = await startExporterOn(goodConfig(sim.url), ["--log.level=debug", "--web.enable-lifecycle"], {}, dir);
    exporter = started;
    configFile = started.configFile;
    await eventually(async () => sample(await scrape(exporter.url), F.up, { workspace_id: WS_OK }) === 1 || undefined, "the sound workspace to be up");
  });

  /** A scrape once `workspaceId` is up: each test waits for its own workspace, so each fails on its own. */
  const whenUp = (workspaceId: string) =>
    eventually(async () => {
      const text = await scrape(exporter.url);
      return sample(text, F.up, { workspace_id: workspaceId }) === 1 ? text : undefined;
    }, `workspace ${workspaceId} to be up`);

  afterAll(async () => {
    await exporter?.stop();
    await sim?.close();
  });

  it("keeps a workspace up whose packages have null optional fields, with empty label values", async () => {
    const text = await whenUp(WS_NULL);
    const want = expectedFrom(sim.control.packages(P, WS_NULL));
    const w = { workspace_id: WS_NULL };
    expect(sample(text, F.up, w)).toBe(1);
    for (const status of ["pending_review", "succeeded", "failed", "releasing"] as const) {
      expect(sample(text, F.packages, { ...w, status })).toBe(want.counts[status]);
    }
    const series = family(text, F.pendingAge).filter((s) => s.labels.workspace_id === WS_NULL);
    expect(series.map((s) => s.labels.package_id)).toEqual(want.pendingOldestFirst.map((p) => p.package_id));
    for (const s of series) expect(s.labels).toMatchObject({ package_name: "", applicant: "" });
    expect(sample(text, F.pollErrors, { ...w, reason: "invalid_response" })).toBe(0);
  });

  it("leaves packages whose timestamps are 0 or in seconds out of the ages, and says why at debug level", async () => {
    const text = await whenUp(WS_TIME);
    const want = expectedFrom(GOOD_TIMES);
    const w = { workspace_id: WS_TIME };
    expect(sample(text, F.up, w)).toBe(1);
    expect(sample(text, F.packages, { ...w, status: "pending_review" })).toBe(want.counts.pending_review + 2);
    expect(sample(text, F.pendingOldestTimestamp, w)).toBe(want.oldestPendingMs / 1000);
    const pendingAge = sample(text, F.pendingOldestAge, w)!;
    expect(Math.abs(pendingAge - (Date.now() - want.oldestPendingMs) / 1000)).toBeLessThan(10);
    const releasingAge = sample(text, F.releasingOldestAge, w)!;
    expect(Math.abs(releasingAge - (Date.now() - want.oldestReleasingMs) / 1000)).toBeLessThan(10);
    const ids = family(text, F.pendingAge).filter((s) => s.labels.workspace_id === WS_TIME).map((s) => s.labels.package_id);
    expect(ids).toEqual(want.pendingOldestFirst.map((p) => p.package_id));
    const logs = exporter.output().split("\n").filter((l) => l.includes("package left out of the ages"));
    for (const id of ["bad-zero", "bad-seconds", "bad-release"]) {
      expect(logs.some((l) => JSON.parse(l).package_id === id && JSON.parse(l).level === 20)).toBe(true);
    }
  });

  it("logs a service's 5 MB error message cut to a few hundred characters, saying how much was cut", async () => {
    await eventually(async () => exporter.output().includes(`"workspace_id":"${WS_HUGE}"`) && exporter.output().includes('"poll failed"'), "a failed poll of the workspace");
    const failed = exporter.output().split("\n").filter((l) => l.includes('"poll failed"') && l.includes(WS_HUGE));
    expect(failed.length).toBeGreaterThan(0);
    for (const line of failed) {
      expect(line.length).toBeLessThan(1_000);
      expect(JSON.parse(line).err).toMatch(/^HTTP 400: DLF\.3051 \(The request is invalid\. .*… \(\d+ more characters cut\)\)$/);
    }
    for (const line of exporter.output().split("\n")) expect(line.length).toBeLessThan(10_000);
  });

  it("serves gzip as one member, which curl --compressed reads in full", async () => {
    const gz = await gzipScrape(exporter.url);
    const text = gunzipSync(gz);
    // The trailer of the last member covers the whole text only when there is one member.
    expect(gz.readUInt32LE(gz.length - 4)).toBe(text.length);
    expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32(text));
    const curl = spawnSync("curl", ["-sS", "--compressed", `${exporter.url}/metrics`], { encoding: "utf8" });
    if (curl.error) throw new Error(`curl is not installed (.ci/run installs it): ${curl.error.message}`);
    expect(curl.status).toBe(0);
    const identity = await scrape(exporter.url);
    expect(familiesOf(curl.stdout)).toEqual(familiesOf(identity));
    expect(familiesOf(curl.stdout)).toContain(F.pendingOldestAge);
    expect(familiesOf(curl.stdout)).toContain("process_cpu_user_seconds_total");
    expect(promtoolCheckMetrics(curl.stdout)).toBe("");
  });

  it.each(["PUT", "DELETE", "PATCH", "POST"])("answers %s /metrics with 405 and Allow: GET, HEAD", async (method) => {
    const res = await fetch(`${exporter.url}/metrics`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers GET /-/reload with 405 and Allow: POST, and an unknown path with 404", async () => {
    const res = await fetch(`${exporter.url}/-/reload`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await fetch(`${exporter.url}/nowhere`, { method: "PUT" })).status).toBe(404);
  });

  it.each(["/", "/-/healthy", "/metrics"])("answers HEAD %s with 200 and headers only", async (path) => {
    const answer = await rawExchange(exporter.url, `HEAD ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith("\r\n\r\n")).toBe(true);
    expect(answer.indexOf("\r\n\r\n")).toBe(answer.length - 4);
  });

  it("rejects a reload that meets an alias bomb, a FIFO or /dev/zero at once, and keeps serving the last good config", async () => {
    const fifo = join(dir, "password.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const cases: Array<[string, RegExp]> = [
      [aliasBomb(goodConfig(sim.url)), /config\.file: its aliases expand past the limit/],
      [goodConfig(sim.url).replace("password_file: password.txt", `password_file: ${fifo}`), /password_file: cannot read .*: not a regular file \(a named pipe\)/],
      [goodConfig(sim.url).replace("password_file: password.txt", "password_file: /dev/zero"), /password_file: cannot read \/dev\/zero: not a regular file/],
    ];
    for (const [yaml, reason] of cases) {
      writeConfig(dir, yaml);
      const { status, body } = await reload();
      expect(status).toBe(400);
      expect(body).toMatch(reason);
    }
    // The same through SIGHUP: the process must stay responsive.
    writeConfig(dir, cases[1]![0]);
    exporter.child.kill("SIGHUP");
    await eventually(async () => exporter.output().split("\n").filter((l) => l.includes("config reload rejected")).length >= 4, "the SIGHUP reload to be rejected");
    expect((await fetch(`${exporter.url}/-/healthy`, { signal: AbortSignal.timeout(2_000) })).status).toBe(200);
    const text = await scrape(exporter.url);
    expect(sample(text, F.reloadSuccessful, {})).toBe(0);
    expect(sample(text, F.up, { workspace_id: WS_OK })).toBe(1);
    const before = sim.control.requestCounts()[`${P}/${WS_OK}`]!;
    await eventually(async () => sim.control.requestCounts()[`${P}/${WS_OK}`]! > before || undefined, "polling to go on with the last good config");
  });

  it("rejects a reload with a key missing its space without echoing the secret, for every secret key name", async () => {
    const lines = goodConfig(sim.url).split("\n");
    const at = lines.findIndex((l) => l.includes("password_file:"));
    lines.splice(at + 1, 0, ...TYPO_LINES.map((l) => `      ${l}`));
    writeConfig(dir, lines.join("\n"));
    const { status, body } = await reload();
    expect(status).toBe(400);
    expect(body.match(/unknown key at line \d+, column 7/g)).toHaveLength(TYPO_LINES.length);
  });

  it("never shows a secret of any config in its logs, reload answers, metrics or landing page", async () => {
    const shown = [exporter.output(), ...reloadBodies, await scrape(exporter.url), await (await fetch(`${exporter.url}/`)).text()].join("\n");
    expect(reloadBodies.length).toBeGreaterThanOrEqual(4);
    for (const secret of SECRETS) expect(shown).not.toContain(secret);
    expect(shown).not.toContain("TOPSECRET");
    expect(shown).not.toMatch(/MII[\w-]{20,}/);
  });

  it("still stops on SIGTERM, exiting 0", async () => {
    exporter.child.kill("SIGTERM");
    expect((await exporter.exited).code).toBe(0);
  });
});
