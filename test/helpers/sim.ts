import pino from "pino";
import type { AuthConfig, ProjectConfig } from "../../src/config/config";
import { projectTransport } from "../../src/connections";
import { ApiError } from "../../src/dataarts/api-error";
import { DataArtsClient, RequestEvent } from "../../src/dataarts/client";
import { createClient } from "../../src/dataarts/client-factory";
import { DEFAULT_RETRY, RetryPolicy } from "../../src/dataarts/retry";
import { RunningSimulator, SIM_CREDENTIALS, Scenario, StartOptions, generatePackages, startSimulator } from "../../src/simulator";
import { ReleasePackage } from "../../src/dataarts/model";
import { FakeClock } from "./fake-clock";
import { writeConfig } from "./exporter-process";

export const PROJECT = "0123456789abcdef0123456789abcdef";
export const WS = "45be704b28cb4f25a39221169fd3e27e";

/** One project with one workspace holding `packages`. */
export function oneWorkspace(packages: ReleasePackage[] = [], extra: Partial<Scenario["projects"][number]> = {}): Scenario {
  return { projects: [{ projectId: PROJECT, instanceId: "inst-1", workspaces: [{ id: WS, name: "analytics", packages }], ...extra }] };
}

export function packages(counts: Parameters<typeof generatePackages>[0]["counts"], now = Date.now(), seed = 7): ReleasePackage[] {
  return generatePackages({ projectId: PROJECT, workspaceId: WS, counts, now, seed });
}

export type AuthKind = "aksk" | "password" | "token";

/** A retry policy of one attempt: the first failure is the answer. */
export const NO_RETRY = { maxAttempts: 1 };

/** The ApiError `promise` fails with; anything else (success included) fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw new Error(`expected an ApiError, got ${String(err)}`);
  }
  throw new Error("expected the call to fail");
}

export interface TestClient {
  client: DataArtsClient;
  clock: FakeClock;
  events: RequestEvent[];
}

/**
 * A real client over real HTTP to the simulator, built by the exporter's own factory.
 * Its clock starts at the wall-clock time (the simulator checks signature dates) but
 * sleeps without waiting.
 */
export function clientFor(
  sim: Pick<RunningSimulator, "url">,
  options: { auth?: AuthKind; timeoutMs?: number; retry?: Partial<RetryPolicy>; secretKey?: string; securityToken?: string; token?: string } = {},
): TestClient {
  const clock = new FakeClock(Date.now());
  const events: RequestEvent[] = [];
  const project: ProjectConfig = { projectId: PROJECT, region: "cn-north-4", endpoint: sim.url, auth: authConfig(options, sim.url), workspaces: [] };
  const client = createClient(project, {
    // The exporter's own transport for a project, as run.ts builds it, with no proxy variables set.
    transport: projectTransport(project, {}, pino({ level: "silent" })),
    clock,
    timeoutMs: options.timeoutMs ?? 2_000,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    random: () => 0.5,
    onRequest: (e) => events.push(e),
  });
  return { client, clock, events };
}

function authConfig(options: { auth?: AuthKind; secretKey?: string; securityToken?: string; token?: string }, iamEndpoint: string): AuthConfig {
  switch (options.auth ?? "aksk") {
    case "aksk": {
      const keys = { accessKey: SIM_CREDENTIALS.accessKey, secretKey: options.secretKey ?? SIM_CREDENTIALS.secretKey };
      return options.securityToken === undefined
        ? { type: "aksk", ...keys }
        : { type: "aksk", ...keys, securityToken: options.securityToken };
    }
    case "token":
      return { type: "token", token: options.token ?? SIM_CREDENTIALS.staticToken };
    case "password":
      // The simulator serves IAM on its own URL.
      return { type: "password", iamEndpoint, domain: SIM_CREDENTIALS.domain, user: SIM_CREDENTIALS.user, password: SIM_CREDENTIALS.password };
  }
}

/** Runs `fn` against a simulator of `scenario` on a free port (`options` may name just its offset reading), then closes it. */
export async function withSim<T>(
  scenario: Scenario,
  fn: (sim: RunningSimulator) => Promise<T>,
  options: "page" | "offset" | Omit<StartOptions, "scenario"> = {},
): Promise<T> {
  const sim = await startSimulator({ scenario, port: 0, ...(typeof options === "string" ? { offsetMode: options } : options) });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/**
 * One entry of a config's `projects:` list, up to and including its `workspaces:` key, with the auth the
 * simulator accepts. Secrets stay out of the YAML: AK/SK reads `${SIM_SK}`, a token `${SIM_STATIC}`
 * (see SIM_ENV), a password the file password.txt next to the config (see writeSimPassword).
 */
export function simProjectYaml(projectId: string, endpoint: string, auth: AuthKind, region = "cn-north-4"): string {
  const authLines = {
    aksk: ["type: aksk", `access_key: ${SIM_CREDENTIALS.accessKey}`, "secret_key: ${SIM_SK}"],
    token: ["type: token", "token: ${SIM_STATIC}"],
    password: ["type: password", `iam_endpoint: ${endpoint}`, `domain: ${SIM_CREDENTIALS.domain}`, `user: ${SIM_CREDENTIALS.user}`, "password_file: password.txt"],
  }[auth];
  return [`  - project_id: ${projectId}`, `    region: ${region}`, `    endpoint: ${endpoint}`, "    auth:", ...authLines.map((l) => `      ${l}`), "    workspaces:", ""].join("\n");
}

/** The environment that simProjectYaml's `${...}` references read. */
export const SIM_ENV = { SIM_SK: SIM_CREDENTIALS.secretKey, SIM_STATIC: SIM_CREDENTIALS.staticToken };

/** Writes the simulator's IAM password to `dir`/password.txt, where simProjectYaml's password auth reads it. */
export function writeSimPassword(dir: string): string {
  return writeConfig(dir, `${SIM_CREDENTIALS.password}\n`, "password.txt");
}

/** PROJECT over AK/SK polled every second with WS listed, and `extra` YAML lines under the project. */
export function oneWorkspaceConfig(endpoint: string, extra = ""): string {
  return `
polling:
  interval: 1s
  timeout: 800ms
projects:
${simProjectYaml(PROJECT, endpoint, "aksk")}      - id: ${WS}
${extra}`;
}
