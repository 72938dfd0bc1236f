import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { RunningSimulator, SIM_CREDENTIALS, startSimulator } from "../../src/simulator";
import { makePki, TestPki } from "../helpers/certs";
import { ExporterProcess, eventually, scrape, startExporterOn, tempDir } from "../helpers/exporter-process";
import { family } from "../helpers/promtool";
import { PROJECT, SIM_ENV, WS, oneWorkspace, oneWorkspaceConfig as configFor, packages } from "../helpers/sim";
import { Tinyproxy, freePort, startTinyproxy } from "../helpers/tinyproxy";

const PROXY_USER = "exporter";
const PROXY_PASSWORD = "pr0xy-s3cret-pw";
const SECRETS = [SIM_CREDENTIALS.secretKey, PROXY_PASSWORD];

const up = (text: string) => family(text, F.up).find((s) => s.labels.workspace_id === WS)?.value;
const errors = (text: string, reason: string) =>
  family(text, F.pollErrors).find((s) => s.labels.workspace_id === WS && s.labels.reason === reason)?.value ?? 0;

describe("proxies and TLS to the service, with tinyproxy and a test CA", () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let https: RunningSimulator;
  let http: RunningSimulator;
  let proxy: Tinyproxy;
  let authProxy: Tinyproxy;
  let dir: string;
  const running: ExporterProcess[] = [];

  const start = async (yaml: string, env: Record<string, string> = {}) => {
    const exporter = await startExporterOn(yaml, [], { ...SIM_ENV, ...env }, dir, `config-${running.length}.yml`);
    running.push(exporter);
    return exporter;
  };
  const whenUp = (exporter: ExporterProcess) =>
    eventually(async () => {
      const text = await scrape(exporter.url);
      if (up(text) !== 1) throw new Error(`not up; the exporter said:\n${exporter.output().split("\n").slice(-4).join("\n")}`);
      return text;
    }, "the workspace to be up");
  const whenFailing = (exporter: ExporterProcess) =>
    eventually(async () => {
      const text = await scrape(exporter.url);
      return errors(text, "network") > 0 ? text : undefined;
    }, "a network error");
  const noSecretIn = (text: string) => {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  };

  beforeAll(async () => {
    pki = makePki("Inspecting Corp");
    otherPki = makePki("Someone Else");
    dir = tempDir();
    const scenario = oneWorkspace(packages({ pending_review: 2, succeeded: 5, failed: 1, releasing: 1 }));
    https = await startSimulator({ scenario, port: 0, tls: { cert: pki.cert, key: pki.key } });
    http = await startSimulator({ scenario, port: 0 });
    proxy = await startTinyproxy();
    authProxy = await startTinyproxy({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } });
  });

  afterEach(async () => {
    for (const e of running.splice(0)) {
      noSecretIn(e.output());
      await e.stop();
    }
  });

  afterAll(async () => {
    await Promise.all([https?.close(), http?.close(), proxy?.stop(), authProxy?.stop()]);
  });

  it("tunnels an https:// endpoint through HTTPS_PROXY with CONNECT, so TLS and the signature are end to end", async () => {
    const before = proxy.connects().length;
    const exporter = await start(configFor(https.url, `    tls:\n      ca_file: ${pki.caFile}\n`), {
      HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
    });
    await whenUp(exporter);
    const connects = proxy.connects().slice(before);
    expect(connects.some((l) => l.includes(`CONNECT 127.0.0.1:${https.port}`))).toBe(true);
    expect(exporter.output()).toContain(`"proxy":"127.0.0.1:${proxy.port}"`);
    expect(exporter.output()).toContain(`"proxy_from":"HTTPS_PROXY"`);
  });

  it("sends an http:// endpoint to http_proxy (lower case) as an absolute-URI request", async () => {
    const before = proxy.log().length;
    const exporter = await start(configFor(http.url), { http_proxy: `http://127.0.0.1:${proxy.port}` });
    await whenUp(exporter);
    expect(proxy.log().slice(before)).toContain(`POST http://127.0.0.1:${http.port}/v2/${PROJECT}/factory/release-packages`);
  });

  it("bypasses the proxy for hosts in NO_PROXY", async () => {
    const before = proxy.log().length;
    const exporter = await start(configFor(https.url, `    tls:\n      ca_file: ${pki.caFile}\n`), {
      HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
      NO_PROXY: "localhost,127.0.0.1",
    });
    await whenUp(exporter);
    expect(proxy.log().slice(before)).not.toContain(`127.0.0.1:${https.port}`);
    expect(exporter.output()).not.toContain('"requests go through a proxy"');
  });

  it("fails with reason network naming the proxy host and port, never its credentials, when nothing listens there", async () => {
    const deadPort = await freePort();
    const exporter = await start(configFor(https.url, `    tls:\n      ca_file: ${pki.caFile}\n`), {
      HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${deadPort}`,
    });
    const text = await whenFailing(exporter);
    expect(up(text)).toBe(0);
    expect(exporter.output()).toContain(`cannot reach proxy 127.0.0.1:${deadPort} (from HTTPS_PROXY): ECONNREFUSED`);
  });

  it("lets a project's proxy_url override the environment, with its credentials sent to a proxy that asks for them", async () => {
    const before = authProxy.connects().length;
    const exporter = await start(
      configFor(https.url, `    proxy_url: http://${PROXY_USER}:\${PROXY_PW}@127.0.0.1:${authProxy.port}\n    tls:\n      ca_file: ${pki.caFile}\n`),
      { HTTPS_PROXY: `http://127.0.0.1:${await freePort()}`, PROXY_PW: PROXY_PASSWORD },
    );
    await whenUp(exporter);
    expect(authProxy.connects().slice(before).some((l) => l.includes(`CONNECT 127.0.0.1:${https.port}`))).toBe(true);
    expect(exporter.output()).toContain(`"proxy_from":"proxy_url"`);
  });

  it("reports a proxy that refuses the tunnel (wrong credentials) as reason network naming it", async () => {
    const exporter = await start(
      configFor(https.url, `    proxy_url: http://${PROXY_USER}:wrong@127.0.0.1:${authProxy.port}\n    tls:\n      ca_file: ${pki.caFile}\n`),
    );
    await whenFailing(exporter);
    expect(exporter.output()).toContain(`proxy 127.0.0.1:${authProxy.port} refused the tunnel (CONNECT answered HTTP 401)`);
    expect(exporter.output()).not.toContain("wrong@");
  });

  it("fails with a clear TLS message when the service's CA is not trusted", async () => {
    const exporter = await start(configFor(https.url));
    const text = await whenFailing(exporter);
    expect(up(text)).toBe(0);
    expect(exporter.output()).toMatch(/TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); for a private or TLS-inspecting CA set tls.ca_file, or NODE_EXTRA_CA_CERTS/);
  });

  it("trusts the CA through NODE_EXTRA_CA_CERTS, the process-wide alternative", async () => {
    const exporter = await start(configFor(https.url), { NODE_EXTRA_CA_CERTS: pki.caFile });
    await whenUp(exporter);
  });

  it("works with insecure_skip_verify, warning about it at start", async () => {
    const exporter = await start(configFor(https.url, "    tls:\n      insecure_skip_verify: true\n"));
    await whenUp(exporter);
    const warning = exporter.output().split("\n").find((l) => l.includes("insecure_skip_verify is true"));
    expect(warning).toContain('"level":40');
  });

  it("re-reads the CA file on reload", async () => {
    const caFile = join(dir, "ca-reloaded.pem");
    copyFileSync(otherPki.caFile, caFile);
    const exporter = await start(configFor(https.url, `    tls:\n      ca_file: ${caFile}\n`));
    await whenFailing(exporter);
    copyFileSync(pki.caFile, caFile);
    exporter.child.kill("SIGHUP");
    await whenUp(exporter);
  });
});
