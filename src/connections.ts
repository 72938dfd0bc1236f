/** Each project's transport from its proxy and TLS settings, saying at start what it will do (wiring, above the layers). */
import type { Logger } from "pino";
import type { ProjectConfig } from "./config/config";
import { ProxyEnv, proxyLabel } from "./dataarts/proxy";
import { Routes } from "./dataarts/route";
import type { Transport } from "./dataarts/transport";
import { nodeTransport } from "./dataarts/http-transport";

/** A transport for `project`; logs its proxy (host:port only) and warns when certificates are not checked. */
export function projectTransport(project: ProjectConfig, env: ProxyEnv, logger: Logger): Transport {
  const routes = new Routes(project, env);
  const fields = { project_id: project.projectId, endpoint: project.endpoint };
  if (project.tls?.insecureSkipVerify) {
    logger.warn(fields, "tls.insecure_skip_verify is true: the service's certificate is not checked, so anyone on the path can read and change the traffic");
  }
  try {
    const proxy = routes.proxyFor(new URL(project.endpoint));
    if (proxy) logger.info({ ...fields, proxy: proxyLabel(proxy.url), proxy_from: proxy.source }, "requests go through a proxy");
  } catch (err) {
    logger.error({ ...fields, err: (err as Error).message }, "proxy setting unusable; requests will fail with reason network");
  }
  return nodeTransport({ routes });
}
