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

/** Longest piece of service-provided text (error_msg, error_code, request id) kept in an error or a log line. */
const MAX_SERVICE_TEXT = 300;
/** A sane request id is a UUID; a longer one is cut to this. */
const MAX_REQUEST_ID = 128;

/** `text` cut to `max` characters, saying how many were cut: a service may send megabytes of error message. */
export function clipServiceText(text: string, max = MAX_SERVICE_TEXT): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

export interface ApiErrorDetails {
  status?: number;
  errorCode?: string;
  requestId?: string;
  /** Seconds the service asked us to wait (Retry-After), when it said so. */
  retryAfterSeconds?: number;
}

/**
 * A DataArts (or IAM) request that did not give a usable answer. Carries what an
 * operator needs to chase it with Huawei support, and never a credential. The request
 * id is the service's header, cut here so that every error carrying one is bounded.
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
    this.requestId = details.requestId === undefined ? undefined : clipServiceText(details.requestId, MAX_REQUEST_ID);
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
