/** Reads and checks a --web.config.file (prometheus/exporter-toolkit format): TLS, client certificates, headers, basic auth users. */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { dirname, isAbsolute, join } from "node:path";
import { createSecureContext } from "node:tls";
import { isMap, isScalar, parseDocument } from "yaml";
import type { SecureContextOptions } from "node:tls";

const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Go's TLS version names and the OpenSSL protocol names Node takes. */
const TLS_VERSIONS = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" } as const;
type TlsVersionName = keyof typeof TLS_VERSIONS;
const VERSION_ORDER: TlsVersionName[] = ["TLS10", "TLS11", "TLS12", "TLS13"];

/**
 * Go's `tls.CipherSuites()` names (what the toolkit accepts) and their OpenSSL names.
 * Go never applies cipher_suites to TLS 1.3, so the three TLS 1.3 suites are accepted
 * and left to OpenSSL's defaults, as Go does.
 */
const CIPHER_SUITES: Record<string, string | null> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_AES_128_GCM_SHA256: null,
  TLS_AES_256_GCM_SHA384: null,
  TLS_CHACHA20_POLY1305_SHA256: null,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
};
const TLS13_SUITES = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

/** Go's curve names and OpenSSL's. */
const CURVES: Record<string, string> = { CurveP256: "P-256", CurveP384: "P-384", CurveP521: "P-521", X25519: "X25519" };

/** The headers the toolkit lets a web config set, and the values it allows (any when empty). */
const HEADERS: Record<string, string[]> = {
  "Strict-Transport-Security": [],
  "X-Content-Type-Options": ["nosniff"],
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-XSS-Protection": [],
  "Content-Security-Policy": [],
};

/** bcrypt as htpasswd -B, Go and bcryptjs write it: $2$, $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

export interface TlsSettings {
  clientAuth: ClientAuthType;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
  cipherSuites: string[];
  curves: string[];
  preferServerCipherSuites: boolean;
  clientAllowedSans: string[];
}

/** What a connection needs: the settings and the bytes of the certificate, key and client CA read from disk. */
export interface TlsMaterial {
  settings: TlsSettings;
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface WebConfig {
  /** Undefined when the file asks for no TLS (plain HTTP, maybe with basic auth). */
  tls?: TlsMaterial;
  headers: Record<string, string>;
  http2: boolean;
  /** user -> bcrypt hash; empty means no basic auth. */
  users: Map<string, string>;
  /** Every file read (the config first), to notice a change cheaply: a rotated certificate, an edited config. */
  files: string[];
}

/** A web config that cannot be used; the message is one line and never quotes a secret. */
export class WebConfigError extends Error {
  override readonly name = "WebConfigError";
}

export type ReadFile = (path: string) => Buffer;

/** Reads the web config at `path` and every file it names, and checks them as the toolkit does (and a bit more). */
export function loadWebConfig(path: string, readFileRaw: ReadFile): WebConfig {
  const files: string[] = [];
  const readFile: ReadFile = (p) => {
    files.push(p);
    return readFileRaw(p);
  };
  const fail = (reason: string): never => {
    throw new WebConfigError(`web config ${path}: ${reason}`);
  };
  let text: string;
  try {
    text = readFile(path).toString("utf8");
  } catch (err) {
    return fail(`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const raw = parseYaml(text, fail);
  const dir = dirname(path);
  const at = (file: string) => (isAbsolute(file) ? file : join(dir, file));
  const tlsRaw = section(raw, "tls_server_config", TLS_KEYS, fail);
  const httpRaw = section(raw, "http_server_config", ["http2", "headers"], fail);
  const headers = readHeaders(httpRaw.headers, fail);
  const http2 = optionalBool(httpRaw.http2, "http_server_config.http2", fail) ?? true;
  const users = readUsers(raw.basic_auth_users, fail);
  const tls = readTls(tlsRaw, at, readFile, fail);
  return { tls, headers, http2, users, files };
}

const TOP_KEYS = ["tls_server_config", "http_server_config", "basic_auth_users"];
const TLS_KEYS = [
  "cert_file",
  "key_file",
  "cert",
  "key",
  "client_auth_type",
  "client_ca_file",
  "cipher_suites",
  "curve_preferences",
  "min_version",
  "max_version",
  "prefer_server_cipher_suites",
  "client_allowed_sans",
];

type Fail = (reason: string) => never;
type Raw = Record<string, unknown>;

/** YAML 1.1 like Go's yaml.v2; duplicate keys and junk are errors, an empty file is a valid empty config. */
function parseYaml(text: string, fail: Fail): Raw {
  const doc = parseDocument(text, { version: "1.1", prettyErrors: false, uniqueKeys: true });
  const [error] = doc.errors;
  if (error) fail(`invalid YAML: ${error.message.split("\n")[0]!.split(": ")[0]}`);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value == null)) return {};
  if (!isMap(root)) fail("not a mapping of tls_server_config, http_server_config and basic_auth_users");
  const value = doc.toJS() as Raw;
  unknownKeys(value, TOP_KEYS, "", fail);
  return value;
}

function unknownKeys(value: Raw, known: string[], where: string, fail: Fail): void {
  for (const key of Object.keys(value)) if (!known.includes(key)) fail(`unknown key ${where}${key}`);
}

function section(raw: Raw, name: string, known: string[], fail: Fail): Raw {
  const value = raw[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(`${name} must be a mapping`);
  unknownKeys(value as Raw, known, `${name}.`, fail);
  return value as Raw;
}

/** Go decodes any scalar into a string field; so do we. */
function optionalString(value: unknown, key: string, fail: Fail): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(`${key} must be a string`);
}

function optionalBool(value: unknown, key: string, fail: Fail): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") fail(`${key} must be true or false`);
  return value as boolean;
}

function stringList(value: unknown, key: string, fail: Fail): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${key} must be a list`);
  return (value as unknown[]).map((v, i) => optionalString(v, `${key}[${i}]`, fail) ?? fail(`${key}[${i}] is empty`));
}

function readHeaders(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail("http_server_config.headers must be a mapping");
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(value as Raw)) {
    const allowed = Object.hasOwn(HEADERS, name) ? HEADERS[name] : undefined;
    if (!allowed) fail(`HTTP header "${name}" can not be configured`);
    const text = optionalString(v, `http_server_config.headers.${name}`, fail) ?? "";
    if (allowed!.length > 0 && !allowed!.includes(text)) fail(`invalid value for ${name}: expected one of ${allowed!.join(", ")}`);
    headers[name] = text;
  }
  return headers;
}

function readUsers(value: unknown, fail: Fail): Map<string, string> {
  const users = new Map<string, string>();
  if (value === undefined || value === null) return users;
  if (typeof value !== "object" || Array.isArray(value)) fail("basic_auth_users must be a mapping of user to bcrypt hash");
  for (const [user, hash] of Object.entries(value as Raw)) {
    const text = optionalString(hash, "basic_auth_users", fail) ?? "";
    const m = BCRYPT.exec(text);
    // The hash is not quoted: a plain-text password written by mistake must not reach a log.
    if (!m || Number(m[1]) < 4 || Number(m[1]) > 31) fail(`basic_auth_users: the password of user "${user}" is not a bcrypt hash (make one with htpasswd -nBC 10 "" | tr -d ':')`);
    users.set(user, text);
  }
  return users;
}

function version(value: unknown, key: string, fallback: TlsVersionName, fail: Fail): TlsVersionName {
  const text = optionalString(value, key, fail);
  if (text === undefined) return fallback;
  if (!Object.hasOwn(TLS_VERSIONS, text)) fail(`unknown TLS version: ${text}`);
  return text as TlsVersionName;
}

function readTls(raw: Raw, at: (file: string) => string, readFile: ReadFile, fail: Fail): TlsMaterial | undefined {
  const s = (key: string) => optionalString(raw[key], `tls_server_config.${key}`, fail) || undefined;
  const certFile = s("cert_file");
  const keyFile = s("key_file");
  const certInline = s("cert");
  const keyInline = s("key");
  const clientAuth = s("client_auth_type");
  const caFile = s("client_ca_file");
  if (!certFile && !keyFile && !certInline && !keyInline && !clientAuth && !caFile) return undefined;
  if (certFile && certInline) fail("cert_file and cert are mutually exclusive");
  if (keyFile && keyInline) fail("key_file and key are mutually exclusive");
  if (!certFile && !certInline) fail("missing cert_file");
  if (!keyFile && !keyInline) fail("missing key_file");
  const settings: TlsSettings = {
    clientAuth: (clientAuth === "RequireClientCert" ? "RequireAnyClientCert" : (clientAuth ?? "NoClientCert")) as ClientAuthType,
    minVersion: version(raw.min_version, "tls_server_config.min_version", "TLS12", fail),
    maxVersion: version(raw.max_version, "tls_server_config.max_version", "TLS13", fail),
    cipherSuites: stringList(raw.cipher_suites, "tls_server_config.cipher_suites", fail),
    curves: stringList(raw.curve_preferences, "tls_server_config.curve_preferences", fail),
    preferServerCipherSuites: optionalBool(raw.prefer_server_cipher_suites, "tls_server_config.prefer_server_cipher_suites", fail) ?? true,
    clientAllowedSans: stringList(raw.client_allowed_sans, "tls_server_config.client_allowed_sans", fail),
  };
  for (const c of settings.cipherSuites) if (!Object.hasOwn(CIPHER_SUITES, c)) fail(`unknown cipher: ${c}`);
  for (const c of settings.curves) if (!Object.hasOwn(CURVES, c)) fail(`unknown curve: ${c}`);
  const file = (key: string, name: string): Buffer => {
    try {
      return readFile(at(name));
    } catch (err) {
      return fail(`${key}: cannot read ${at(name)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = certInline ? Buffer.from(certInline) : file("cert_file", certFile!);
  const key = keyInline ? Buffer.from(keyInline) : file("key_file", keyFile!);
  checkKeyPair(cert, key, fail);
  const ca = caFile ? file("client_ca_file", caFile) : undefined;
  if (!CLIENT_AUTH_TYPES.includes(settings.clientAuth)) fail(`invalid client_auth_type: ${clientAuth}`);
  if (caFile && settings.clientAuth === "NoClientCert") fail("client_ca_file is set but client_auth_type is NoClientCert");
  if (VERSION_ORDER.indexOf(settings.minVersion) > VERSION_ORDER.indexOf(settings.maxVersion)) fail("min_version is above max_version");
  const material = { settings, cert, key, ca };
  try {
    createSecureContext(secureContextOptions(material));
  } catch (err) {
    fail(`Node's TLS cannot use these settings: ${(err as Error).message.split("\n")[0]}`);
  }
  return material;
}

/** The certificate must parse and the key must be its private key (Go's tls.LoadX509KeyPair). */
function checkKeyPair(cert: Buffer, key: Buffer, fail: Fail): void {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return fail("the certificate is not a PEM X.509 certificate");
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return fail("the key is not a PEM private key");
  }
  if (!x509.checkPrivateKey(privateKey)) fail("the private key does not match the certificate");
}

/** Node's secure context for these settings (certificate, key, versions, ciphers, curves, client CA). */
export function secureContextOptions(m: TlsMaterial): SecureContextOptions {
  const s = m.settings;
  const tls12 = s.cipherSuites.map((c) => CIPHER_SUITES[c]).filter((c): c is string => !!c);
  return {
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    minVersion: TLS_VERSIONS[s.minVersion],
    maxVersion: TLS_VERSIONS[s.maxVersion],
    ...(tls12.length > 0 ? { ciphers: [...tls12, TLS13_SUITES].join(":") } : {}),
    ...(s.curves.length > 0 ? { ecdhCurve: s.curves.map((c) => CURVES[c]).join(":") } : {}),
    honorCipherOrder: s.preferServerCipherSuites,
  };
}

/** Whether Node should ask for and verify a client certificate during the handshake. */
export function clientCertOptions(s: TlsSettings): { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    requestCert: s.clientAuth !== "NoClientCert",
    rejectUnauthorized: s.clientAuth === "RequireAndVerifyClientCert",
  };
}

/** One line for logs and the landing page: what the web config turns on. */
export function describeWebConfig(c: WebConfig | undefined): { tls: boolean; basicAuth: boolean; clientAuth: ClientAuthType | "none" } {
  return { tls: !!c?.tls, basicAuth: (c?.users.size ?? 0) > 0, clientAuth: c?.tls?.settings.clientAuth ?? "none" };
}
