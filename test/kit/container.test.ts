/**
 * The image, built without Docker (no engine runs here): the Dockerfile's own
 * instructions, read with dockerfile-ast, are replayed into one temporary
 * directory per stage, and the exporter is started from the final stage. The
 * final stage has production dependencies only, so a runtime dependency that
 * sits in devDependencies makes the exporter fail to start here, as it would
 * in the image.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, delimiter, dirname, join, posix, relative, resolve } from "node:path";
import { Arg, Copy, DockerfileParser, Env, Instruction, JSONInstruction } from "dockerfile-ast";
import { METRIC_FAMILIES as F } from "../../src/metrics/families";
import { eventually, scrape } from "../helpers/exporter-process";
import { family } from "../helpers/promtool";

const ROOT = join(__dirname, "..", "..");
const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, "Dockerfile"), "utf8"));

interface Stage {
  name: string;
  dir: string;
  workdir: string;
  env: Record<string, string>;
  instructions: Instruction[];
}

const args = (i: Instruction) => (i.getArgumentsContent() ?? "").replace(/\\\r?\n\s*/g, "");
const json = (i: Instruction) => (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());

/** .dockerignore patterns as anchored regexes ("roughly" Docker's rules: `*` stays within a path segment, `**` crosses them). */
const ignorePatterns = readFileSync(join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((glob) => {
    if (glob.startsWith("!")) throw new Error(`.dockerignore exception ${glob} is not modelled by this test`);
    const body = posix
      .normalize(glob.replace(/^\/+/, ""))
      .split(/(\*\*|\*|\?)/)
      .map((part) => ({ "**": ".*", "*": "[^/]*", "?": "[^/]" })[part] ?? part.replace(/[.+^${}()|[\]\\]/g, "\\$&"))
      .join("");
    return new RegExp(`^${body}$`);
  });

/** Whether Docker would leave a context path out: the path itself or one of its parent directories matches. */
function dockerignored(rel: string): boolean {
  const parts = rel.split("/");
  return parts.some((_, i) => ignorePatterns.some((re) => re.test(parts.slice(0, i + 1).join("/"))));
}

/**
 * The environment of a RUN: the stage's ARG and ENV values over a clean copy of
 * ours. `npm test` passes its own settings down as npm_* variables (its
 * npm_config_local_prefix would make npm install into this checkout instead of
 * the copy), jest sets NODE_ENV=test, PATH holds the checkout's
 * node_modules/.bin and NODE_PATH may name more modules: none of that exists in
 * a container.
 */
function runEnv(stage: Stage): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|userconfig|globalconfig|cafile|registry|noproxy|proxy|https_proxy|strict_ssl)$/;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === "NODE_ENV" || k === "INIT_CWD" || k === "NODE_PATH" || (/^npm_/i.test(k) && !keep.test(k))) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((p) => !p.includes("node_modules"))
    .join(delimiter);
  // The npm cache is this machine's, not a fresh layer's: use what it holds, and never clean it.
  env.npm_config_prefer_offline = "true";
  return { ...env, ...stage.env };
}

/** Where a path of the stage's filesystem lives: its directory stands for the image's root. */
function hostPath(stage: Stage, containerPath: string): string {
  return join(stage.dir, posix.resolve(stage.workdir, containerPath));
}

function copy(stage: Stage, instruction: Copy): void {
  const words = args(instruction).split(/\s+/).filter((w) => !w.startsWith("--"));
  const dest = words.pop()!;
  const fromName = instruction.getFromFlag()?.getValue();
  const from = fromName === undefined ? undefined : stages.find((s) => s.name === fromName);
  if (fromName !== undefined && !from) throw new Error(`COPY --from=${fromName}: no such stage`);
  for (const source of words) {
    const src = from ? hostPath(from, source) : join(ROOT, source);
    const into = dest.endsWith("/") && !statSync(src).isDirectory() ? join(hostPath(stage, dest), basename(src)) : hostPath(stage, dest);
    mkdirSync(dirname(into), { recursive: true });
    cpSync(src, into, {
      recursive: true,
      filter: (path) => from !== undefined || !dockerignored(relative(ROOT, path).split("\\").join("/")),
    });
  }
}

function run(stage: Stage, command: string): void {
  // The image drops npm's cache to stay small; here that cache is the developer's.
  const shell = command.replace(/&&\s*npm cache clean --force\b/, "").replace(/\bnpm cache clean --force\s*&&/, "");
  try {
    execFileSync("/bin/sh", ["-c", shell], { cwd: hostPath(stage, stage.workdir), env: runEnv(stage), stdio: "pipe", encoding: "utf8" });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`RUN ${command} failed in stage ${stage.name}:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Replays the instructions that shape a stage's files: WORKDIR, ARG (defaults), ENV, COPY and RUN. */
function build(stage: Stage): void {
  for (const instruction of stage.instructions) {
    switch (instruction.getKeyword()) {
      case "WORKDIR":
        stage.workdir = posix.resolve(stage.workdir, args(instruction));
        mkdirSync(hostPath(stage, stage.workdir), { recursive: true });
        break;
      case "ARG": {
        const property = (instruction as Arg).getProperty();
        if (property) stage.env[property.getName()] = property.getValue() ?? "";
        break;
      }
      case "ENV":
        for (const p of (instruction as Env).getProperties()) stage.env[p.getName()] = p.getValue() ?? "";
        break;
      case "COPY":
        copy(stage, instruction as Copy);
        break;
      case "RUN":
        run(stage, args(instruction));
        break;
    }
  }
}

const stages: Stage[] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === "FROM") {
    const name = dockerfile.getFROMs()[stages.length]?.getBuildStage() ?? `stage-${stages.length}`;
    stages.push({ name, dir: "", workdir: "/", env: {}, instructions: [] });
  }
  stages.at(-1)?.instructions.push(instruction);
}
const final = stages.at(-1)!;
const finalOf = (keyword: string) => final.instructions.filter((i) => i.getKeyword() === keyword);
const exposedPort = args(finalOf("EXPOSE")[0]!);
const healthcheck = JSON.parse(args(finalOf("HEALTHCHECK")[0]!).replace(/^CMD\s+/, "")) as string[];
const entrypoint = json(finalOf("ENTRYPOINT")[0]!);

/** Runs an exec-form command of the image; its `node` is the node running this test. */
function exec(argv: string[], extra: string[] = []) {
  const [cmd, ...rest] = argv;
  return spawn(cmd === "node" ? process.execPath : cmd!, [...rest, ...extra], {
    cwd: hostPath(final, final.workdir),
    env: runEnv(final),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * A directory for the stages where Node finds no node_modules above them. Node
 * looks for modules in every parent directory, and a node_modules there (say
 * /tmp/node_modules linked to a checkout's) would hand the final stage the
 * devDependencies it must not have; the image's root has none.
 */
function isolatedTempBase(): string {
  const ancestors = (dir: string): string[] => (dirname(dir) === dir ? [dir] : [dir, ...ancestors(dirname(dir))]);
  const candidates = [tmpdir(), "/var/tmp", homedir()];
  const base = candidates.find((c) => existsSync(c) && ancestors(resolve(c)).every((a) => !existsSync(join(a, "node_modules"))));
  if (!base) throw new Error(`every temporary directory (${candidates.join(", ")}) has a node_modules above it; remove it or set TMPDIR`);
  return base;
}

describe("the image, built by replaying the Dockerfile without Docker", () => {
  let exporter: ChildProcess | undefined;
  let exited: Promise<number | null> = new Promise(() => {});
  let output = "";
  let url = "";
  /** Later steps need a running exporter; without one they fail at once instead of waiting out their deadlines. */
  const started = () => {
    if (!url) throw new Error(`the exporter did not start:\n${output}`);
    return url;
  };

  beforeAll(() => {
    const base = isolatedTempBase();
    for (const stage of stages) {
      stage.dir = mkdtempSync(join(base, `dataarts-exporter-image-${stage.name}-`));
      build(stage);
    }
  }, 240_000);

  afterAll(async () => {
    if (exporter && exporter.exitCode === null && exporter.signalCode === null) {
      exporter.kill("SIGKILL");
      await exited;
    }
    for (const stage of stages) if (stage.dir) rmSync(stage.dir, { recursive: true, force: true });
  });

  it("has the dependencies and none of the devDependencies in its final stage", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<"dependencies" | "devDependencies", Record<string, string>>;
    const installed = (name: string) => existsSync(join(hostPath(final, final.workdir), "node_modules", name));
    expect(Object.keys(pkg.dependencies).filter((name) => !installed(name))).toEqual([]);
    expect(Object.keys(pkg.devDependencies).filter(installed)).toEqual([]);
  });

  it("has no axios in its final stage: the exporter's transport is node:http", () => {
    expect(existsSync(join(hostPath(final, final.workdir), "node_modules", "axios"))).toBe(false);
  });

  it("starts its entrypoint in demo mode, with nothing but the final stage's files", async () => {
    // As docker-compose.yml does: the demo instead of the default config file, on a port of our choosing.
    const child = exec(entrypoint, ["--demo", "--web.listen-address=127.0.0.1:0", "--log.format=json"]);
    exporter = child;
    // "close", not "exit": by then its output is complete, for the message below.
    exited = new Promise((r) => child.once("close", (code) => r(code)));
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const result = await eventually<{ address?: string }>(async () => {
      if (child.exitCode !== null) return {};
      const line = output.split("\n").find((l) => l.includes('"exporter started"'));
      return line ? { address: (JSON.parse(line) as { address: string }).address } : undefined;
    }, "the exporter to start", 15_000);
    if (result.address === undefined) throw new Error(`the exporter exited with status ${await exited}:\n${output}`);
    url = result.address;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves workspaces that are up and its build info", async () => {
    const exporterUrl = started();
    const text = await eventually(async () => {
      const t = await scrape(exporterUrl);
      return family(t, F.up).some((s) => s.value === 1) ? t : undefined;
    }, "a demo workspace to be up", 15_000);
    expect(family(text, F.buildInfo)).toHaveLength(1);
  });

  it("passes the Dockerfile's HEALTHCHECK, pointed at our port", async () => {
    const port = new URL(started()).port;
    const command = healthcheck.map((a) => a.replaceAll(`:${exposedPort}/`, `:${port}/`));
    expect(command).not.toEqual(healthcheck);
    const check = exec(command);
    const code = await new Promise((r) => check.once("exit", r));
    expect(code).toBe(0);
  });

  it("stops on SIGTERM with exit status 0", async () => {
    started();
    exporter!.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
