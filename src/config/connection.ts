/** A project's way to the service: its `proxy_url` and `tls` settings, read and checked with the rest of the config. */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { Section } from "./section";

/** Prometheus' `tls_config` names. Certificate and key files are read at load, so a reload re-reads them. */
export interface TlsConfig {
  caFile?: string;
  /** PEM text of `ca_file`: replaces the default trust store for this project, as in Prometheus. */
  ca?: string;
  certFile?: string;
  cert?: string;
  keyFile?: string;
  /** PEM text of `key_file`: a secret. */
  key?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
}

export interface ConnectionConfig {
  /** Overrides HTTPS_PROXY / HTTP_PROXY / NO_PROXY for this project; may hold credentials (a secret). */
  proxyUrl?: string;
  tls?: TlsConfig;
}

export const CONNECTION_KEYS = ["proxy_url", "tls"] as const;
/** A CA bundle of a few hundred certificates fits; a file past this is not one. */
const MAX_PEM_BYTES = 1024 * 1024;
const TLS_KEYS = ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"];

/** The project's connection settings; null when one of them is invalid (reported). */
export function readConnection(project: Section): ConnectionConfig | null {
  const proxyUrl = readProxyUrl(project);
  const tls = project.has("tls") ? readTls(project) : undefined;
  if (proxyUrl === null || tls === null) return null;
  return { ...(proxyUrl !== undefined && { proxyUrl }), ...(tls && { tls }) };
}

function readProxyUrl(s: Section): string | undefined | null {
  if (!s.has("proxy_url")) return undefined;
  const value = s.string("proxy_url");
  if (value === undefined) return null;
  // Never quoted back: a proxy URL often carries user:password.
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || /\s/.test(value) || !url.hostname) {
    s.problem("proxy_url", "must be an http(s) URL such as http://proxy.example.com:3128");
    return null;
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    s.problem("proxy_url", "must be scheme://[user:password@]host:port without a path, query or fragment");
    return null;
  }
  return value;
}

function readTls(project: Section): TlsConfig | null {
  const s = project.section("tls");
  if (!s) return null;
  s.allowOnly(TLS_KEYS);
  let ok = true;
  const tls: TlsConfig = { insecureSkipVerify: false };
  const skip = s.bool("insecure_skip_verify", false);
  if (skip === undefined) ok = false;
  else tls.insecureSkipVerify = skip;
  if (s.has("server_name")) {
    const name = s.text("server_name");
    if (name === undefined) ok = false;
    else tls.serverName = name;
  }
  const ca = pemFile(s, "ca_file", "certificate");
  if (ca === null) ok = false;
  else if (ca) Object.assign(tls, { caFile: ca.path, ca: ca.text });
  const cert = pemFile(s, "cert_file", "certificate");
  const key = pemFile(s, "key_file", "key");
  if (cert === null || key === null) ok = false;
  else if (cert && key) Object.assign(tls, { certFile: cert.path, cert: cert.text, keyFile: key.path, key: key.text });
  else if (cert || key) {
    s.problem(cert ? "key_file" : "cert_file", "cert_file and key_file go together (a client certificate needs its key)");
    ok = false;
  }
  return ok ? tls : null;
}

/** A PEM file that Node can read as what it claims to be; undefined when absent, null when invalid (reported). */
function pemFile(s: Section, key: string, kind: "certificate" | "key"): { path: string; text: string } | undefined | null {
  if (!s.has(key)) return undefined;
  const file = s.fileText(key, MAX_PEM_BYTES);
  if (!file) return null;
  try {
    if (kind === "certificate") {
      if (!file.text.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate");
      new X509Certificate(file.text);
    } else {
      createPrivateKey(file.text);
    }
  } catch {
    // The content is not quoted: a key file is a secret.
    s.problem(key, `${file.path} is not a PEM ${kind === "key" ? "private key" : "certificate"}`);
    return null;
  }
  return file;
}

/** A copy of the settings safe to log: no key, no certificate text, no proxy credentials. */
export function redactConnection(c: ConnectionConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.proxyUrl !== undefined) out.proxyUrl = redactUrl(c.proxyUrl);
  if (c.tls) {
    const { ca: _ca, cert: _cert, key: _key, ...files } = c.tls;
    out.tls = files;
  }
  return out;
}

/** The URL with any user name and password replaced, for logs and reports. */
function redactUrl(value: string): string {
  if (!URL.canParse(value)) return "<invalid URL>";
  const url = new URL(value);
  if (url.username || url.password) {
    url.username = "redacted";
    url.password = "redacted";
  }
  return url.href.replace(/\/$/, "");
}
