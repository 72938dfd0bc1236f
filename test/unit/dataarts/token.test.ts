import { ApiError } from "../../../src/dataarts/api-error";
import { IamTokenProvider, REFUSED_BACKOFF_MS } from "../../../src/dataarts/token";
import { HttpResponse } from "../../../src/dataarts/transport-contract";
import { FakeClock } from "../../helpers/fake-clock";

const credentials = { iamEndpoint: "https://iam.test", domain: "acme", user: "monitor", password: "pw-secret", projectId: "p1" };
const HOUR = 3_600_000;

/** An IAM stand-in that issues numbered tokens living `lifetimeMs`, answering when `release` is called if held. */
function iam(clock: FakeClock, lifetimeMs = 24 * HOUR) {
  let issued = 0;
  const bodies: unknown[] = [];
  const pending: Array<() => void> = [];
  let hold = false;
  const send = (url: string, body: string): Promise<HttpResponse> => {
    bodies.push({ url, body: JSON.parse(body) });
    const answer = (): HttpResponse => ({
      status: 201,
      headers: { "x-subject-token": `token-${++issued}` },
      body: JSON.stringify({ token: { expires_at: new Date(clock.now() + lifetimeMs).toISOString().replace("Z", "000Z") } }),
    });
    if (!hold) return Promise.resolve(answer());
    return new Promise((resolve) => pending.push(() => resolve(answer())));
  };
  return {
    send,
    bodies,
    issued: () => issued,
    holdAnswers: () => (hold = true),
    release: () => pending.splice(0).forEach((f) => f()),
  };
}

describe("the IAM token provider", () => {
  it("asks IAM with the password body of the notes, scoped to the project", async () => {
    const clock = new FakeClock();
    const server = iam(clock);
    await new IamTokenProvider(credentials, server.send, clock).token();
    expect(server.bodies).toEqual([
      {
        url: "https://iam.test/v3/auth/tokens",
        body: {
          auth: {
            identity: { methods: ["password"], password: { user: { name: "monitor", password: "pw-secret", domain: { name: "acme" } } } },
            scope: { project: { id: "p1" } },
          },
        },
      },
    ]);
  });

  it("reuses the cached token until it nears expiry, then refreshes ahead of expires_at", async () => {
    const clock = new FakeClock();
    const server = iam(clock);
    const provider = new IamTokenProvider(credentials, server.send, clock);
    expect(await provider.token()).toBe("token-1");
    clock.advance(22 * HOUR);
    expect(await provider.token()).toBe("token-1");
    clock.advance(HOUR + 1);
    expect(await provider.token()).toBe("token-2");
    expect(server.issued()).toBe(2);
  });

  it("refreshes short-lived tokens at four fifths of their life", async () => {
    const clock = new FakeClock();
    const server = iam(clock, 10_000);
    const provider = new IamTokenProvider(credentials, server.send, clock);
    await provider.token();
    clock.advance(7_999);
    expect(await provider.token()).toBe("token-1");
    clock.advance(1);
    expect(await provider.token()).toBe("token-2");
  });

  it("makes one IAM request for many concurrent callers", async () => {
    const clock = new FakeClock();
    const server = iam(clock);
    server.holdAnswers();
    const provider = new IamTokenProvider(credentials, server.send, clock);
    const callers = Promise.all([provider.token(), provider.token(), provider.token()]);
    server.release();
    expect(await callers).toEqual(["token-1", "token-1", "token-1"]);
    expect(server.issued()).toBe(1);
  });

  it("forgets an expired token once, and not a newer one that already replaced it", async () => {
    const clock = new FakeClock();
    const server = iam(clock);
    const provider = new IamTokenProvider(credentials, server.send, clock);
    await provider.token();
    provider.invalidate("token-1");
    expect(await provider.token()).toBe("token-2");
    provider.invalidate("token-1");
    expect(await provider.token()).toBe("token-2");
  });

  it("keeps using a still-valid token when an early refresh fails", async () => {
    const clock = new FakeClock();
    const server = iam(clock);
    let down = false;
    const send = (url: string, body: string) =>
      down ? Promise.reject(new ApiError("server", "IAM 503")) : server.send(url, body);
    const provider = new IamTokenProvider(credentials, send, clock);
    await provider.token();
    down = true;
    clock.advance(23 * HOUR);
    expect(await provider.token()).toBe("token-1");
    clock.advance(HOUR);
    await expect(provider.token()).rejects.toMatchObject({ reason: "server" });
  });

  it("does not ask IAM again for five minutes after it refused the password", async () => {
    const clock = new FakeClock();
    let asked = 0;
    const send = () => {
      asked++;
      return Promise.reject(new ApiError("auth", "HTTP 401: IAM.0002", { status: 401 }));
    };
    const provider = new IamTokenProvider(credentials, send, clock);
    await expect(provider.token()).rejects.toMatchObject({ reason: "auth" });
    await expect(provider.token()).rejects.toMatchObject({ reason: "auth" });
    expect(asked).toBe(1);
    clock.advance(REFUSED_BACKOFF_MS);
    await expect(provider.token()).rejects.toMatchObject({ reason: "auth" });
    expect(asked).toBe(2);
  });

  it("reports an IAM answer without a token as an invalid response", async () => {
    const clock = new FakeClock();
    const send = async (): Promise<HttpResponse> => ({ status: 201, headers: {}, body: "{}" });
    await expect(new IamTokenProvider(credentials, send, clock).token()).rejects.toMatchObject({ reason: "invalid_response" });
  });
});
