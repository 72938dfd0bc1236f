/**
 * The npm package as a user gets it: `npm pack` on a clean copy of the project (no dist/,
 * so prepack must build), the tarball installed into an empty directory with production
 * dependencies only, and the installed command run.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");
const NPM_QUIET = ["--no-audit", "--no-fund", "--loglevel=error"];

/** The project's files as git sees them (tracked, and new but not ignored): no dist/, no node_modules/. */
function cleanCopy(into: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(ROOT, file), join(into, file));
  }
  // The dev dependencies a clean clone gets from `npm ci`; linked rather than installed again.
  symlinkSync(join(ROOT, "node_modules"), join(into, "node_modules"), "dir");
}

describe("the npm package", () => {
  let work: string;
  let installed: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "package-"));
    const project = join(work, "project");
    const app = join(work, "app");
    mkdirSync(project);
    mkdirSync(app);
    cleanCopy(project);
    expect(existsSync(join(project, "dist"))).toBe(false);
    const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work, ...NPM_QUIET], { cwd: project, encoding: "utf8" }));
    tarball = join(work, packed[0].filename);
    execFileSync("npm", ["init", "-y"], { cwd: app, stdio: "ignore" });
    execFileSync("npm", ["install", "--omit=dev", "--prefer-offline", ...NPM_QUIET, tarball], { cwd: app, stdio: "pipe" });
    installed = join(app, "node_modules", "dataarts-exporter");
  }, 300_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const bin = () => join(dirname(dirname(installed)), "node_modules", ".bin", "dataarts-exporter");
  const run = (...args: string[]) =>
    spawnSync(bin(), args, { encoding: "utf8", env: { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: "AKEXAMPLE", HUAWEICLOUD_SDK_SK: "example-sk" } });

  it("ships the built code, license, changelog and example config, and no sources or tests", () => {
    const listing = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).split("\n");
    for (const file of ["dist/cli.js", "dist/build-info.json", "dist/simulator/index.js", "LICENSE", "CHANGELOG.md", "README.md", "config.example.yaml", "package.json"]) {
      expect(listing).toContain(`package/${file}`);
    }
    expect(listing.filter((f) => /^package\/(src|test|bench|node_modules)\//.test(f))).toEqual([]);
  });

  it("names only entry points that exist in the installed package", () => {
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    const entries: string[] = [...Object.values(pkg.bin as Record<string, string>), ...(pkg.main ? [pkg.main] : [])];
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) expect(existsSync(join(installed, entry))).toBe(true);
  });

  it("installs without dev dependencies", () => {
    const modules = join(dirname(installed));
    expect(existsSync(join(modules, "koa"))).toBe(true);
    for (const dev of ["typescript", "jest", "dependency-cruiser"]) expect(existsSync(join(modules, dev))).toBe(false);
  });

  it("runs the installed command: --version", () => {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    const result = run("--version");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^dataarts-exporter ${version.replace(/\./g, "\\.")} \\(`));
  });

  it("runs the installed command: --config.check on the shipped example config", () => {
    const result = run("--config.check", `--config.file=${join(installed, "config.example.yaml")}`);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/valid/i);
  });

  it("runs the installed command under Node.js with the memory settings of docs/performance.md", async () => {
    const child = spawn(bin(), [`--config.file=${join(installed, "config.example.yaml")}`, "--web.listen-address=127.0.0.1:0"], {
      env: { PATH: process.env.PATH, HUAWEICLOUD_SDK_AK: "AKEXAMPLE", HUAWEICLOUD_SDK_SK: "example-sk" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise((res) => child.once("exit", res));
    try {
      // `env -S` execs node in the same process: once the exporter logs, /proc shows node's own command line and environment.
      let out = "";
      await new Promise<void>((res, rej) => {
        const read = (d: Buffer) => (out += d.toString()).includes("exporter started") && res();
        child.stdout!.on("data", read);
        child.stderr!.on("data", read);
        child.once("exit", () => rej(new Error(`the command exited: ${out}`)));
      });
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
      const environ = readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0");
      expect(argv.slice(1, 3)).toEqual(["--max-semi-space-size=2", "--heap-growing-percent=20"]);
      expect(realpathSync(argv[3]!)).toBe(realpathSync(join(installed, "dist", "cli.js")));
      expect(environ).toContain("MALLOC_MMAP_THRESHOLD_=131072");
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
