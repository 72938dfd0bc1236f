/** One endpoint's way in, step by step: DNS, TCP connect, the proxy's CONNECT, and the TLS handshake with its certificate. */
import { lookup } from "node:dns/promises";
import { Socket, connect as tcpConnect, isIP } from "node:net";
import { TLSSocket, checkServerIdentity, connect as tlsConnect } from "node:tls";
import type { TlsConfig } from "../config/connection";
import { ProxyChoice, proxyLabel } from "../dataarts/proxy";
import { describeTlsError, tlsOptions } from "../dataarts/tls-options";
import { EndpointReport, Finding } from "./report";

/** Certificates this close to expiry are flagged. */
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export interface ProbeInput {
  role: EndpointReport["role"];
  url: URL;
  /** The proxy requests to `url` take, or an error choosing it. */
  proxy: ProxyChoice | undefined | Error;
  tls: TlsConfig | undefined;
  timeoutMs: number;
  now: () => number;
}

type Steps = Pick<EndpointReport, "dns" | "connect" | "tunnel" | "tls">;

/** Probes the endpoint; every failure becomes a finding, never an exception. */
export async function probeEndpoint(input: ProbeInput): Promise<Omit<EndpointReport, "clock" | "result">> {
  const { url } = input;
  const origin = `${url.protocol}//${url.host}`;
  const steps: Steps = { dns: null, connect: null, tunnel: null, tls: null };
  const findings: Finding[] = [];
  const proxy = input.proxy instanceof Error ? undefined : input.proxy;
  const base = { role: input.role, url: origin, proxy: proxy ? { address: proxyLabel(proxy.url), from: proxy.source } : null };
  if (input.proxy instanceof Error) return { ...base, ...steps, findings: [{ severity: "fail", message: input.proxy.message }] };
  let socket: Socket | undefined;
  const deadline = setTimeout(() => socket?.destroy(new Error(`no answer within ${input.timeoutMs}ms`)), input.timeoutMs);
  try {
    const first = proxy ? proxy.url : url;
    const host = first.hostname.replace(/^\[|\]$/g, "");
    const port = Number(first.port || (first.protocol === "https:" ? 443 : 80));
    const what = proxy ? `proxy ${proxyLabel(proxy.url)}` : `${host}:${port}`;
    let t = input.now();
    const addresses = await lookup(host, { all: true }).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`DNS lookup of ${host} failed: ${err.code ?? err.message}`);
    });
    steps.dns = { ms: input.now() - t, addresses: addresses.map((a) => a.address) };
    t = input.now();
    socket = await connected(tcpConnect({ host: addresses[0]!.address, port }), "connect", what);
    steps.connect = { ms: input.now() - t };
    if (proxy?.url.protocol === "https:") {
      // An https:// proxy: TLS to the proxy first (default trust store), then CONNECT inside it.
      socket = await connected(tlsConnect({ socket, servername: isIP(host) ? undefined : host }), "secureConnect", what);
    }
    if (proxy && url.protocol === "https:") {
      t = input.now();
      const status = await tunnel(socket, url, proxy.url);
      steps.tunnel = { ms: input.now() - t, status };
      if (status !== 200) throw new Error(`proxy ${proxyLabel(proxy.url)} refused the tunnel (CONNECT answered HTTP ${status})`);
    }
    if (url.protocol === "https:") {
      t = input.now();
      steps.tls = await handshake(socket, url, input.tls, findings, input.now);
      steps.tls.ms = input.now() - t;
    }
  } catch (err) {
    findings.push({ severity: "fail", message: (err as Error).message });
  } finally {
    clearTimeout(deadline);
    socket?.destroy();
  }
  return { ...base, ...steps, findings };
}

function connected<T extends Socket>(socket: T, event: "connect" | "secureConnect", what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve(socket));
    socket.once("error", (err: NodeJS.ErrnoException) => reject(new Error(`cannot connect to ${what}: ${err.code ?? err.message}`)));
  });
}

/** Sends CONNECT and reads the proxy's status line; the credentials go only to the proxy, never into a message. */
function tunnel(socket: Socket, target: URL, proxy: URL): Promise<number> {
  const authority = `${target.hostname}:${target.port || 443}`;
  const auth = proxy.username
    ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}\r\n`
    : "";
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  return new Promise((resolve, reject) => {
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      if (status) resolve(Number(status));
      else reject(new Error(`proxy ${proxyLabel(proxy)} answered CONNECT with something that is not HTTP`));
    };
    socket.on("data", onData);
    socket.once("error", (err: NodeJS.ErrnoException) => reject(new Error(`proxy ${proxyLabel(proxy)}: ${err.code ?? err.message}`)));
    socket.once("close", () => reject(new Error(`proxy ${proxyLabel(proxy)} closed the connection during CONNECT`)));
  });
}

/** The handshake with the project's TLS settings; the certificate is read even when untrusted, to show what was presented. */
async function handshake(socket: Socket, url: URL, tls: TlsConfig | undefined, findings: Finding[], now: () => number): Promise<NonNullable<Steps["tls"]>> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const servername = tls?.serverName ?? (isIP(host) ? undefined : host);
  const secure = await connected(
    tlsConnect({ ...tlsOptions(tls), socket, servername, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }),
    "secureConnect",
    `${host} (TLS)`,
  ) as TLSSocket;
  const cert = secure.getPeerCertificate();
  const validTo = new Date(cert.valid_to);
  const days = Math.floor((validTo.getTime() - now()) / DAY_MS);
  const label = `${host}:${url.port || 443}`;
  const chainError = secure.authorizationError ? String((secure.authorizationError as Error & { code?: string }).code ?? secure.authorizationError) : undefined;
  const nameError = checkServerIdentity(servername ?? host, cert);
  const skip = tls?.insecureSkipVerify === true;
  const problem = chainError ? describeTlsError(chainError, label) ?? `TLS: ${chainError}` : nameError ? describeTlsError("ERR_TLS_CERT_ALTNAME_INVALID", label) : undefined;
  if (problem) findings.push({ severity: skip ? "warn" : "fail", message: skip ? `${problem} (ignored: insecure_skip_verify is true)` : problem });
  else if (skip) findings.push({ severity: "warn", message: "insecure_skip_verify is true: the certificate would not be checked" });
  if (days < EXPIRY_WARNING_DAYS) findings.push({ severity: days < 0 ? "fail" : "warn", message: `the certificate of ${label} expires in ${days} day(s)` });
  return {
    ms: 0,
    protocol: secure.getProtocol() ?? "unknown",
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    valid_to: Number.isNaN(validTo.getTime()) ? cert.valid_to : validTo.toISOString(),
    days_to_expiry: days,
    trusted: !problem,
  };
}

function distinguishedName(name: object | undefined): string {
  if (!name) return "";
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
    .join(", ");
}
