/** Which forward proxy a request goes through: a project's `proxy_url`, else HTTPS_PROXY / HTTP_PROXY minus NO_PROXY. */

/** The process environment, injected (only the entry point reads `process.env`). */
export type ProxyEnv = Record<string, string | undefined>;

export interface ProxyChoice {
  url: URL;
  /** Where the choice came from, for logs and the API check: `proxy_url`, `HTTPS_PROXY`, `http_proxy`... */
  source: string;
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** The lower-case name wins when both are set, as curl does. */
function fromEnv(env: ProxyEnv, name: string): { value: string; source: string } | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[key]?.trim();
    if (value) return { value, source: key };
  }
  return undefined;
}

/**
 * The proxy for `target`, or undefined to connect directly. `proxy_url` overrides the
 * environment entirely (NO_PROXY included). Throws a TypeError, naming the variable but
 * never its value (it may hold credentials), when the proxy is not a URL.
 */
export function chooseProxy(target: URL, env: ProxyEnv, proxyUrl?: string): ProxyChoice | undefined {
  if (proxyUrl !== undefined) return { url: parseProxy(proxyUrl, "proxy_url"), source: "proxy_url" };
  if (bypassed(target, fromEnv(env, "no_proxy")?.value)) return undefined;
  const found = fromEnv(env, target.protocol === "https:" ? "https_proxy" : "http_proxy");
  return found && { url: parseProxy(found.value, found.source), source: found.source };
}

function parseProxy(value: string, source: string): URL {
  // `proxy.corp:3128` without a scheme means http://, as curl reads it.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new TypeError(`${source} is not an http(s) proxy URL`);
  }
  return url;
}

/**
 * NO_PROXY as curl and Go read it: `*`, or a list of host names, domain suffixes
 * (`.example.com`, `*.example.com` or `example.com` also covering its subdomains),
 * IP addresses, each optionally with `:port`.
 */
export function bypassed(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || DEFAULT_PORTS[target.protocol] || "";
  return noProxy.split(/[,\s]+/).some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === "*") return true;
    const { name, port: onlyPort } = splitEntry(entry);
    if (onlyPort !== undefined && onlyPort !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** A NO_PROXY entry as a host (suffix) and an optional port; a bare IPv6 address has no port. */
function splitEntry(entry: string): { name: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1]!, port: bracketed[2] };
  const parts = entry.split(":");
  const [host, port] = parts.length === 2 ? parts : [entry, undefined];
  return { name: host!.replace(/^\*?\./, ""), port };
}

/** `host:port` of a proxy: what logs, errors and reports may show (never the credentials). */
export function proxyLabel(url: URL): string {
  // An IPv6 hostname comes bracketed from URL already.
  return `${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol] || ""}`;
}
