/** How requests reach the service: directly or through a forward proxy (CONNECT for https://), with the project's TLS settings. */
import http from "node:http";
import https from "node:https";
import { HttpProxyAgent } from "http-proxy-agent";
import { HttpsProxyAgent } from "https-proxy-agent";
import type { ConnectionOptions } from "node:tls";
import type { ConnectionConfig } from "../config/connection";
import { ProxyChoice, ProxyEnv, chooseProxy } from "./proxy";
import { tlsOptions } from "./tls-options";

export interface Route {
  /** The agent the transport sends through: direct, or the proxy's. */
  agent: http.Agent;
  proxy?: ProxyChoice;
  /** The proxy's answer to CONNECT when it was not 200, for the request that was refused. */
  refusedConnect(request: unknown): number | undefined;
}

/** Idle kept-alive sockets close after this: a reload that replaces a project's routes leaves nothing open for long. */
const IDLE_SOCKET_MS = 30_000;

/** One agent per scheme and proxy for a project, made on first use. */
export class Routes {
  private readonly cache = new Map<string, Route>();
  /** The proxy choice per origin: every request of a project goes to one or two origins, and reading the environment each time costs. */
  private readonly choices = new Map<string, ProxyChoice | undefined>();

  constructor(
    private readonly settings: ConnectionConfig,
    private readonly env: ProxyEnv,
  ) {}

  /** The proxy a request to `url` takes (undefined: direct); throws a TypeError for an unusable proxy setting. */
  proxyFor(url: URL): ProxyChoice | undefined {
    return chooseProxy(url, this.env, this.settings.proxyUrl);
  }

  for(url: URL): Route {
    const origin = url.origin;
    let proxy = this.choices.get(origin);
    if (proxy === undefined && !this.choices.has(origin)) {
      proxy = this.proxyFor(url);
      this.choices.set(origin, proxy);
    }
    const key = `${url.protocol}${proxy ? proxy.url.href : "direct"}`;
    let route = this.cache.get(key);
    if (!route) {
      route = this.make(url.protocol === "https:", proxy);
      this.cache.set(key, route);
    }
    return route;
  }

  private make(secure: boolean, proxy: ProxyChoice | undefined): Route {
    const common = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    const tls = tlsOptions(this.settings.tls);
    if (!proxy) {
      const agent = secure ? new https.Agent({ ...common, ...tls }) : new http.Agent(common);
      return { agent, refusedConnect: () => undefined };
    }
    if (!secure) return { agent: new HttpProxyAgent(proxy.url, common), proxy, refusedConnect: () => undefined };
    // CONNECT: the proxy sees only host:port, TLS runs end to end with the service.
    const agent = new TunnelAgent(proxy.url, common, tls);
    const refused = new WeakMap<object, number>();
    agent.on("proxyConnect", (connect: { statusCode: number }, request: object) => {
      if (connect.statusCode !== 200) refused.set(request, connect.statusCode);
    });
    return { agent, proxy, refusedConnect: (request) => (typeof request === "object" && request ? refused.get(request) : undefined) };
  }
}

/**
 * CONNECT with the project's TLS settings applied to the service's certificate, not to the
 * proxy's: https-proxy-agent hands the request's options (without the agent's) to its TLS upgrade.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: URL,
    options: http.AgentOptions,
    private readonly serviceTls: ConnectionOptions,
  ) {
    super(proxy.href, options);
  }

  override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgent<string>["connect"]>[1]) {
    return super.connect(req, { ...opts, ...this.serviceTls } as typeof opts);
  }
}
