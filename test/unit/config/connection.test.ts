import { Config, ConfigSources, parseConfig, redactConfig } from "../../../src/config/config";
import { ConfigError } from "../../../src/config/config-error";
import { makePki, TestPki } from "../../helpers/certs";

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

function sources(files: Record<string, string> = {}): ConfigSources {
  return {
    env: {},
    readFile: (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
      return content;
    },
  };
}

const yaml = (extra: string) => `
projects:
  - project_id: 0123456789abcdef0123456789abcdef
    region: cn-north-4
    auth:
      type: token
      token: s3cr3t-token
    workspaces:
      - id: ws1
${extra}`;

function problemsOf(text: string, src = sources()): string[] {
  try {
    parseConfig(text, src);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("a project's proxy_url and tls", () => {
  it("reads certificate files into the config, with their paths, so a reload reads them again", () => {
    const files = { "/pki/ca.pem": pki.ca, "/pki/client.pem": pki.cert, "/pki/client.key": pki.key };
    const config: Config = parseConfig(
      yaml(`    proxy_url: http://user:pr0xy-s3cr3t@proxy.corp:3128
    tls:
      ca_file: /pki/ca.pem
      cert_file: /pki/client.pem
      key_file: /pki/client.key
      server_name: dayu.cn-north-4.myhuaweicloud.com
      insecure_skip_verify: false`),
      sources(files),
    );
    expect(config.projects[0]).toMatchObject({
      proxyUrl: "http://user:pr0xy-s3cr3t@proxy.corp:3128",
      tls: {
        caFile: "/pki/ca.pem",
        ca: pki.ca,
        certFile: "/pki/client.pem",
        cert: pki.cert,
        keyFile: "/pki/client.key",
        key: pki.key,
        serverName: "dayu.cn-north-4.myhuaweicloud.com",
        insecureSkipVerify: false,
      },
    });
  });

  it("leaves both out when absent", () => {
    const project = parseConfig(yaml(""), sources()).projects[0]!;
    expect(project).not.toHaveProperty("proxyUrl");
    expect(project).not.toHaveProperty("tls");
  });

  it.each([
    ["    proxy_url: ftp://proxy.corp:21", "projects[0].proxy_url: must be an http(s) URL such as http://proxy.example.com:3128"],
    ["    proxy_url: http://proxy.corp:3128/path", "projects[0].proxy_url: must be scheme://[user:password@]host:port without a path, query or fragment"],
    ["    tls:\n      ca_file: /pki/missing.pem", "projects[0].tls.ca_file: cannot read /pki/missing.pem: no such file"],
    ["    tls:\n      ca_file: /pki/client.key", "projects[0].tls.ca_file: /pki/client.key is not a PEM certificate"],
    ["    tls:\n      cert_file: /pki/client.pem", "projects[0].tls.key_file: cert_file and key_file go together (a client certificate needs its key)"],
    ["    tls:\n      cert_file: /pki/client.pem\n      key_file: /pki/ca.pem", "projects[0].tls.key_file: /pki/ca.pem is not a PEM private key"],
    ["    tls:\n      insecure_skip_verify: yes please", "projects[0].tls.insecure_skip_verify: expected true or false, got a string"],
    ["    tls:\n      server_name: ''", "projects[0].tls.server_name: must not be empty"],
    ["    tls:\n      ca: /pki/ca.pem", "projects[0].tls.ca: unknown key"],
    ["    tls: true", "projects[0].tls: expected a mapping, got a boolean"],
  ])("reports %j", (extra, problem) => {
    const files = { "/pki/ca.pem": pki.ca, "/pki/client.pem": pki.cert, "/pki/client.key": pki.key };
    const problems = problemsOf(yaml(extra), sources(files));
    expect(problems.map((p) => p.replace(/^line \d+: /, ""))).toContainEqual(expect.stringContaining(problem));
    for (const p of problems) expect(p).not.toContain("PRIVATE KEY");
  });

  it("refuses a certificate file larger than 1 MiB instead of reading it whole", () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const problems = problemsOf(yaml("    tls:\n      ca_file: /pki/huge.pem"), sources({ "/pki/huge.pem": big }));
    expect(problems.join("\n")).toContain("projects[0].tls.ca_file: cannot read /pki/huge.pem: larger than 1048576 bytes");
  });

  it("never quotes a proxy URL back, as it may hold a password", () => {
    const problems = problemsOf(yaml("    proxy_url: gopher://u:pr0xy-s3cr3t@proxy.corp"));
    expect(problems.join("\n")).not.toContain("pr0xy-s3cr3t");
  });

  it("redacts proxy credentials and certificate and key contents for logs", () => {
    const files = { "/pki/client.pem": pki.cert, "/pki/client.key": pki.key };
    const config = parseConfig(
      yaml("    proxy_url: http://user:pr0xy-s3cr3t@proxy.corp:3128\n    tls:\n      cert_file: /pki/client.pem\n      key_file: /pki/client.key"),
      sources(files),
    );
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain("pr0xy-s3cr3t");
    expect(shown).not.toContain("BEGIN");
    expect(shown).toContain("proxy.corp:3128");
    expect(shown).toContain("/pki/client.key");
    expect(config.projects[0]!.proxyUrl).toContain("pr0xy-s3cr3t");
  });
});
