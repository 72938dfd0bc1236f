import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import bcrypt from "bcryptjs";
import { WebConfigError, loadWebConfig, secureContextOptions } from "../../../src/http/web-config";

/** The exporter-toolkit's own test fixtures, installed by Debian's golang-github-prometheus-exporter-toolkit-dev (.ci/run). */
const TOOLKIT = "/usr/share/gocode/src/github.com/prometheus/exporter-toolkit/web/testdata";
const OURS = resolve(__dirname, "../../fixtures/web-config");

function promtoolAccepts(file: string): boolean {
  const r = spawnSync("promtool", ["check", "web-config", file], { encoding: "utf8" });
  if (r.error) throw new Error(`promtool is not installed (.ci/run installs Debian's prometheus): ${r.error.message}`);
  return r.status === 0;
}

function weAccept(file: string): boolean {
  try {
    loadWebConfig(file, (p) => readFileSync(p));
    return true;
  } catch (err) {
    if (!(err instanceof WebConfigError)) throw err;
    expect(err.message).not.toContain("\n");
    return false;
  }
}

describe("the web config reader agrees with promtool check web-config", () => {
  it("finds the exporter-toolkit fixtures (Debian package golang-github-prometheus-exporter-toolkit-dev)", () => {
    expect(existsSync(TOOLKIT)).toBe(true);
  });

  const fixtures = existsSync(TOOLKIT) ? readdirSync(TOOLKIT).filter((f) => f.endsWith(".yml")) : [];
  it.each(fixtures)("on the toolkit's %s", (name) => {
    const file = join(TOOLKIT, name);
    expect({ name, accepted: weAccept(file) }).toEqual({ name, accepted: promtoolAccepts(file) });
  });

  const dir = mkdtempSync(join(tmpdir(), "web-config-"));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const extra: Array<[string, string]> = [
    ["a key that is not the certificate's", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/client_selfsigned.key\n`],
    ["an unknown top-level key", "tls_server_config: {}\nbasic_auth: {}\n"],
    ["an unknown key under http_server_config", "http_server_config:\n  http3: true\n"],
    ["a duplicate key", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n`],
    ["a cert_file that is a directory", `tls_server_config:\n  cert_file: ${TOOLKIT}\n  key_file: ${TOOLKIT}/server.key\n`],
    ["an unknown client_auth_type", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  client_auth_type: Sometimes\n`],
    ["a list where a mapping belongs", "basic_auth_users:\n  - alice\n"],
    ["names of JavaScript object properties", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  min_version: toString\n`],
    ["a cipher named constructor", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  cipher_suites: [constructor]\n`],
    ["a header named __proto__", "http_server_config:\n  headers:\n    __proto__: x\n"],
    ["a curve named hasOwnProperty", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  curve_preferences: [hasOwnProperty]\n`],
    ["TLS with our htpasswd users", `tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\nbasic_auth_users:\n  alice: $2y$10$JyCHqyTjnij8zu6ZdfPbXuTiGcTz7zIW.uCVD17oqu9I818wufCHu\n`],
    ["relative paths, read from the config's directory", ""],
  ];
  it.each(extra)("on %s", (what, text) => {
    const file = text ? write(`${what.replace(/\W+/g, "-")}.yml`, text) : join(TOOLKIT, "web_config_noAuth.good.yml");
    expect({ what, accepted: weAccept(file) }).toEqual({ what, accepted: promtoolAccepts(file) });
  });

  it("on our own fixtures", () => {
    for (const name of readdirSync(OURS)) expect({ name, accepted: weAccept(join(OURS, name)) }).toEqual({ name, accepted: promtoolAccepts(join(OURS, name)) });
  });
});

describe("the web config reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "web-config-"));
  const load = (text: string) => {
    const file = join(dir, "web.yml");
    writeFileSync(file, text);
    return loadWebConfig(file, (p) => readFileSync(p));
  };
  const failure = (text: string) => {
    try {
      load(text);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("accepted");
  };

  it("reads htpasswd -B hashes that bcryptjs verifies", () => {
    const config = loadWebConfig(join(OURS, "users.yml"), (p) => readFileSync(p));
    expect(bcrypt.compareSync("s3cret pass", config.users.get("prometheus")!)).toBe(true);
    expect(bcrypt.compareSync("wonderland", config.users.get("alice")!)).toBe(true);
    expect(bcrypt.compareSync("wonderland", config.users.get("prometheus")!)).toBe(false);
  });

  it("never quotes a password written in plain text by mistake", () => {
    const message = failure("basic_auth_users:\n  bob: hunter2-plain\n");
    expect(message).toContain('user "bob"');
    expect(message).not.toContain("hunter2");
  });

  it("names an unknown key, an unreadable file and a mismatched key in one line", () => {
    expect(failure("tls_server_config:\n  cert_filse: x\n")).toMatch(/unknown key tls_server_config\.cert_filse$/);
    expect(failure(`tls_server_config:\n  cert_file: nowhere.crt\n  key_file: ${TOOLKIT}/server.key\n`)).toMatch(/cert_file: cannot read .*nowhere\.crt: ENOENT$/);
    expect(failure(`tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/client_selfsigned.key\n`)).toMatch(/private key does not match the certificate$/);
    expect(failure(`tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  min_version: TLS13\n  max_version: TLS12\n`)).toMatch(/min_version is above max_version$/);
  });

  it("accepts inline cert and key (newer toolkit keys) and client_allowed_sans", () => {
    const cert = readFileSync(`${TOOLKIT}/server.crt`, "utf8");
    const key = readFileSync(`${TOOLKIT}/server.key`, "utf8");
    const indent = (t: string) => t.trim().split("\n").map((l) => `    ${l}`).join("\n");
    const c = load(`tls_server_config:\n  cert: |\n${indent(cert)}\n  key: |\n${indent(key)}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${TOOLKIT}/client_selfsigned.pem\n  client_allowed_sans: [example.com]\n`);
    expect(c.tls!.settings.clientAllowedSans).toEqual(["example.com"]);
    expect(failure(`tls_server_config:\n  cert: x\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n`)).toMatch(/mutually exclusive$/);
  });

  it("maps Go cipher suite names to OpenSSL's for TLS 1.2 and leaves TLS 1.3 suites to OpenSSL, as Go does", () => {
    const c = load(`tls_server_config:\n  cert_file: ${TOOLKIT}/server.crt\n  key_file: ${TOOLKIT}/server.key\n  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA]\n  curve_preferences: [X25519, CurveP256]\n  prefer_server_cipher_suites: false\n`);
    const o = secureContextOptions(c.tls!);
    expect(o.ciphers).toBe("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256");
    expect(o.ecdhCurve).toBe("X25519:P-256");
    expect(o.honorCipherOrder).toBe(false);
    expect([o.minVersion, o.maxVersion]).toEqual(["TLSv1.2", "TLSv1.3"]);
  });
});
