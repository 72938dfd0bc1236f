import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Runs openssl (optionally under faketime, to make a certificate that has already expired); throws with its stderr. */
function openssl(dir: string, args: string[], fakeTime?: string): void {
  const [cmd, all] = fakeTime ? ["faketime", [fakeTime, "openssl", ...args]] : ["openssl", args];
  try {
    execFileSync(cmd, all, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    throw new Error(`${cmd} ${all.join(" ")} failed (.ci/run installs openssl and faketime): ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
}

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the CA, SAN DNS:prometheus. */
  clientCert: string;
  clientKey: string;
  /** Signed by the CA, SAN DNS:intruder (not in client_allowed_sans). */
  otherClientCert: string;
  otherClientKey: string;
  /** Self-signed: no chain to the CA. */
  strangerCert: string;
  strangerKey: string;
  /** Signed by the CA, valid for one day in 2020. */
  expiredClientCert: string;
  expiredClientKey: string;
  /** A server certificate for 127.0.0.1 that expired in 2020. */
  expiredServerCert: string;
  expiredServerKey: string;
}

/**
 * A CA, a server certificate for 127.0.0.1/::1/localhost and client certificates, made with
 * openssl in `dir` (EC P-256 keys: quick to make). The expired ones are signed under faketime.
 */
export function makePki(dir: string): TestPki {
  const p = (name: string) => join(dir, name);
  const key = (name: string) => openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name]);
  const sign = (name: string, subject: string, san: string, extendedUsage: string, fakeTime?: string, issuer = true) => {
    key(`${name}.key`);
    writeFileSync(p(`${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${extendedUsage}\nbasicConstraints=CA:FALSE\n`);
    if (!issuer) {
      openssl(dir, ["req", "-x509", "-new", "-key", `${name}.key`, "-subj", subject, "-days", "2", "-addext", `subjectAltName=${san}`, "-out", `${name}.crt`]);
      return;
    }
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`], fakeTime);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.crt`], fakeTime);
  };
  key("ca.key");
  // The CA is valid from 2019 so that it can sign the expired certificates below.
  openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=dataarts-exporter test CA", "-days", "36500", "-out", "ca.crt"], "2019-12-31 00:00:00");
  const serverSan = "IP:127.0.0.1,IP:::1,DNS:localhost";
  sign("server", "/CN=localhost", serverSan, "serverAuth");
  sign("client", "/CN=prometheus", "DNS:prometheus", "clientAuth");
  sign("other-client", "/CN=intruder", "DNS:intruder", "clientAuth");
  sign("stranger", "/CN=prometheus", "DNS:prometheus", "clientAuth", undefined, false);
  sign("expired-client", "/CN=prometheus", "DNS:prometheus", "clientAuth", "2020-01-01 00:00:00");
  sign("expired-server", "/CN=localhost", serverSan, "serverAuth", "2020-01-01 00:00:00");
  return {
    dir,
    ca: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
    otherClientCert: p("other-client.crt"),
    otherClientKey: p("other-client.key"),
    strangerCert: p("stranger.crt"),
    strangerKey: p("stranger.key"),
    expiredClientCert: p("expired-client.crt"),
    expiredClientKey: p("expired-client.key"),
    expiredServerCert: p("expired-server.crt"),
    expiredServerKey: p("expired-server.key"),
  };
}

/** A fresh server certificate for the same names, to rotate to; returns its SHA-256 fingerprint. */
export function reissueServerCert(pki: TestPki, name: string): { cert: string; key: string; fingerprint: string } {
  const dir = pki.dir;
  openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
  openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", "/CN=localhost", "-out", `${name}.csr`]);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "server.ext", "-out", `${name}.crt`]);
  const cert = join(dir, `${name}.crt`);
  return { cert, key: join(dir, `${name}.key`), fingerprint: fingerprintOf(cert) };
}

export function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}
