import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { Config, ConfigSources, loadConfig, parseConfig, redactConfig } from "../../../src/config/config";
import { ConfigError } from "../../../src/config/config-error";
import { MAX_EXTRA_LABELS, RESERVED_LABELS, mergeLabels, workspaceLabels } from "../../../src/config/labels";

const FIXTURES = join(__dirname, "..", "..", "fixtures", "config");
const fixture = (kind: "valid" | "invalid", name: string): string =>
  readFileSync(join(FIXTURES, kind, `${name}.yaml`), "utf8");

/** Every secret in the fixtures contains this marker, so a leak into a message is easy to spot. */
const SECRET_MARKER = "s3cr3t";

function notFound(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
}

/** Sources with an in-memory file system; `env` replaces the default environment. */
function sources(env: Record<string, string | undefined> = {}, files: Record<string, string> = {}): ConfigSources {
  const all: Record<string, string> = {
    "/run/secrets/sk": "s3cr3t-file-sk\n",
    "/run/secrets/iam": "s3cr3t-file-password\r\n",
    "/run/secrets/token": "s3cr3t-file-token\n\n",
    "/run/secrets/empty": "\n",
    ...files,
  };
  return {
    env,
    readFile: (path) => {
      const content = all[path];
      if (content === undefined) throw notFound(path);
      return content;
    },
  };
}

/** `text` with `from` replaced by `to`, taken literally (String.replace would read "$$" in `to`). */
const swap = (text: string, from: string, to: string): string => {
  if (!text.includes(from)) throw new Error(`fixture lacks ${from}`);
  return text.split(from).join(to);
};

/** The problems parseConfig reports, or a failure when it accepts the config. */
function problemsOf(yaml: string, src: ConfigSources = sources()): string[] {
  try {
    parseConfig(yaml, src);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

const TOKEN_PROJECT = {
  projectId: "0123456789abcdef0123456789abcdef",
  region: "cn-north-4",
  endpoint: "https://dayu.cn-north-4.myhuaweicloud.com",
  auth: { type: "token", token: "s3cr3t-token" },
} as const;

const DEFAULT_POLLING: Config["polling"] = { intervalMs: 60_000, timeoutMs: 10_000, concurrency: 4, pagination: "auto" };
const DEFAULT_METRICS: Config["metrics"] = { packageSeriesLimit: 0, staleAfterMs: 600_000, catchUpLimitMs: 86_400_000 };

describe("valid configs", () => {
  it("fills in every default for the smallest useful config", () => {
    expect(parseConfig(fixture("valid", "minimal"), sources())).toEqual({
      polling: DEFAULT_POLLING,
      metrics: DEFAULT_METRICS,
      projects: [
        {
          ...TOKEN_PROJECT,
          workspaces: [{ id: "45be704b28cb4f25a39221169fd3e27e", name: "45be704b28cb4f25a39221169fd3e27e", intervalMs: 60_000 }],
        },
      ],
    });
  });

  it("reads every key when all are set", () => {
    expect(parseConfig(fixture("valid", "full"), sources())).toEqual({
      polling: { intervalMs: 120_000, timeoutMs: 15_000, concurrency: 8, pagination: "offset" },
      metrics: { packageSeriesLimit: 50, staleAfterMs: 5_400_000, catchUpLimitMs: 43_200_000 },
      projects: [
        {
          projectId: "0123456789abcdef0123456789abcdef",
          region: "cn-north-4",
          endpoint: "https://dayu.example.internal:8443/proxy",
          auth: { type: "aksk", accessKey: "AKEXAMPLE", secretKey: "s3cr3t-sk", securityToken: "s3cr3t-security-token" },
          workspaces: [
            { id: "45be704b28cb4f25a39221169fd3e27e", name: "analytics", intervalMs: 30_000 },
            { id: "0042", name: "0042", intervalMs: 120_000 },
            { id: "0017", name: "0017", intervalMs: 120_000 },
          ],
          discover: { instanceId: "8b4c3a0b2c1d4e5f", refreshMs: 300_000, intervalMs: 120_000 },
        },
      ],
    });
  });

  it("reads a password from its file and defaults the IAM endpoint to the project's region", () => {
    const [project] = parseConfig(fixture("valid", "password-with-file"), sources()).projects;
    expect(project?.endpoint).toBe("https://dayu.ap-southeast-1.myhuaweicloud.com");
    expect(project?.auth).toEqual({
      type: "password",
      iamEndpoint: "https://iam.ap-southeast-1.myhuaweicloud.com",
      domain: "acme",
      user: "monitor",
      password: "s3cr3t-file-password",
    });
  });

  it("accepts a project that only discovers its workspaces, refreshing every 10m by default", () => {
    const [project] = parseConfig(fixture("valid", "discover-only"), sources()).projects;
    expect(project?.workspaces).toEqual([]);
    expect(project?.discover).toEqual({ instanceId: "8b4c3a0b2c1d4e5f", refreshMs: 600_000, intervalMs: 60_000 });
    expect(project?.auth).toEqual({ type: "token", token: "s3cr3t-file-token" });
  });

  it("leaves discover out when it is not configured", () => {
    const [project] = parseConfig(fixture("valid", "minimal"), sources()).projects;
    expect(project).not.toHaveProperty("discover");
  });

  it("lets 150 projects share one auth block through an anchor: that is no alias bomb", () => {
    const project = (i: number) =>
      `  - project_id: p${i}\n    region: cn-north-4\n    auth: ${i === 0 ? "&shared {type: token, token: s3cr3t-token}" : "*shared"}\n    workspaces: [{id: ws1}]\n`;
    const yaml = `projects:\n${Array.from({ length: 150 }, (_, i) => project(i)).join("")}`;
    const config = parseConfig(yaml, sources());
    expect(config.projects).toHaveLength(150);
    expect(config.projects[149]!.auth).toEqual({ type: "token", token: "s3cr3t-token" });
  });

  it("lets projects share an auth block through a YAML anchor", () => {
    const config = parseConfig(fixture("valid", "shared-auth-anchor"), sources());
    const expected = { type: "aksk", accessKey: "AKEXAMPLE", secretKey: "s3cr3t-file-sk" };
    expect(config.projects.map((p) => p.auth)).toEqual([expected, expected]);
  });

  it("treats an empty section like an absent one", () => {
    const config = parseConfig(`polling:\nmetrics:\n${fixture("valid", "minimal")}`, sources());
    expect(config.polling).toEqual(DEFAULT_POLLING);
    expect(config.metrics).toEqual(DEFAULT_METRICS);
  });
});

describe("extra labels", () => {
  const parse = (env: Record<string, string> = { ONCALL: "alice" }) => parseConfig(fixture("valid", "labels"), sources(env)).projects[0]!;

  it("reads labels on a project, its discover block and a listed workspace, expanding ${VAR}", () => {
    const project = parse({ ONCALL: "alice", DEPLOY_ENV: "prod" });
    expect(project.labels).toEqual({ team: "platform", cost_center: "4711", env: "prod" });
    expect(project.discover?.labels).toEqual({ team: "iot", source: "discovery" });
    expect(project.workspaces[0]?.labels).toEqual({ team: "finance-data", oncall: "alice" });
    expect(project.workspaces[1]).not.toHaveProperty("labels");
    expect(parse().labels?.env).toBe("staging");
  });

  it("reads an unquoted number as written", () => {
    const yaml = swap(fixture("valid", "labels"), 'cost_center: "4711"', "cost_center: 04711");
    expect(parseConfig(yaml, sources({ ONCALL: "x" })).projects[0]?.labels?.cost_center).toBe("04711");
  });

  it("merges project, then discover, then the listed workspace, the more specific winning", () => {
    const project = parse();
    const [finance, plain] = project.workspaces;
    const shared = { cost_center: "4711", env: "staging" };
    const asObject = (labels: ReadonlyArray<readonly [string, string]>) => Object.fromEntries(labels);
    // Listed only: the project's labels under its own.
    expect(asObject(workspaceLabels(project, finance, false))).toEqual({ ...shared, team: "finance-data", oncall: "alice" });
    expect(asObject(workspaceLabels(project, plain, false))).toEqual({ ...shared, team: "platform" });
    // Found by discovery only: discover's over the project's.
    expect(asObject(workspaceLabels(project, undefined, true))).toEqual({ ...shared, team: "iot", source: "discovery" });
    // Listed and found: all three, the listed workspace's last.
    expect(asObject(workspaceLabels(project, finance, true))).toEqual({ ...shared, team: "finance-data", source: "discovery", oncall: "alice" });
  });

  it("puts merged labels in name order, whatever order they were written in", () => {
    expect(mergeLabels({ zone: "a", team: "x" }, { app: "y", team: "z" })).toEqual([
      ["app", "y"],
      ["team", "z"],
      ["zone", "a"],
    ]);
    expect(mergeLabels(undefined, undefined)).toEqual([]);
  });

  it("accepts exactly the cap of labels on a workspace", () => {
    const ten = Array.from({ length: MAX_EXTRA_LABELS }, (_, i) => `l${i}: v`).join(", ");
    const yaml = swap(fixture("valid", "minimal"), "    workspaces:", `    labels: {${ten}}\n    workspaces:`);
    expect(Object.keys(parseConfig(yaml, sources()).projects[0]?.labels ?? {})).toHaveLength(MAX_EXTRA_LABELS);
  });

  it("reserves the names the issue lists, Prometheus' own and every label of the alert rules", () => {
    for (const name of ["project_id", "workspace_id", "workspace", "status", "reason", "code", "le", "package_id", "package_name", "applicant", "instance", "job"]) {
      expect(RESERVED_LABELS).toHaveProperty(name);
    }
    const file = parseYaml(readFileSync(join(__dirname, "..", "..", "..", "prometheus", "alerts.yml"), "utf8")) as {
      groups: Array<{ rules: Array<{ labels?: Record<string, string> }> }>;
    };
    const ruleLabels = file.groups.flatMap((g) => g.rules.flatMap((r) => Object.keys(r.labels ?? {})));
    expect(ruleLabels).toContain("severity");
    for (const name of [...ruleLabels, "alertname"]) expect(RESERVED_LABELS).toHaveProperty(name);
  });
});

describe("AK/SK from the Huawei Cloud SDK environment variables", () => {
  const sdkEnv = {
    HUAWEICLOUD_SDK_AK: "AKFROMENV",
    HUAWEICLOUD_SDK_SK: "s3cr3t-env-sk",
    HUAWEICLOUD_SDK_SECURITY_TOKEN: "s3cr3t-env-token",
  };

  it("uses all three when the auth block leaves the keys out", () => {
    const [project] = parseConfig(fixture("valid", "aksk-from-sdk-env"), sources(sdkEnv)).projects;
    expect(project?.auth).toEqual({
      type: "aksk",
      accessKey: "AKFROMENV",
      secretKey: "s3cr3t-env-sk",
      securityToken: "s3cr3t-env-token",
    });
  });

  it("leaves the security token unset when the environment has none", () => {
    const env = { HUAWEICLOUD_SDK_AK: "AKFROMENV", HUAWEICLOUD_SDK_SK: "s3cr3t-env-sk" };
    const [project] = parseConfig(fixture("valid", "aksk-from-sdk-env"), sources(env)).projects;
    expect(project?.auth).toEqual({ type: "aksk", accessKey: "AKFROMENV", secretKey: "s3cr3t-env-sk" });
  });

  it("does not pair a configured access key with the environment's temporary security token", () => {
    const yaml = swap(fixture("valid", "aksk-from-sdk-env"), "type: aksk", "type: aksk\n      access_key: AKCONFIGURED");
    const [project] = parseConfig(yaml, sources(sdkEnv)).projects;
    expect(project?.auth).toEqual({ type: "aksk", accessKey: "AKCONFIGURED", secretKey: "s3cr3t-env-sk" });
  });

  it("prefers configured keys to the environment", () => {
    const [project] = parseConfig(fixture("valid", "full"), sources(sdkEnv)).projects;
    expect(project?.auth).toMatchObject({ accessKey: "AKEXAMPLE", secretKey: "s3cr3t-sk" });
  });

  it("reports both keys as required when neither the config nor the environment has them", () => {
    expect(problemsOf(fixture("valid", "aksk-from-sdk-env"))).toEqual([
      "projects[0].auth.access_key: required for type aksk",
      "projects[0].auth.secret_key: required for type aksk",
    ]);
  });
});

describe("environment variable expansion", () => {
  /** The minimal config with its token replaced by `value` (written as is, so it may be quoted). */
  const withToken = (value: string): string => swap(fixture("valid", "minimal"), "token: s3cr3t-token", `token: ${value}`);
  const tokenOf = (config: Config): string | undefined => {
    const auth = config.projects[0]?.auth;
    return auth?.type === "token" ? auth.token : undefined;
  };

  it("replaces ${VAR} with the variable's value", () => {
    expect(tokenOf(parseConfig(withToken("${DATAARTS_TOKEN}"), sources({ DATAARTS_TOKEN: "s3cr3t-x" })))).toBe("s3cr3t-x");
  });

  it("expands several references inside one value", () => {
    const env = { A: "s3cr3t", B: "tail" };
    expect(tokenOf(parseConfig(withToken("pre-${A}-${B}"), sources(env)))).toBe("pre-s3cr3t-tail");
  });

  it("uses the default of ${VAR:-default} when the variable is unset or empty", () => {
    expect(tokenOf(parseConfig(withToken("${NOPE:-s3cr3t-d}"), sources()))).toBe("s3cr3t-d");
    expect(tokenOf(parseConfig(withToken("${EMPTY:-s3cr3t-d}"), sources({ EMPTY: "" })))).toBe("s3cr3t-d");
    expect(tokenOf(parseConfig(withToken("${SET:-s3cr3t-d}"), sources({ SET: "s3cr3t-set" })))).toBe("s3cr3t-set");
  });

  it("turns $$ into a literal dollar and leaves a lone $ alone", () => {
    expect(tokenOf(parseConfig(withToken("pa$$word$"), sources()))).toBe("pa$word$");
    expect(tokenOf(parseConfig(withToken("$${NOT_A_VAR}"), sources()))).toBe("${NOT_A_VAR}");
  });

  it("expands in every string value, not only secrets", () => {
    const yaml = swap(
      `polling:\n  interval: \${INTERVAL}\n${fixture("valid", "minimal")}`,
      "region: cn-north-4",
      "region: ${REGION:-cn-north-4}",
    );
    const config = parseConfig(yaml, sources({ INTERVAL: "5m" }));
    expect(config.polling.intervalMs).toBe(300_000);
    expect(config.projects[0]?.region).toBe("cn-north-4");
  });

  it("reads an unquoted reference in a number or boolean field as that type", () => {
    const yaml = `polling:\n  concurrency: \${C}\nmetrics:\n  package_series: \${P}\n${fixture("valid", "minimal")}`;
    const config = parseConfig(yaml, sources({ C: "12", P: "true" }));
    expect(config.polling.concurrency).toBe(12);
    expect(config.metrics.packageSeriesLimit).toBe(200);
  });

  it("keeps a quoted reference a string", () => {
    const yaml = `polling:\n  concurrency: "\${C}"\n${fixture("valid", "minimal")}`;
    expect(problemsOf(yaml, sources({ C: "12" }))).toEqual(["polling.concurrency: expected a whole number, got a string"]);
  });

  it("cannot inject YAML structure through a variable", () => {
    const injected = "s3cr3t\nworkspaces: []\npolling: {interval: 1ms}";
    expect(tokenOf(parseConfig(withToken("${T}"), sources({ T: injected })))).toBe(injected);
  });

  it("does not expand keys", () => {
    const yaml = `polling:\n  \${KEY}: 30s\n${fixture("valid", "minimal")}`;
    expect(problemsOf(yaml, sources({ KEY: "interval" }))).toEqual(["polling.${KEY}: unknown key"]);
  });

  it("names every unset variable with its key path", () => {
    expect(problemsOf(withToken("${A}${B:-x}${C}"))).toEqual([
      "projects[0].auth.token: environment variable A is not set",
      "projects[0].auth.token: environment variable C is not set",
    ]);
  });

  it("does not also report a key whose variable is unset as missing", () => {
    const yaml = swap(
      fixture("valid", "aksk-from-sdk-env"),
      "type: aksk",
      "type: aksk\n      access_key: ${MY_AK}\n      secret_key: ${MY_SK}",
    );
    expect(problemsOf(yaml, sources({ HUAWEICLOUD_SDK_AK: "AK", HUAWEICLOUD_SDK_SK: "s3cr3t" }))).toEqual([
      "projects[0].auth.access_key: environment variable MY_AK is not set",
      "projects[0].auth.secret_key: environment variable MY_SK is not set",
    ]);
  });
});

describe("secrets from *_file keys", () => {
  const akskWith = (lines: string): string =>
    swap(fixture("valid", "aksk-from-sdk-env"), "type: aksk", `type: aksk\n      access_key: AKEXAMPLE\n${lines}`);

  it("reads secret_key_file and security_token_file, dropping trailing newlines", () => {
    const yaml = akskWith("      secret_key_file: /run/secrets/sk\n      security_token_file: /run/secrets/token");
    const [project] = parseConfig(yaml, sources()).projects;
    expect(project?.auth).toEqual({
      type: "aksk",
      accessKey: "AKEXAMPLE",
      secretKey: "s3cr3t-file-sk",
      securityToken: "s3cr3t-file-token",
    });
  });

  it("keeps leading and inner whitespace of a file's content", () => {
    const yaml = akskWith("      secret_key_file: /run/secrets/spaced");
    const [project] = parseConfig(yaml, sources({}, { "/run/secrets/spaced": " s3cr3t sk \n" })).projects;
    expect(project?.auth).toMatchObject({ secretKey: " s3cr3t sk " });
  });

  it("does not expand ${VAR} inside a file's content", () => {
    const yaml = akskWith("      secret_key_file: /run/secrets/dollar");
    const src = sources({ X: "expanded" }, { "/run/secrets/dollar": "s3cr3t-${X}-$$\n" });
    expect(parseConfig(yaml, src).projects[0]?.auth).toMatchObject({ secretKey: "s3cr3t-${X}-$$" });
  });

  it("expands ${VAR} in the file path", () => {
    const yaml = akskWith("      secret_key_file: ${SECRETS_DIR}/sk");
    expect(parseConfig(yaml, sources({ SECRETS_DIR: "/run/secrets" })).projects[0]?.auth).toMatchObject({
      secretKey: "s3cr3t-file-sk",
    });
  });

  it("prefers a configured secret file to the SDK environment variable", () => {
    const yaml = akskWith("      secret_key_file: /run/secrets/sk");
    const auth = parseConfig(yaml, sources({ HUAWEICLOUD_SDK_SK: "s3cr3t-env" })).projects[0]?.auth;
    expect(auth).toMatchObject({ secretKey: "s3cr3t-file-sk" });
  });
});

describe("loadConfig", () => {
  it("reads the config through the injected readFile", () => {
    const src = sources({}, { "/etc/dataarts/config.yaml": fixture("valid", "minimal") });
    expect(loadConfig("/etc/dataarts/config.yaml", src).projects).toHaveLength(1);
  });

  it("reports an unreadable config file with its path and the reason", () => {
    expect(() => loadConfig("/etc/dataarts/missing.yaml", sources())).toThrow(
      new ConfigError(["config.file: cannot read /etc/dataarts/missing.yaml: no such file"]),
    );
  });

  it("takes relative *_file paths from the config file's directory", () => {
    const yaml = swap(fixture("valid", "minimal"), "token: s3cr3t-token", "token_file: secrets/token");
    const src = sources({}, { "/etc/dataarts/config.yaml": yaml, "/etc/dataarts/secrets/token": "s3cr3t-rel\n" });
    expect(loadConfig("/etc/dataarts/config.yaml", src).projects[0]?.auth).toEqual({ type: "token", token: "s3cr3t-rel" });
  });
});

describe("redactConfig", () => {
  const full = (): Config => parseConfig(fixture("valid", "full"), sources());

  it("replaces every secret with <redacted> and keeps the rest", () => {
    const password = parseConfig(fixture("valid", "password-with-file"), sources());
    const token = parseConfig(fixture("valid", "minimal"), sources());
    for (const config of [full(), password, token]) {
      const shown = JSON.stringify(redactConfig(config));
      expect(shown).not.toContain(SECRET_MARKER);
      expect(shown).toContain('"<redacted>"');
      expect(shown).toContain(config.projects[0]?.projectId);
    }
    expect(redactConfig(full())).toMatchObject({
      projects: [{ auth: { type: "aksk", accessKey: "AKEXAMPLE", secretKey: "<redacted>", securityToken: "<redacted>" } }],
    });
  });

  it("does not change the config it is given", () => {
    const config = full();
    redactConfig(config);
    expect(config).toEqual(full());
  });
});

/**
 * One fixture per invalid case, each with the exact problems it must report. The
 * messages are written from the rules, not copied from output. Sources: no
 * environment, and the files of `sources()`.
 */
const INVALID: Array<[string, string | string[]]> = [
  ["unknown-key", "polling.intervall: unknown key"],
  ["bad-duration", 'polling.interval: invalid duration "5x" (use e.g. 500ms, 30s, 5m, 1h)'],
  ["duration-without-unit", 'polling.interval: invalid duration "60" (use e.g. 500ms, 30s, 5m, 1h)'],
  ["zero-duration", "metrics.stale_after: must be longer than 0s"],
  ["duration-too-long", "projects[0].discover.refresh: must be at most 24d"],
  ["duration-of-wrong-type", "polling.timeout: expected a duration such as 30s, got a list"],
  ["timeout-equal-to-interval", "polling.timeout: must be shorter than polling.interval (10s)"],
  ["timeout-longer-than-default-interval", "polling.timeout: must be shorter than polling.interval (1m)"],
  ["workspace-interval-not-longer-than-timeout", "projects[0].workspaces[0].interval: must be longer than polling.timeout (10s)"],
  ["concurrency-zero", "polling.concurrency: must be at least 1"],
  ["concurrency-fraction", "polling.concurrency: must be a whole number, got 2.5"],
  ["concurrency-quoted", "polling.concurrency: expected a whole number, got a string"],
  ["package-series-limit-zero", "metrics.package_series_limit: must be at least 1"],
  ["package-series-yes", "metrics.package_series: expected true or false, got a string"],
  ["pagination-unknown", 'polling.pagination: must be one of page, offset, auto, got "pages"'],
  ["polling-not-a-mapping", "polling: expected a mapping, got a list"],
  ["empty", "config.file: the file is empty"],
  ["comments-only", "config.file: the file is empty"],
  ["invalid-yaml", "config.file: invalid YAML at line 3, column 1: All mapping items must start at the same column"],
  ["top-level-list", "config.file: expected a mapping, got a list"],
  ["duplicate-key", "polling.interval: duplicate key"],
  ["alias-to-itself", "polling.interval: an alias refers to its own anchor"],
  ["projects-missing", "projects: required"],
  ["projects-empty", "projects: must list at least one project"],
  ["projects-not-a-list", "projects: expected a list, got a mapping"],
  ["project-id-missing", "projects[0].project_id: required"],
  ["project-id-empty", "projects[0].project_id: must not be empty"],
  ["project-id-with-slash", "projects[0].project_id: must not contain whitespace or slashes"],
  ["project-id-with-space", "projects[0].project_id: must not contain whitespace or slashes"],
  ["region-missing", "projects[0].region: required"],
  ["region-not-a-region-name", "projects[0].region: must be a region name such as cn-north-4"],
  ["endpoint-not-http", "projects[0].endpoint: must be an http(s) URL such as https://dayu.cn-north-4.myhuaweicloud.com"],
  ["endpoint-with-query", "projects[0].endpoint: must not have a query or fragment"],
  ["endpoint-with-credentials", "projects[0].endpoint: must not contain a user name or password"],
  ["auth-missing", "projects[0].auth: required"],
  ["auth-type-missing", "projects[0].auth.type: required (aksk, password, token)"],
  ["auth-type-unknown", 'projects[0].auth.type: must be one of aksk, password, token, got "oauth"'],
  ["aksk-secret-key-missing", "projects[0].auth.secret_key: required for type aksk"],
  ["aksk-access-key-missing", "projects[0].auth.access_key: required for type aksk"],
  ["aksk-access-key-empty", "projects[0].auth.access_key: must not be empty"],
  ["key-of-another-auth-type", "projects[0].auth.password: not allowed for type aksk"],
  ["auth-unknown-key", "projects[0].auth.secret: unknown key"],
  [
    "auth-key-without-space",
    [
      "projects[0].auth.password: required for type password",
      'projects[0].auth: unknown key at line 5, column 48, starting "password:" (the rest is not shown; write "password: value", with a space after the colon)',
    ],
  ],
  ["auth-unknown-key-like-a-secret", "projects[0].auth: unknown key at line 8, column 7 (not shown: it may hold a secret)"],
  ["key-with-equals-sign", 'polling: unknown key at line 3, column 3, starting "interval=" (the rest is not shown; write "interval: value")'],
  ["alias-bomb", "config.file: its aliases expand past the limit of 1000 (a YAML alias bomb?)"],
  ["secret-and-secret-file", "projects[0].auth.secret_key_file: not allowed together with secret_key"],
  ["secret-file-unreadable", "projects[0].auth.secret_key_file: cannot read /run/secrets/missing: no such file"],
  ["secret-file-empty", "projects[0].auth.password_file: file /run/secrets/empty is empty"],
  ["secret-of-wrong-type", "projects[0].auth.secret_key: expected a string, got a list"],
  ["secret-boolean", "projects[0].auth.token: expected a string, got a boolean"],
  ["secret-empty", "projects[0].auth.secret_key: must not be empty"],
  ["password-domain-missing", "projects[0].auth.domain: required for type password"],
  ["password-missing", "projects[0].auth.password: required for type password"],
  ["iam-endpoint-not-a-url", "projects[0].auth.iam_endpoint: must be an http(s) URL such as https://iam.cn-north-4.myhuaweicloud.com"],
  ["token-missing", "projects[0].auth.token: required for type token"],
  ["env-variable-unset", "projects[0].auth.secret_key: environment variable HUAWEICLOUD_SDK_SK is not set"],
  [
    "env-reference-malformed",
    'projects[0].auth.token: invalid variable reference: write ${NAME} or ${NAME:-default}, and "$$" for a literal "$"',
  ],
  ["no-workspaces-and-no-discover", "projects[0].workspaces: at least one workspace is required unless discover is set"],
  ["workspaces-empty-without-discover", "projects[0].workspaces: at least one workspace is required unless discover is set"],
  ["workspace-id-duplicate", "projects[0].workspaces[2].id: duplicate workspace id (also projects[0].workspaces[0])"],
  ["workspace-id-duplicate-across-entries", "projects[1].workspaces[0].id: duplicate workspace id (also projects[0].workspaces[0])"],
  ["workspace-id-missing", "projects[0].workspaces[0].id: required"],
  ["workspace-not-a-mapping", "projects[0].workspaces[0]: expected a mapping, got a string"],
  ["workspace-name-empty", "projects[0].workspaces[0].name: must not be empty"],
  ["discover-instance-missing", "projects[0].discover.instance_id: required"],
  ["labels-name-invalid", "projects[0].labels.team-name: invalid label name: use letters, digits and underscores, not starting with a digit"],
  ["labels-name-starts-with-digit", "projects[0].labels.1team: invalid label name: use letters, digits and underscores, not starting with a digit"],
  ["labels-name-double-underscore", "projects[0].workspaces[0].labels.__team: label names starting with __ are reserved for Prometheus"],
  ["labels-name-reserved-by-exporter", "projects[0].workspaces[0].labels.workspace: reserved: set by the exporter"],
  ["labels-name-reserved-by-prometheus", "projects[0].discover.labels.instance: reserved: set by Prometheus"],
  ["labels-name-reserved-by-alert-rules", "projects[0].labels.severity: reserved: set by the alert rules"],
  ["labels-not-a-mapping", "projects[0].labels: expected a mapping, got a list"],
  ["labels-value-not-a-string", "projects[0].workspaces[0].labels.team: expected a string, got a list"],
  ["labels-value-boolean", "projects[0].workspaces[0].labels.paging: expected a string, got a boolean"],
  ["labels-value-empty", ["projects[0].labels.team: must not be empty", "projects[0].labels.tier: must not be empty"]],
  ["labels-value-variable-unset", "projects[0].labels.team: environment variable TEAM is not set"],
  // Six on the project, one more from discover: the first workspace adds three (10), the second four (11).
  ["labels-too-many", "projects[0].workspaces[1].labels: at most 10 labels per workspace with the project's and discover's, got 11"],
  // Reported once, where the cap is first passed, not again on every workspace.
  ["labels-too-many-on-project", "projects[0].labels: at most 10 labels per workspace, got 11"],
  ["discover-refresh-invalid", 'projects[0].discover.refresh: invalid duration "often" (use e.g. 500ms, 30s, 5m, 1h)'],
  [
    "many-problems",
    [
      "polling.timeout: must be shorter than polling.interval (10s)",
      "polling.concurency: unknown key",
      "metrics.package_series: expected true or false, got a string",
      "projects[0].project_id: must not contain whitespace or slashes",
      "projects[0].auth.access_key: required for type aksk",
      "projects[0].auth.secret_key: environment variable HUAWEICLOUD_SDK_SK is not set",
      "projects[0].auth.token: not allowed for type aksk",
      "projects[0].workspaces[0].interval: must be longer than polling.timeout (30s)",
      "projects[0].workspaces[1].id: duplicate workspace id (also projects[0].workspaces[0])",
      "projects[1].project_id: required",
      "projects[1].workspaces: at least one workspace is required unless discover is set",
      'projects[1].auth.type: must be one of aksk, password, token, got "oauth"',
      "projects[1].auth.client_id: unknown key",
    ],
  ],
];

describe("invalid configs", () => {
  it.each(INVALID)("rejects %s with exactly the expected problems", (name, expected) => {
    expect(problemsOf(fixture("invalid", name))).toEqual(typeof expected === "string" ? [expected] : expected);
  });

  it("has a case in the table for every invalid fixture", () => {
    const files = readdirSync(join(FIXTURES, "invalid")).map((f) => f.replace(/\.yaml$/, "")).sort();
    expect(INVALID.map(([name]) => name).sort()).toEqual(files);
  });

  it("throws a ConfigError whose message lists the problems one per line", () => {
    expect(() => parseConfig(fixture("invalid", "many-problems"), sources())).toThrow(
      expect.objectContaining({ name: "ConfigError", message: expect.stringMatching(/^polling\.timeout: .*\npolling\.concurency: /) }),
    );
  });

  it("never puts a secret into a message", () => {
    for (const [name] of INVALID) {
      for (const message of problemsOf(fixture("invalid", name), sources({ TOKEN: "s3cr3t-env" }))) {
        expect(message).not.toContain(SECRET_MARKER);
      }
    }
  });

  it("refuses a file over 1 MiB before parsing it", () => {
    expect(problemsOf(`# ${"x".repeat(1024 * 1024)}\n${fixture("valid", "minimal")}`)).toEqual(["config.file: the file is larger than 1048576 bytes"]);
  });

  it("refuses a secret file over 64 KiB", () => {
    const yaml = swap(fixture("valid", "minimal"), "token: s3cr3t-token", "token_file: /run/secrets/huge");
    expect(problemsOf(yaml, sources({}, { "/run/secrets/huge": "s3cr3t".repeat(20_000) }))).toEqual([
      "projects[0].auth.token_file: cannot read /run/secrets/huge: larger than 65536 bytes",
    ]);
  });

  it("quotes no part of a key with a colon or equals sign under auth, whichever secret key it was meant to be", () => {
    const keys = ["password", "password_file", "secret_key", "secret_key_file", "security_token", "security_token_file", "token", "token_file", "access_key"];
    for (const key of keys) {
      for (const sep of [":", "="]) {
        const yaml = swap(fixture("valid", "minimal"), "token: s3cr3t-token", `token: s3cr3t-token\n      ${key}${sep}s3cr3t-${key}:`);
        const problems = problemsOf(yaml);
        expect(problems.join("\n")).not.toContain(SECRET_MARKER);
        expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^projects\\[0\\]\\.auth: unknown key at line 8, column 7, starting "${key}\\${sep}"`)));
      }
    }
  });

  it("does not quote the source line of a YAML syntax error, which may hold a secret", () => {
    const yaml = swap(fixture("valid", "minimal"), "token: s3cr3t-token", 'token: "s3cr3t-unclosed');
    const broken = swap(fixture("valid", "minimal"), "token: s3cr3t-token", "token: s3cr3t: nested: map");
    const others = ["a: b\ns3cr3t-stray\n", 'x: "s3cr3t\\q"\n', "a: |x\n  s3cr3t\n", "a: [s3cr3t\nb: 1\n"];
    for (const text of [yaml, broken, ...others]) {
      const problems = problemsOf(text);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^config\.file: invalid YAML at line \d+, column \d+: /);
      expect(problems[0]).not.toContain(SECRET_MARKER);
    }
  });

  it("reports a second YAML document in the file in plain words", () => {
    expect(problemsOf(`${fixture("valid", "minimal")}---\nprojects: []\n`)).toEqual([
      "config.file: invalid YAML at line 10, column 1: the file holds more than one YAML document",
    ]);
  });

  it("says a list item was left empty", () => {
    const yaml = swap(fixture("valid", "minimal"), "      - id: 45be704b28cb4f25a39221169fd3e27e", "      -");
    expect(problemsOf(yaml)).toEqual(["projects[0].workspaces[0]: expected a mapping, got nothing"]);
  });

  it("does not echo a URL, which may carry credentials", () => {
    const yaml = swap(fixture("valid", "minimal"), "region: cn-north-4", "region: cn-north-4\n    endpoint: ftp://user:s3cr3t@host");
    expect(problemsOf(yaml)).toEqual([
      "projects[0].endpoint: must be an http(s) URL such as https://dayu.cn-north-4.myhuaweicloud.com",
    ]);
  });
});

describe("config.example.yaml", () => {
  const example = readFileSync(join(__dirname, "..", "..", "..", "config.example.yaml"), "utf8");
  const env = { HUAWEICLOUD_SDK_AK: "AKEXAMPLE", HUAWEICLOUD_SDK_SK: "s3cr3t-sk", DATAARTS_TOKEN: "s3cr3t-token" };

  it("parses with the environment it refers to", () => {
    const config = parseConfig(example, sources(env));
    expect(config.polling).toEqual(DEFAULT_POLLING);
    expect(config.metrics).toEqual(DEFAULT_METRICS);
    expect(config.projects[0]).toEqual({
      projectId: "0123456789abcdef0123456789abcdef",
      region: "cn-north-4",
      endpoint: "https://dayu.cn-north-4.myhuaweicloud.com",
      auth: { type: "aksk", accessKey: "AKEXAMPLE", secretKey: "s3cr3t-sk" },
      workspaces: [{ id: "45be704b28cb4f25a39221169fd3e27e", name: "analytics", intervalMs: 30_000, labels: { team: "finance-data" } }],
      discover: { instanceId: "8b4c3a0b2c1d4e5f", refreshMs: 600_000, intervalMs: 60_000, labels: { team: "iot" } },
      labels: { team: "platform" },
    });
  });

  it("parses with each of the commented-out auth types in place of aksk", () => {
    const lines = example.split("\n");
    const start = lines.findIndex((l) => l.trim() === "auth:                                    # exactly one of the three types");
    const alternatives = lines.filter((l) => l.trimStart().startsWith("# auth: {"));
    expect(alternatives).toHaveLength(2);
    const types = alternatives.map((alternative) => {
      const swapped = [...lines.slice(0, start), swap(alternative, "# auth:", "auth:"), ...lines.slice(start + 5)];
      const src = sources(env, { "/run/secrets/iam": "s3cr3t-iam\n" });
      return parseConfig(swapped.join("\n"), src).projects[0]?.auth.type;
    });
    expect(types).toEqual(["password", "token"]);
  });

  it("has a comment on every key it sets", () => {
    const keyLines = example.split("\n").filter((l) => /^\s*(- )?[a-z_]+:/.test(l));
    expect(keyLines.length).toBeGreaterThan(20);
    for (const line of keyLines) expect(line).toMatch(/ # \S/);
  });

  it("mentions every key the config accepts", () => {
    const keys = [
      "polling", "interval", "timeout", "concurrency", "pagination",
      "metrics", "package_series", "package_series_limit", "stale_after", "catch_up_limit",
      "projects", "project_id", "region", "endpoint", "auth", "type",
      "access_key", "secret_key", "secret_key_file", "security_token", "security_token_file",
      "iam_endpoint", "domain", "user", "password", "password_file", "token", "token_file",
      "workspaces", "id", "name", "discover", "instance_id", "refresh", "labels",
    ];
    for (const key of keys) expect(example).toMatch(new RegExp(`\\b${key}\\b`));
  });
});
