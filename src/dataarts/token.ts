/** IAM tokens from a password: fetched, cached, refreshed early, shared by concurrent callers. */
import { z } from "zod";
import { ApiError } from "./api-error";
import { Clock } from "../clock";
import { HttpResponse } from "./transport-contract";

export interface PasswordCredentials {
  iamEndpoint: string;
  domain: string;
  user: string;
  password: string;
  projectId: string;
}

/** Sends the IAM token request (with the client's retries and request hooks). */
export type IamSender = (url: string, body: string) => Promise<HttpResponse>;

const tokenBody = z.object({ token: z.object({ expires_at: z.string() }) });

/** How long a refused password is not tried again. */
export const REFUSED_BACKOFF_MS = 5 * 60_000;
/** How long a token that IAM issued already expired is used before IAM is asked again. */
export const EXPIRED_TOKEN_BACKOFF_MS = 60_000;

interface CachedToken {
  value: string;
  expiresAt: number;
  refreshAt: number;
}

/** Refresh this far before expiry: a fifth of the lifetime, at most an hour. */
function refreshPoint(issuedAt: number, expiresAt: number): number {
  const ahead = Math.min(3_600_000, (expiresAt - issuedAt) / 5);
  return expiresAt - ahead;
}

/**
 * An IAM token for one project, cached and refreshed ahead of `expires_at`.
 * Concurrent callers share one refresh, so a burst of polls makes one IAM request.
 */
export class IamTokenProvider {
  private cached?: CachedToken;
  private inflight?: Promise<string>;
  /**
   * IAM refused the credentials (asking again at every request could lock the IAM user),
   * or issued a token already expired (asking again at every request would not help).
   */
  private refused?: { until: number; error: ApiError };

  constructor(
    private readonly credentials: PasswordCredentials,
    private readonly send: IamSender,
    private readonly clock: Clock,
  ) {}

  async token(): Promise<string> {
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && now < cached.refreshAt) return cached.value;
    if (this.refused && now < this.refused.until) throw this.refused.error;
    try {
      return await this.refresh();
    } catch (err) {
      // An early refresh that failed is no reason to fail a request while the token still works.
      if (cached && now < cached.expiresAt) return cached.value;
      throw err;
    }
  }

  /** When the cached token expires (Unix ms), for reports; never the token itself. */
  get expiresAt(): number | undefined {
    return this.cached?.expiresAt;
  }

  /** The service said `token` expired (APIGW.0307): forget it unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private refresh(): Promise<string> {
    this.inflight ??= this.fetchToken()
      .catch((err: unknown) => {
        if (err instanceof ApiError && (err.reason === "auth" || err.reason === "client")) {
          this.refused = { until: this.clock.now() + REFUSED_BACKOFF_MS, error: err };
        }
        throw err;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const issuedAt = this.clock.now();
    const response = await this.send(`${this.credentials.iamEndpoint}/v3/auth/tokens`, this.requestBody());
    const value = response.headers["x-subject-token"];
    const expiresAt = parseExpiry(response.body);
    if (!value || expiresAt === undefined) {
      throw new ApiError("invalid_response", "IAM answered without a token or a readable expires_at", {
        status: response.status,
        requestId: response.headers["x-request-id"],
      });
    }
    const now = this.clock.now();
    if (expiresAt <= now) return this.expiredOnArrival(value, expiresAt, now, response);
    this.cached = { value, expiresAt, refreshAt: refreshPoint(issuedAt, expiresAt) };
    return value;
  }

  /**
   * A token past its expires_at on arrival (IAM's clock or ours is off) would be fetched again
   * before every request. It is used for a while instead (the service judges it); once that
   * pause is over, or the service rejects it, IAM is asked again, and not before.
   */
  private expiredOnArrival(value: string, expiresAt: number, now: number, response: HttpResponse): string {
    const until = now + EXPIRED_TOKEN_BACKOFF_MS;
    this.cached = { value, expiresAt: until, refreshAt: until };
    const message =
      `IAM issued a token already expired (expires_at ${new Date(expiresAt).toISOString()}, ` +
      `now ${new Date(now).toISOString()}: is a clock off?); not asking again for ${EXPIRED_TOKEN_BACKOFF_MS / 1000}s`;
    this.refused = { until, error: new ApiError("auth", message, { status: response.status, requestId: response.headers["x-request-id"] }) };
    return value;
  }

  private requestBody(): string {
    const { user, password, domain, projectId } = this.credentials;
    return JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: user, password, domain: { name: domain } } } },
        scope: { project: { id: projectId } },
      },
    });
  }
}

function parseExpiry(body: string): number | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = tokenBody.safeParse(json);
  if (!parsed.success) return undefined;
  const ms = Date.parse(parsed.data.token.expires_at);
  return Number.isNaN(ms) ? undefined : ms;
}
