import { request } from "node:https";
import { ApiError } from "../../src/dataarts/api-error";
import { startSimulator } from "../../src/simulator";
import { makePki } from "../helpers/certs";
import { WS, clientFor, oneWorkspace, packages } from "../helpers/sim";

const MINUTE = 60_000;

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("the service's clock, played by the simulator's offset", () => {
  it("dates every answer by the service's clock and the client reports service minus local", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(packages({ succeeded: 2 })), port: 0, clockOffsetMs: 7 * MINUTE });
    try {
      const { client, events } = clientFor(sim);
      await client.queryReleasePackages(WS, { limit: 1 });
      expect(events[0]!.clockSkewSeconds).toBeGreaterThan(7 * 60 - 2);
      expect(events[0]!.clockSkewSeconds).toBeLessThan(7 * 60 + 2);
      expect(events[0]!.requestId).toMatch(/^[0-9a-f]{32}$/);
      expect(client.clockSkewSeconds).toBe(events[0]!.clockSkewSeconds);
    } finally {
      await sim.close();
    }
  });

  it("refuses a signature outside its window, and the client names the clock as the cause and by how much", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(), port: 0, clockOffsetMs: -20 * MINUTE });
    try {
      const { client } = clientFor(sim, { retry: { maxAttempts: 1 } });
      const err = await failureOf(client.queryReleasePackages(WS, { limit: 1 }));
      expect(err.reason).toBe("auth");
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/APIGW\.0301 .*; the local clock is 20m\ds ahead of the service's, beyond the 15m0s signature window: the clock is the cause/);
    } finally {
      await sim.close();
    }
  });

  it("does not blame the clock for a wrong key while the clocks agree", async () => {
    const sim = await startSimulator({ scenario: oneWorkspace(), port: 0 });
    try {
      const { client } = clientFor(sim, { secretKey: "wrong-secret", retry: { maxAttempts: 1 } });
      const err = await failureOf(client.queryReleasePackages(WS, { limit: 1 }));
      expect(err.reason).toBe("auth");
      expect(err.message).not.toContain("clock");
    } finally {
      await sim.close();
    }
  });
});

describe("the simulator over HTTPS", () => {
  it("serves with a certificate from the test's CA, which a Node client trusts only when given the CA", async () => {
    const pki = makePki();
    const sim = await startSimulator({ scenario: oneWorkspace(), port: 0, tls: { cert: pki.cert, key: pki.key } });
    const get = (ca?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${sim.url}/-/sim/counts`, { ca }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on("error", reject);
        req.end();
      });
    try {
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(pki.ca)).toBe(200);
      await expect(get()).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    } finally {
      await sim.close();
    }
  });
});
