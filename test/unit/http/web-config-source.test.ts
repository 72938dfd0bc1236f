import { readFileSync } from "node:fs";
import { WebConfigSource } from "../../../src/http/web-config-source";

/** The exporter-toolkit's fixtures (Debian's golang-github-prometheus-exporter-toolkit-dev). */
const TOOLKIT = "/usr/share/gocode/src/github.com/prometheus/exporter-toolkit/web/testdata";
const HASH = "$2y$10$rjjIpqcDSq2eqlX5TTr.fOqkR9QZrJGLuzRPC/OSByFZWAPR3Esre";

/** Files in memory, counting reads, so the test sees what the source reads and when. */
function memoryFiles() {
  const files = new Map<string, Buffer>([
    ["/web/server.crt", readFileSync(`${TOOLKIT}/server.crt`)],
    ["/web/server.key", readFileSync(`${TOOLKIT}/server.key`)],
    ["/web/other.key", readFileSync(`${TOOLKIT}/client_selfsigned.key`)],
  ]);
  const read = (path: string) => {
    const b = files.get(path);
    if (!b) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    return b;
  };
  const write = (path: string, text: string | Buffer) => files.set(path, Buffer.from(text));
  return { read, write, files };
}

const config = (users: string) => `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n${users}`;

describe("the web config in force", () => {
  function setup() {
    const fs = memoryFiles();
    fs.write("/web/web.yml", config(`  prometheus: ${HASH}\n`));
    let now = 1_000;
    const source = new WebConfigSource("/web/web.yml", fs.read, () => now);
    const changes: string[][] = [];
    const rejected: string[] = [];
    source.onChange((c) => changes.push([...c.users.keys()]));
    source.onRejected((m) => rejected.push(m));
    return { fs, source, changes, rejected, tick: (ms: number) => (now += ms) };
  }

  it("is re-read only when a file it names changed", () => {
    const { fs, source, changes } = setup();
    source.refresh();
    source.refresh();
    expect(changes).toEqual([]);
    fs.write("/web/web.yml", config(`  alice: ${HASH}\n`));
    source.refresh();
    expect(changes).toEqual([["alice"]]);
    // A rotated key file alone is a change too.
    fs.write("/web/server.key", Buffer.concat([readFileSync(`${TOOLKIT}/server.key`), Buffer.from("\n")]));
    source.refresh();
    expect(changes).toHaveLength(2);
  });

  it("keeps the last good config when a change is bad, reports it once, and heals when the files are good again", () => {
    const { fs, source, changes, rejected, tick } = setup();
    const good = source.current;
    fs.write("/web/web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n");
    tick(1_000);
    source.refresh();
    source.refresh();
    expect(source.current).toBe(good);
    expect(rejected).toEqual([expect.stringMatching(/private key does not match the certificate$/)]);
    expect(source.lastReloadSuccessful).toBe(false);
    expect(source.lastReloadSuccessMs).toBe(1_000);
    // Put back as it was: nothing to re-read, and nothing wrong any more.
    fs.write("/web/web.yml", config(`  prometheus: ${HASH}\n`));
    source.refresh();
    expect(source.lastReloadSuccessful).toBe(true);
    expect(changes).toEqual([]);
  });

  it("treats a vanished file as a bad change", () => {
    const { fs, source, rejected } = setup();
    fs.files.delete("/web/server.crt");
    source.refresh();
    expect(rejected).toEqual([expect.stringMatching(/cert_file: cannot read \/web\/server\.crt: ENOENT$/)]);
    expect(source.current.tls).toBeDefined();
  });

  it("refuses a reload that would turn TLS off", () => {
    const { fs, source } = setup();
    fs.write("/web/web.yml", `basic_auth_users:\n  prometheus: ${HASH}\n`);
    expect(source.reload()).toEqual({ ok: false, message: expect.stringMatching(/turning TLS on or off needs a restart$/) });
    expect(source.current.tls).toBeDefined();
  });

  it("refuses a reload that would turn HTTP/2 off, and keeps serving with the config in force", () => {
    const { fs, source } = setup();
    fs.write("/web/web.yml", `${config(`  prometheus: ${HASH}\n`)}http_server_config:\n  http2: false\n`);
    expect(source.reload()).toEqual({ ok: false, message: expect.stringMatching(/turning http2 on or off needs a restart$/) });
    expect(source.current.http2).toBe(true);
    expect(source.lastReloadSuccessful).toBe(false);
  });
});
