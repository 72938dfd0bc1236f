/** How a request proves who it is: AK/SK signing, a static token, or an IAM token from a password. */
import { sdkDate, sign } from "./signer";
import { IamTokenProvider } from "./token";
import { Clock } from "../clock";

/** A request about to be sent, which an authenticator may add headers to. */
export interface OutgoingRequest {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** One of the three auth schemes; chosen per project. */
export interface Authenticator {
  /** Adds the auth headers; returns what was used, for `rejected`. */
  authorize(request: OutgoingRequest): Promise<string | undefined>;
  /**
   * The service answered 401 with `errorCode` to a request authorized with `used`.
   * Returns true when asking again may help (a refreshed token).
   */
  rejected(errorCode: string | undefined, used: string | undefined): boolean;
}

export interface AkSkCredentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

export class AkSkAuthenticator implements Authenticator {
  constructor(
    private readonly credentials: AkSkCredentials,
    private readonly projectId: string,
    private readonly clock: Clock,
  ) {}

  async authorize(request: OutgoingRequest): Promise<undefined> {
    const headers = request.headers;
    headers["Host"] = request.url.host;
    headers["X-Sdk-Date"] = sdkDate(new Date(this.clock.now()));
    headers["X-Project-Id"] = this.projectId;
    if (this.credentials.securityToken) headers["X-Security-Token"] = this.credentials.securityToken;
    const query: Record<string, string[]> = {};
    for (const [k, v] of request.url.searchParams) (query[k] ??= []).push(v);
    headers["Authorization"] = sign(
      { method: request.method, path: request.url.pathname, query, headers: { ...headers }, body: request.body },
      this.credentials,
    ).authorization;
    return undefined;
  }

  rejected(): boolean {
    return false;
  }
}

export class PasswordAuthenticator implements Authenticator {
  /** `tokens` is readable so that `--api.check` can fetch one up front and show its expiry. */
  constructor(readonly tokens: IamTokenProvider) {}

  async authorize(request: OutgoingRequest): Promise<string> {
    const token = await this.tokens.token();
    request.headers["X-Auth-Token"] = token;
    return token;
  }

  rejected(errorCode: string | undefined, used: string | undefined): boolean {
    if (errorCode !== "APIGW.0307" || used === undefined) return false;
    this.tokens.invalidate(used);
    return true;
  }
}

export class StaticTokenAuthenticator implements Authenticator {
  constructor(private readonly token: string) {}

  async authorize(request: OutgoingRequest): Promise<undefined> {
    request.headers["X-Auth-Token"] = this.token;
    return undefined;
  }

  rejected(): boolean {
    return false;
  }
}
