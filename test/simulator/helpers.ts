/** Shared test plumbing: a simulator on a real port with an injected clock, and a small HTTP client. */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { sdkDate, sign } from "../../src/dataarts/signer";
import { SIM_CREDENTIALS, scenarioByName, startSimulator, type RunningSimulator, type Scenario, type SimulatorOptions } from "../../src/simulator";

/** The instant every test's data and clock start from. */
export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface TestSim {
  sim: RunningSimulator;
  clock: { now: number };
  scenario: Scenario;
}

export async function startTestSim(scenario: Scenario = scenarioByName("small", { now: NOW }), opts: Partial<SimulatorOptions> = {}): Promise<TestSim> {
  const clock = { now: NOW };
  const sim = await startSimulator({ scenario, clock: () => clock.now, ...opts });
  return { sim, clock, scenario };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

export interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Aborts the request (for hangs); the promise then rejects. */
  signal?: AbortSignal;
}

export function send(baseUrl: string, req: Sent): Promise<Answer> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { method: req.method ?? "GET", headers: req.headers, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
      });
      res.on("error", reject);
    });
    r.on("error", reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** Resolves once `condition` holds, checking on each turn of the event loop (no fixed sleeps). */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function releasePackagesPath(projectId: string): string {
  return `/v2/${projectId}/factory/release-packages`;
}

/** A release-packages query with the static token (auth is not what most tests are about). */
export function query(t: TestSim, projectId: string, body: unknown, workspace?: string, signal?: AbortSignal): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json;charset=UTF-8", "x-auth-token": SIM_CREDENTIALS.staticToken };
  if (workspace !== undefined) headers.workspace = workspace;
  return send(t.sim.url, { method: "POST", path: releasePackagesPath(projectId), headers, body: typeof body === "string" ? body : JSON.stringify(body), signal });
}

/** Headers of a request signed by our own signer at `at`, over exactly `body`. */
export function signedHeaders(
  t: TestSim,
  req: { method: string; path: string; query?: Record<string, string>; body?: string; headers?: Record<string, string> },
  at: number = t.clock.now,
): Record<string, string> {
  const host = new URL(t.sim.url).host;
  const headers: Record<string, string> = { host, "content-type": "application/json;charset=UTF-8", "x-sdk-date": sdkDate(new Date(at)), ...req.headers };
  const s = sign({ method: req.method, path: req.path, query: req.query, headers, body: req.body ?? "" }, SIM_CREDENTIALS);
  return { ...headers, authorization: s.authorization };
}

export interface Page {
  data: Array<Record<string, unknown> & { package_id: string; deploy_status: number; apply_timestamp: number; deploy_timestamp: number }>;
  total: number;
}

export function page(a: Answer): Page {
  expect(a.status).toBe(200);
  return a.json() as Page;
}

export function errorCode(a: Answer): string | undefined {
  return (a.json() as { error_code?: string }).error_code;
}
