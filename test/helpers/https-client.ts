import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import type { SecureVersion } from "node:tls";

export interface ClientOptions {
  ca?: string;
  cert?: string;
  key?: string;
  /** user:password */
  auth?: string;
  headers?: Record<string, string>;
  method?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  ciphers?: string;
}

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string; peerFingerprint?: string } | { error: string; message: string };

/** One request with Node's https on a fresh connection (no agent), answering the status or the error code. */
export function httpsGet(url: string, o: ClientOptions = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        agent: false,
        method: o.method ?? "GET",
        ca: o.ca && readFileSync(o.ca),
        cert: o.cert && readFileSync(o.cert),
        key: o.key && readFileSync(o.key),
        auth: o.auth,
        headers: o.headers,
        minVersion: o.minVersion,
        maxVersion: o.maxVersion,
        ciphers: o.ciphers,
      },
      (res) => {
        const peerFingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate?.()?.fingerprint256;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerFingerprint }));
        res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? "", message: err.message }));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? "", message: err.message }));
    req.end();
  });
}

export interface CurlResult {
  /** curl's exit status: 0, or e.g. 35 (TLS handshake), 52 (empty reply), 56 (receive failure), 60 (certificate). */
  exit: number;
  http: string;
  stderr: string;
}

/** Real curl; `args` are extra flags like --cacert, --cert, -u. */
export function curl(url: string, args: string[]): CurlResult {
  const r = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args, url], { encoding: "utf8" });
  if (r.error) throw new Error(`curl is not installed (.ci/run installs it): ${r.error.message}`);
  return { exit: r.status ?? -1, http: r.stdout, stderr: r.stderr.trim() };
}

/** Real curl, also reporting the HTTP version it spoke ("2", "1.1"). */
export function curlProtocol(url: string, args: string[]): CurlResult & { version: string } {
  const r = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}", "--max-time", "10", ...args, url], { encoding: "utf8" });
  if (r.error) throw new Error(`curl is not installed (.ci/run installs it): ${r.error.message}`);
  const [http = "", version = ""] = r.stdout.split(" ");
  return { exit: r.status ?? -1, http, version, stderr: r.stderr.trim() };
}
