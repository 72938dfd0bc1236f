/** The transport contract: what a request and an answer are, and what sending one promises. */

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** Exact bytes to send; signing hashes these very bytes. */
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends one request. Resolves with any HTTP answer (status codes are the caller's
 * business); rejects only with ApiError `timeout` or `network` when no answer came, or
 * `invalid_response` when the answer cannot be taken (too large, undecodable).
 */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;
