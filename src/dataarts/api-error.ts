/** Why an API call failed: a fixed set, used as the `reason` label of `dataarts_poll_errors_total`. */
export const ERROR_REASONS = [
  "auth",
  "throttled",
  "timeout",
  "network",
  "server",
  "client",
  "invalid_response",
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

export interface ApiErrorDetails {
  status?: number;
  errorCode?: string;
  requestId?: string;
  /** Seconds the service asked us to wait (Retry-After), when it said so. */
  retryAfterSeconds?: number;
}

/**
 * A DataArts (or IAM) request that did not give a usable answer. Carries what an
 * operator needs to chase it with Huawei support, and never a credential.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status?: number;
  readonly errorCode?: string;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly reason: ErrorReason,
    message: string,
    details: ApiErrorDetails = {},
  ) {
    super(message);
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** Fields for a structured log line. */
  toLog(): Record<string, unknown> {
    return {
      reason: this.reason,
      status: this.status,
      error_code: this.errorCode,
      request_id: this.requestId,
      err: this.message,
    };
  }
}
