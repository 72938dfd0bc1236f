/** A project's `tls` settings as Node's TLS options for connections to the service. */
import type { ConnectionOptions } from "node:tls";
import type { TlsConfig } from "../config/connection";

/** Options for `tls.connect` / an https agent; empty (Node's defaults and NODE_EXTRA_CA_CERTS) without a `tls` block. */
export function tlsOptions(tls: TlsConfig | undefined): ConnectionOptions {
  if (!tls) return {};
  return {
    ...(tls.ca !== undefined && { ca: tls.ca }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
    ...(tls.serverName !== undefined && { servername: tls.serverName }),
    ...(tls.insecureSkipVerify && { rejectUnauthorized: false }),
  };
}

/** Node's certificate verification codes, as a sentence with what to do about them. */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

/** A one-line explanation of a TLS failure, or undefined when `code` is not one. */
export function describeTlsError(code: string | undefined, host: string): string | undefined {
  if (code === undefined) return undefined;
  if (UNTRUSTED.has(code)) {
    return `TLS: the certificate of ${host} is not trusted (${code}); for a private or TLS-inspecting CA set tls.ca_file, or NODE_EXTRA_CA_CERTS`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `TLS: the certificate of ${host} does not name that host (${code}); check the endpoint or set tls.server_name`;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return `TLS: the certificate of ${host} is outside its validity period (${code})`;
  if (code === "EPROTO" || code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return `TLS handshake with ${host} failed (${code})`;
  return undefined;
}
