/** The DataArts API client: one signed, retried, validated request per call, each reported as an event. */
import { ApiError, ErrorReason, clipServiceText } from "./api-error";
import { Authenticator, OutgoingRequest } from "./auth";
import { Clock } from "../clock";
import { HttpResponse, Transport } from "./transport-contract";
import { DEFAULT_RETRY, RetryPolicy, parseRetryAfter, withRetry } from "./retry";
import { parseErrorBody, parseReleasePackagePage, parseWorkspacePage } from "./response";
import { ReleasePackagePage, ReleasePackageQuery, WorkspacePage } from "./model";
import { SIGNATURE_WINDOW_SECONDS, clockSkewSeconds, describeSkew, formatSkew } from "./clock-skew";

export type RequestKind = "release_packages" | "workspaces" | "iam_token";

/** Reported once per HTTP exchange (each retry is its own exchange). */
export interface RequestEvent {
  projectId: string;
  /** Empty for requests not made for one workspace. */
  workspaceId: string;
  kind: RequestKind;
  /** The HTTP status, or `error` when no answer came. */
  code: string;
  durationSeconds: number;
  /** Service time minus ours from the answer's `Date` header, when it had one. */
  clockSkewSeconds?: number;
  /** The answer's `X-Request-Id`. */
  requestId?: string;
}

export interface ClientOptions {
  projectId: string;
  /** `https://dayu.<region>.myhuaweicloud.com`, no trailing slash. */
  endpoint: string;
  auth: Authenticator;
  transport: Transport;
  clock: Clock;
  timeoutMs: number;
  retry?: RetryPolicy;
  random?: () => number;
  onRequest?: (event: RequestEvent) => void;
  /** Wraps each exchange, e.g. to hold a slot of the global in-flight limit. */
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
}

interface Call {
  kind: RequestKind;
  workspaceId: string;
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

const JSON_CONTENT_TYPE = "application/json;charset=UTF-8";

/** DataArts Studio API client for one project. Knows nothing of metrics. */
export class DataArtsClient {
  readonly projectId: string;

  constructor(private readonly options: ClientOptions) {
    this.projectId = options.projectId;
  }

  async queryReleasePackages(workspaceId: string, filter: ReleasePackageQuery): Promise<ReleasePackagePage> {
    const url = new URL(`${this.options.endpoint}/v2/${encodeURIComponent(this.projectId)}/factory/release-packages`);
    const headers: Record<string, string> = { "Content-Type": JSON_CONTENT_TYPE };
    if (workspaceId) headers["workspace"] = workspaceId;
    const response = await this.call({
      kind: "release_packages",
      workspaceId,
      method: "POST",
      url,
      headers,
      body: JSON.stringify(filter),
    });
    return parseReleasePackagePage(response.body, response.headers["x-request-id"]);
  }

  /** One page of an instance's workspaces (`offset` is a record offset here). */
  async listWorkspaces(instanceId: string, offset = 0, limit = 100): Promise<WorkspacePage> {
    const url = new URL(
      `${this.options.endpoint}/v1/${encodeURIComponent(this.projectId)}/workspaces/${encodeURIComponent(instanceId)}`,
    );
    url.searchParams.set("limit", String(limit));
    url.searchParams.set("offset", String(offset));
    const response = await this.call({
      kind: "workspaces",
      workspaceId: "",
      method: "GET",
      url,
      headers: { "Content-Type": JSON_CONTENT_TYPE },
    });
    return parseWorkspacePage(response.body, response.headers["x-request-id"]);
  }

  /** Sends an IAM request with this client's transport, retries and hooks (no DataArts auth). */
  async sendIam(url: string, body: string): Promise<HttpResponse> {
    const call: Call = {
      kind: "iam_token",
      workspaceId: "",
      method: "POST",
      url: new URL(url),
      headers: { "Content-Type": JSON_CONTENT_TYPE },
      body,
    };
    return withRetry(() => this.exchange(call), this.retryDeps());
  }

  private async call(call: Call): Promise<HttpResponse> {
    let reauthorized = false;
    return withRetry(async () => {
      for (;;) {
        const request: OutgoingRequest = { ...call, headers: { ...call.headers } };
        const used = await this.options.auth.authorize(request);
        try {
          return await this.exchange({ ...call, headers: request.headers });
        } catch (err) {
          // One fresh token per call: an expired token is normal, a second 401 is not.
          if (err instanceof ApiError && err.status === 401 && !reauthorized && this.options.auth.rejected(err.errorCode, used)) {
            reauthorized = true;
            continue;
          }
          throw err;
        }
      }
    }, this.retryDeps());
  }

  private retryDeps() {
    return {
      clock: this.options.clock,
      policy: this.options.retry ?? DEFAULT_RETRY,
      random: this.options.random ?? Math.random,
      attemptMs: this.options.timeoutMs,
    };
  }

  /** One HTTP exchange: reports it, and turns any non-2xx answer into an ApiError. */
  private async exchange(call: Call): Promise<HttpResponse> {
    const { transport, clock, timeoutMs } = this.options;
    const limit = this.options.limit ?? ((fn) => fn());
    const response = await limit(async () => {
      // Timed inside the limit: waiting for a slot is not the API's latency.
      const started = clock.now();
      let answer: HttpResponse | undefined;
      try {
        answer = await transport({ method: call.method, url: call.url.toString(), headers: call.headers, body: call.body, timeoutMs });
        return answer;
      } finally {
        const ended = clock.now();
        const skew = answer && clockSkewSeconds(answer.headers["date"], started, ended);
        if (skew !== undefined) this.clockSkewSeconds = skew;
        this.report(call, ended - started, answer, skew);
      }
    });
    if (response.status >= 200 && response.status < 300) return response;
    throw this.errorFor(response, "X-Sdk-Date" in call.headers);
  }

  /** The service's clock minus ours at the last answer with a `Date` header. */
  clockSkewSeconds?: number;

  private report(call: Call, elapsedMs: number, answer: HttpResponse | undefined, skew: number | undefined): void {
    this.options.onRequest?.({
      projectId: this.projectId,
      workspaceId: call.workspaceId,
      kind: call.kind,
      code: answer ? String(answer.status) : "error",
      durationSeconds: Math.max(0, elapsedMs) / 1000,
      ...(skew !== undefined && { clockSkewSeconds: skew }),
      ...(answer?.headers["x-request-id"] !== undefined && { requestId: answer.headers["x-request-id"] }),
    });
  }

  private errorFor(response: HttpResponse, signed: boolean): ApiError {
    const body = parseErrorBody(response.body);
    // Whatever the service sends goes into errors and log lines: bounded, however much it sent.
    const errorCode = body.errorCode === undefined ? undefined : clipServiceText(body.errorCode, 64);
    const errorMsg = body.errorMsg === undefined ? undefined : clipServiceText(body.errorMsg.trim());
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"], this.options.clock.now());
    const reason = reasonFor(response.status);
    const what = errorCode ? `${errorCode}${errorMsg ? ` (${errorMsg})` : ""}` : "no error code";
    const skew = this.clockSkewSeconds;
    // A signature dated outside the gateway's window is refused like a wrong key: say which it is.
    const clockCause =
      signed && response.status === 401 && skew !== undefined && Math.abs(skew) > SIGNATURE_WINDOW_SECONDS
        ? `; ${describeSkew(skew)}, beyond the ${formatSkew(SIGNATURE_WINDOW_SECONDS)} signature window: the clock is the cause, fix it (NTP)`
        : "";
    return new ApiError(reason, `HTTP ${response.status}: ${what}${clockCause}`, {
      status: response.status,
      errorCode,
      requestId: response.headers["x-request-id"],
      // Gateways send Retry-After with 503 as well as with 429.
      retryAfterSeconds: (reason === "throttled" || reason === "server") && retryAfterMs !== undefined ? retryAfterMs / 1000 : undefined,
    });
  }
}

export function reasonFor(status: number): ErrorReason {
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "throttled";
  if (status >= 500) return "server";
  return "client";
}
