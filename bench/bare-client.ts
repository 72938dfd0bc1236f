/**
 * The reference for CPU per API request: the least a poll must do, with nothing else. It sends the exporter's five
 * signed POSTs per workspace to the simulator, at the exporter's pace (each workspace once per interval), over one
 * keep-alive agent, and parses each answer with JSON.parse: no validation, state, metrics, retries or logging.
 *   node .bench-dist/bench/bare-client.js <endpoint> <project id> <workspace ids file> <interval s> <warm-up s> <window s>
 * Prints one JSON line: {"requests": n, "cpuMs": ms} for the window (user + system time of the whole process).
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { DeployStatus, MAX_LIMIT } from "../src/dataarts/model";
import { sdkDate, sign } from "../src/dataarts/signer";
import { SIM_CREDENTIALS } from "../src/simulator/auth";

const [endpoint, projectId, idsFile, intervalS, warmUpS, windowS] = process.argv.slice(2);
const workspaces = readFileSync(idsFile!, "utf8").split("\n").filter(Boolean);
const intervalMs = Number(intervalS) * 1000;
const url = new URL(`${endpoint}/v2/${projectId}/factory/release-packages`);
const agent = new Agent({ keepAlive: true });

/** The bodies of one poll without per-package series, as `src/polling/poller.ts` sends them. */
function pollBodies(now: number): object[] {
  const newest = (status: number) => ({ deploy_status_filter: [status], order_column: "deploy_timestamp", sorted_direction: "desc", limit: 1, offset: 0 });
  return [
    { deploy_status_filter: [DeployStatus.pendingReview], order_column: "apply_timestamp", sorted_direction: "asc", limit: 1, offset: 0 },
    { deploy_status_filter: [DeployStatus.releasing], order_column: "deploy_timestamp", sorted_direction: "asc", limit: MAX_LIMIT, offset: 0 },
    newest(DeployStatus.failed),
    newest(DeployStatus.succeeded),
    {
      deploy_status_filter: [DeployStatus.failed, DeployStatus.succeeded],
      deploy_begin_time: now - intervalMs - 5 * 60_000,
      order_column: "deploy_timestamp",
      sorted_direction: "desc",
      limit: MAX_LIMIT,
      offset: 0,
    },
  ];
}

/**
 * One signed POST. A keep-alive socket the simulator closes as the request goes out fails with ECONNRESET; that one
 * is sent again on a new socket, as Node.js's documentation advises (`request.reusedSocket`), so the reference is not
 * ended by a race the exporter's client retries too.
 */
async function post(workspace: string, body: string): Promise<unknown> {
  try {
    return await send(workspace, body);
  } catch (err) {
    if ((err as { reused?: boolean }).reused !== true) throw err;
    return send(workspace, body);
  }
}

function send(workspace: string, body: string): Promise<unknown> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json;charset=UTF-8",
    workspace,
    Host: url.host,
    "X-Sdk-Date": sdkDate(new Date()),
    "X-Project-Id": projectId!,
  };
  headers["Authorization"] = sign({ method: "POST", path: url.pathname, headers, body }, SIM_CREDENTIALS).authorization;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers, agent }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))));
      res.on("error", reject);
    });
    req.on("error", (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket && err.code === "ECONNRESET" })));
    req.end(body);
  });
}

let requests = 0;
async function poll(workspace: string): Promise<void> {
  for (const body of pollBodies(Date.now())) {
    await post(workspace, JSON.stringify(body));
    requests++;
  }
}

async function main(): Promise<void> {
  // Spread over the interval, as the exporter's scheduler spreads its workspaces.
  const gapMs = intervalMs / workspaces.length;
  const started = Date.now();
  const end = started + (Number(warmUpS) + Number(windowS)) * 1000;
  let windowStart: { cpu: NodeJS.CpuUsage; requests: number } | undefined;
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; Date.now() < end; i++) {
    if (!windowStart && Date.now() - started >= Number(warmUpS) * 1000) windowStart = { cpu: process.cpuUsage(), requests };
    const p: Promise<void> = poll(workspaces[i % workspaces.length]!).finally(() => inFlight.delete(p));
    inFlight.add(p);
    const due = started + (i + 1) * gapMs;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
  }
  const cpu = process.cpuUsage(windowStart!.cpu);
  const counted = requests - windowStart!.requests;
  await Promise.all(inFlight);
  process.stdout.write(JSON.stringify({ requests: counted, cpuMs: (cpu.user + cpu.system) / 1000 }) + "\n");
  agent.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`bare client: ${String(err)}\n`);
  process.exit(1);
});
