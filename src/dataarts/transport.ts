/** The HTTP transport (axios): one request with a deadline and a size cap, errors mapped to reasons. */
import axios, { AxiosInstance, isAxiosError } from "axios";
import { ApiError } from "./api-error";
import { Route, Routes, proxyLabel } from "./route";
import { describeTlsError } from "./tls-options";

/** Far above a page of 100 packages (about 100 KB). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

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

/** Errors of the first hop: through a proxy, that hop is the proxy. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

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

/** A proxy that answered CONNECT with anything but 200, or asked for credentials, is a network failure naming it. */
function refusedByProxy(route: Route | undefined, request: unknown, status: number, proxyAuth: boolean): void {
  if (!route?.proxy) return;
  const label = proxyLabel(route.proxy.url);
  const refused = route.refusedConnect(request);
  if (refused !== undefined) throw new ApiError("network", `proxy ${label} refused the tunnel (CONNECT answered HTTP ${refused})`);
  if (status === 407 || proxyAuth) throw new ApiError("network", `proxy ${label} refused the request: HTTP ${status}, it asks for proxy credentials`);
}

/**
 * A plain-http request through a proxy gets the proxy's own answer when the proxy refuses it. Every
 * DataArts answer carries X-Request-Id (the API's documentation), so a 401 or 403 without one is the
 * proxy's: a network failure naming it, not the service refusing our credentials.
 */
function refusedByPlainProxy(route: Route | undefined, target: URL, status: number, hasRequestId: boolean): void {
  if (!route?.proxy || target.protocol !== "http:" || hasRequestId || (status !== 401 && status !== 403)) return;
  const label = proxyLabel(route.proxy.url);
  throw new ApiError("network", `proxy ${label} refused the request: HTTP ${status} without the X-Request-Id every DataArts answer carries`);
}

function networkMessage(target: URL, route: Route | undefined, code: string): string {
  const host = `${target.hostname}:${target.port || (target.protocol === "https:" ? "443" : "80")}`;
  const tls = describeTlsError(code, host);
  if (tls) return tls;
  if (!route?.proxy) return `request to ${host} failed: ${code}`;
  const label = proxyLabel(route.proxy.url);
  if (CONNECT_ERRORS.has(code)) return `cannot reach proxy ${label} (from ${route.proxy.source}): ${code}`;
  return `request to ${host} through proxy ${label} failed: ${code}`;
}
