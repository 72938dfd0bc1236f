/** What a failed exchange says: the proxy or TLS problem named, host and port only. */
import { ApiError } from "./api-error";
import { proxyLabel } from "./proxy";
import type { Route } from "./route";
import { describeTlsError } from "./tls-options";

/** Errors of the first hop: through a proxy, that hop is the proxy. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"]);

/** A proxy that answered CONNECT with anything but 200, or asked for credentials, is a network failure naming it. */
export function refusedByProxy(route: Route | undefined, request: unknown, status: number, proxyAuth: boolean): void {
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
export function refusedByPlainProxy(route: Route | undefined, target: URL, status: number, hasRequestId: boolean): void {
  if (!route?.proxy || target.protocol !== "http:" || hasRequestId || (status !== 401 && status !== 403)) return;
  const label = proxyLabel(route.proxy.url);
  throw new ApiError("network", `proxy ${label} refused the request: HTTP ${status} without the X-Request-Id every DataArts answer carries`);
}

export function networkMessage(target: URL, route: Route | undefined, code: string): string {
  const host = `${target.hostname}:${target.port || (target.protocol === "https:" ? "443" : "80")}`;
  const tls = describeTlsError(code, host);
  if (tls) return tls;
  if (!route?.proxy) return `request to ${host} failed: ${code}`;
  const label = proxyLabel(route.proxy.url);
  if (CONNECT_ERRORS.has(code)) return `cannot reach proxy ${label} (from ${route.proxy.source}): ${code}`;
  return `request to ${host} through proxy ${label} failed: ${code}`;
}
