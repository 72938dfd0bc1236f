import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  /** The CA's certificate (what `tls.ca_file` names). */
  caFile: string;
  /** A server certificate for 127.0.0.1 and localhost, signed by the CA, and its key. */
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
  ca: string;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * A private CA and a server certificate made by openssl for this test run (P-256 keys: fast),
 * the way a company's TLS-inspecting CA would issue one.
 */
export function makePki(name = "Test Corp"): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "dataarts-pki-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", `/O=${name}/CN=${name} Root CA`);
  openssl(dir, "req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/O=${name}/CN=dataarts-simulator`);
  const ext = join(dir, "server.ext");
  writeFileSync(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "20", "-extfile", ext);
  const at = (f: string) => join(dir, f);
  return {
    dir,
    caFile: at("ca.pem"),
    certFile: at("server.pem"),
    keyFile: at("server.key"),
    cert: readFileSync(at("server.pem"), "utf8"),
    key: readFileSync(at("server.key"), "utf8"),
    ca: readFileSync(at("ca.pem"), "utf8"),
  };
}
