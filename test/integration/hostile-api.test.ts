import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DeployStatus, ReleasePackage } from "../../src/dataarts/model";
import { ReleasePackagePager } from "../../src/dataarts/paging";
import { pollWorkspace } from "../../src/polling/poller";
import { parseReleasePackagePage, parseWorkspacePage } from "../../src/dataarts/response";
import { EXPIRED_TOKEN_BACKOFF_MS } from "../../src/dataarts/token";
import { startSimulator } from "../../src/simulator";
import { NO_RETRY, PROJECT, WS, clientFor, failureOf, oneWorkspace, packages, withSim } from "../helpers/sim";

const DAY = 86_400_000;

describe("a service answering what the API page allows but the client did not expect", () => {
  it("reads packages whose optional fields are all null, as a pending package without a deployer has", async () => {
    await withSim(oneWorkspace(packages({ pending_review: 3, succeeded: 2 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "null_fields" });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      const page = await client.queryReleasePackages(WS, { limit: 10 });
      expect(page.total).toBe(5);
      expect(page.data).toHaveLength(5);
      for (const p of page.data) {
        expect(p.package_name).toBeUndefined();
        expect(p.apply_user_name).toBeUndefined();
        expect(p.package_id).toMatch(/.+/);
      }
    });
  });

  it("reads packages that carry only the fields the exporter uses", async () => {
    const bare = [{ package_id: "1", apply_timestamp: Date.now() - 60_000, deploy_status: DeployStatus.pendingReview }] as ReleasePackage[];
    await withSim(oneWorkspace(bare), async (sim) => {
      const { client } = clientFor(sim, { retry: NO_RETRY });
      await expect(client.queryReleasePackages(WS, { limit: 10 })).resolves.toMatchObject({ total: 1, data: [{ package_id: "1" }] });
    });
  });

  it("still refuses a package without the fields the exporter uses", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 1 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "wrong_shape", variant: "timestamp_not_number" });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      expect(await failureOf(client.queryReleasePackages(WS, {}))).toMatchObject({ reason: "invalid_response" });
    });
  });

  it("reads a package whose deploy_timestamp is null, as a pending one without a release has, as not released", () => {
    const body = JSON.stringify({ total: 1, data: [{ package_id: 7, apply_timestamp: 1_700_000_000_000, deploy_status: DeployStatus.pendingReview, deploy_timestamp: null }] });
    expect(parseReleasePackagePage(body).data[0]).toMatchObject({ package_id: "7", deploy_timestamp: 0 });
  });

  it("reads a listed workspace without a name as one named by its id", () => {
    const page = parseWorkspacePage(JSON.stringify({ count: 1, data: [{ id: "w1", name: null, is_default: null }] }));
    expect(page.data[0]).toMatchObject({ id: "w1", name: "" });
  });
});

describe("a response cut short", () => {
  it("is a network error with an accurate message, not a body too large", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 40 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "truncated" });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      const err = await failureOf(client.queryReleasePackages(WS, { limit: 40 }));
      expect(err.reason).toBe("network");
      expect(err.message).toMatch(/closed before the whole response arrived/);
      expect(err.message).not.toMatch(/larger than/);
    });
  });

  it("is retried like any network error", async () => {
    await withSim(oneWorkspace(packages({ succeeded: 40 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "truncated", times: 1 });
      const { client, events } = clientFor(sim);
      await expect(client.queryReleasePackages(WS, { limit: 40 })).resolves.toMatchObject({ total: 40 });
      expect(events.map((e) => e.code)).toEqual(["error", "200"]);
    });
  });

  it("leaves a body over 16 MiB reported as too large", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "status", status: 400, errorCode: "DLF.3051", errorMsgBytes: 17_000_000 });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      const err = await failureOf(client.queryReleasePackages(WS, {}));
      expect(err).toMatchObject({ reason: "invalid_response", message: "response larger than 16777216 bytes" });
    });
  });
});

describe("a huge error message", () => {
  it("is cut to a few hundred characters in the error, which says how much was cut", async () => {
    await withSim(oneWorkspace(), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "status", status: 400, errorCode: "DLF.3051", errorMsg: "bad. ", errorMsgBytes: 5_000_000 });
      const { client } = clientFor(sim, { retry: NO_RETRY });
      const err = await failureOf(client.queryReleasePackages(WS, {}));
      expect(err).toMatchObject({ reason: "client", status: 400, errorCode: "DLF.3051" });
      expect(err.message).toMatch(/^HTTP 400: DLF\.3051 \(bad\. bad\. /);
      // 5 000 000 characters less the trailing space trimmed, less the 300 kept.
      expect(err.message).toContain(`(${5_000_000 - 1 - 300} more characters cut)`);
      expect(JSON.stringify(err.toLog()).length).toBeLessThan(600);
    });
  });
});

describe("a huge X-Request-Id", () => {
  /** A service that sends a 10 000-character request id with every answer: `status` and `body` by path. */
  async function withService<T>(answers: Record<string, [number, string]>, fn: (url: string) => Promise<T>): Promise<T> {
    const server = createServer((req, res) => {
      const [status, body] = answers[new URL(req.url ?? "/", "http://x").pathname.split("/").pop()!] ?? [404, ""];
      res.writeHead(status, { "Content-Type": "application/json", "X-Request-Id": "r".repeat(10_000) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it.each([
    ["an error status", "token", [503, '{"error_code":"DLF.0100"}'], "server"],
    ["a body that is not JSON", "token", [200, "<html>"], "invalid_response"],
    ["a body of the wrong shape", "token", [200, '{"data":1}'], "invalid_response"],
    ["an IAM answer without a token", "password", [201, "{}"], "invalid_response"],
  ] as const)("is cut in the error of %s, as the service's other texts are", async (_what, auth, answer, reason) => {
    await withService({ "release-packages": [...answer], tokens: [...answer] }, async (url) => {
      const { client } = clientFor({ url }, { auth, retry: NO_RETRY });
      const err = await failureOf(client.queryReleasePackages(WS, {}));
      expect(err.reason).toBe(reason);
      expect(err.requestId).toMatch(/^r{128}… \(9872 more characters cut\)$/);
      expect(JSON.stringify(err.toLog()).length).toBeLessThan(600);
    });
  });
});

describe("Retry-After that is not a whole number of seconds", () => {
  it.each([
    ["1.5", [2_000]],
    ["0.2", [1_000]],
    // A negative value is ignored: the usual backoff applies (random 0.5 of the 250 ms base).
    ["-5", [125]],
  ])("waits the right time for Retry-After: %s instead of reading it as a date", async (retryAfter, sleeps) => {
    await withSim(oneWorkspace(packages({ succeeded: 1 })), async (sim) => {
      sim.control.injectFault(PROJECT, WS, { kind: "throttle", retryAfter, times: 1 });
      const { client, clock } = clientFor(sim);
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 1 });
      expect(clock.sleeps).toEqual(sleeps);
    });
  });
});

describe("an IAM token whose expires_at has already passed", () => {
  // The simulator's clock is two days behind ours, so the tokens it issues for 24 h expired a day ago by our clock.
  const behind = () => Date.now() - 2 * DAY;

  it("is fetched once and used, not fetched again before every request", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(packages({ succeeded: 2 })), clock: behind, port: 0 });
    try {
      const { client, clock } = clientFor(sim, { auth: "password" });
      for (let i = 0; i < 10; i++) await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 2 });
      expect(sim.control.requestCounts().iam).toBe(1);
      clock.advance(EXPIRED_TOKEN_BACKOFF_MS);
      await client.queryReleasePackages(WS, { limit: 1 });
      expect(sim.control.requestCounts().iam).toBe(2);
    } finally {
      await sim.close();
    }
  });

  it("once the service rejects it, fails requests without asking IAM until the back-off is over", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(packages({ succeeded: 2 })), clock: behind, port: 0 });
    try {
      const { client, clock } = clientFor(sim, { auth: "password", retry: NO_RETRY });
      await client.queryReleasePackages(WS, { limit: 1 });
      sim.control.expireTokens();
      for (let i = 0; i < 10; i++) {
        const err = await failureOf(client.queryReleasePackages(WS, { limit: 1 }));
        expect(err.reason).toBe("auth");
      }
      const last = await failureOf(client.queryReleasePackages(WS, { limit: 1 }));
      expect(last.message).toMatch(/IAM issued a token already expired/);
      expect(sim.control.requestCounts().iam).toBe(1);
      clock.advance(EXPIRED_TOKEN_BACKOFF_MS);
      await expect(client.queryReleasePackages(WS, { limit: 1 })).resolves.toMatchObject({ total: 2 });
      expect(sim.control.requestCounts().iam).toBe(2);
    } finally {
      await sim.close();
    }
  });
});

describe("timestamps that are not Unix milliseconds (0, seconds, microseconds)", () => {
  const now = Date.now();
  const real = (id: string, ageMs: number, status: number = DeployStatus.pendingReview): ReleasePackage => ({
    package_id: id,
    package_name: `pkg_${id}`,
    apply_user_name: "alice",
    apply_timestamp: now - ageMs,
    deploy_status: status,
    deploy_timestamp: status === DeployStatus.pendingReview ? 0 : now - ageMs + 1000,
  });
  const zero: ReleasePackage = { ...real("z", 0), apply_timestamp: 0 };
  const inSeconds: ReleasePackage = { ...real("s", 0), apply_timestamp: Math.floor((now - 7 * DAY) / 1000) };
  const releasingInSeconds: ReleasePackage = { ...real("r", 0, DeployStatus.releasing), deploy_timestamp: Math.floor((now - DAY) / 1000) };
  const inMicroseconds: ReleasePackage = { ...real("u", 0), apply_timestamp: (now - 2 * DAY) * 1000 };

  it.each([0, 5])("are left out of the ages while the poll succeeds (per-package series limit %i)", async (seriesLimit) => {
    const pkgs = [zero, inSeconds, inMicroseconds, releasingInSeconds, real("a", 3_600_000), real("b", 60_000), real("c", 7_200_000, DeployStatus.releasing)];
    await withSim(oneWorkspace(pkgs), async (sim) => {
      const { client } = clientFor(sim);
      const skipped: string[] = [];
      const snapshot = await pollWorkspace({
        client,
        pager: new ReleasePackagePager(client, "auto"),
        workspaceId: WS,
        packageSeriesLimit: seriesLimit,
        now,
        onImplausible: (e) => skipped.push(`${e.packageId}:${e.field}`),
      });
      expect(snapshot.data.counts.pending_review).toBe(5);
      expect(snapshot.data.oldestPendingApplyMs).toBe(now - 3_600_000);
      expect(snapshot.data.oldestReleasingStartMs).toBe(now - 7_200_000 + 1000);
      expect(snapshot.data.pending.map((p) => p.id)).toEqual(seriesLimit > 0 ? ["a", "b"] : []);
      // Without series only the oldest pending package is fetched (then the oldest from 2000 on), so "s" and "u" go unseen.
      const seen = seriesLimit > 0 ? ["z:apply_timestamp", "s:apply_timestamp", "u:apply_timestamp"] : ["z:apply_timestamp"];
      expect(new Set(skipped)).toEqual(new Set([...seen, "r:deploy_timestamp"]));
    });
  });
});
