/** The HTTP transport (axios): one request with a deadline and a size cap, errors mapped to reasons. */
import axios, { AxiosInstance, isAxiosError } from "axios";
import { ApiError } from "./api-error";
import { Route, Routes } from "./route";
import { networkMessage, refusedByPlainProxy, refusedByProxy } from "./transport-errors";

import { MAX_RESPONSE_BYTES } from "./limits";

export { MAX_RESPONSE_BYTES };

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
 * business); rejects only with ApiError `timeout` or `network` when no answer came.
 */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;


/**
 * An axios transport. With `routes`, each request takes the project's proxy and TLS
 * settings; axios' own proxy handling is always off (it does not CONNECT for https://).
 */
export function axiosTransport(instance: AxiosInstance = axios.create(), routes?: Routes): Transport {
  return async (request) => {
    const target = new URL(request.url);
    let route: Route | undefined;
    try {
      route = routes?.for(target);
    } catch (err) {
      throw new ApiError("network", (err as Error).message);
    }
    const agent = route && (target.protocol === "https:" ? { httpsAgent: route.agent } : { httpAgent: route.agent });
    // A deadline for the whole exchange: axios' own `timeout` only covers idle sockets.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), request.timeoutMs);
    try {
      const response = await instance.request<string>({
        method: request.method,
        url: request.url,
        headers: request.headers,
        data: request.body,
        signal: controller.signal,
        responseType: "text",
        transformResponse: [(data: unknown) => data],
        transitional: { silentJSONParsing: false, forcedJSONParsing: false },
        validateStatus: () => true,
        maxRedirects: 0,
        // A gateway answering garbage must not be able to exhaust memory.
        maxContentLength: MAX_RESPONSE_BYTES,
        decompress: true,
        proxy: false,
        ...agent,
      });
      refusedByProxy(route, response.request, response.status, response.headers["proxy-authenticate"] !== undefined);
      refusedByPlainProxy(route, target, response.status, response.headers["x-request-id"] !== undefined);
      return { status: response.status, headers: flattenHeaders(response.headers), body: String(response.data ?? "") };
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (controller.signal.aborted) {
        throw new ApiError("timeout", `no answer within ${request.timeoutMs}ms`);
      }
      const code = isAxiosError(err) ? err.code : undefined;
      // axios gives the same code to a body over the limit and to one cut short by a closed connection.
      if (code === "ERR_BAD_RESPONSE" && /maxContentLength/.test((err as Error).message)) {
        throw new ApiError("invalid_response", `response larger than ${MAX_RESPONSE_BYTES} bytes`);
      }
      if (code === "ERR_BAD_RESPONSE") throw new ApiError("network", "request failed: the connection closed before the whole response arrived");
      throw new ApiError("network", networkMessage(target, route, code ?? (err as Error).message));
    } finally {
      clearTimeout(timer);
    }
  };
}

function flattenHeaders(headers: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}
