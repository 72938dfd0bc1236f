import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Copy, DockerfileParser, Env, From, Healthcheck, Instruction, JSONInstruction, Label } from "dockerfile-ast";
import { parse } from "yaml";
import { cliLaunch } from "../../bench/cli-launch";

const ROOT = join(__dirname, "..", "..");
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");

const dockerfile = DockerfileParser.parse(read("Dockerfile"));
const froms = dockerfile.getFROMs();

/** Instructions grouped by stage, each group starting with its FROM. */
const stages: Instruction[][] = [];
for (const instruction of dockerfile.getInstructions()) {
  if (instruction.getKeyword() === "FROM") stages.push([]);
  stages.at(-1)?.push(instruction);
}
const build = stages[0] ?? [];
const final = stages.at(-1) ?? [];
const of = (stage: Instruction[], keyword: string) => stage.filter((i) => i.getKeyword() === keyword);
const args = (i: Instruction) => i.getArgumentsContent() ?? "";
const json = (i: Instruction) => (i as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());
/** COPY --from=<stage> copies from another stage, not from the build context. */
const fromStage = (i: Instruction) => (i as Copy).getFromFlag()?.getValue() ?? undefined;

describe("the Dockerfile", () => {
  it("builds in one stage and runs from another, both on node:20-bookworm-slim", () => {
    expect(froms).toHaveLength(2);
    expect(froms.map((f: From) => f.getImage())).toEqual(["node:20-bookworm-slim", "node:20-bookworm-slim"]);
    expect(froms[0]?.getBuildStage()).toBe("build");
  });

  it("pins every base image to a tag other than latest", () => {
    for (const f of froms) {
      expect(f.getImageTag()).toBeTruthy();
      expect(f.getImageTag()).not.toBe("latest");
    }
  });

  it("installs exactly the lockfile's dependencies and builds in the build stage", () => {
    const runs = of(build, "RUN").map(args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && !r.includes("--omit=dev"))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it("installs only production dependencies in the final stage and copies dist/ from the build", () => {
    const runs = of(final, "RUN").map(args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect([...of(build, "RUN"), ...of(final, "RUN")].map(args).some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    const copies = of(final, "COPY");
    expect(copies.map((c) => [fromStage(c), args(c)])).toContainEqual(["build", "/app/dist ./dist"]);
    expect(copies.some((c) => /\bsrc\b/.test(args(c)))).toBe(false);
  });

  it("runs as a non-root user", () => {
    const users = of(final, "USER").map(args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it("exposes the default port 19918", () => {
    expect(of(final, "EXPOSE").map(args)).toContain("19918");
  });

  it("checks /-/healthy with Node, since the slim image has no curl", () => {
    const [check] = of(final, "HEALTHCHECK") as Healthcheck[];
    expect(check?.getSubcommand()?.getValue()).toBe("CMD");
    expect(args(check as Instruction)).toContain("http://127.0.0.1:19918/-/healthy");
    expect(args(check as Instruction)).toMatch(/^CMD \["node",/);
    expect(args(check as Instruction)).not.toMatch(/\b(curl|wget)\b/);
  });

  it("labels the image the OCI way, with the package's description, license and repository", () => {
    const pkg = JSON.parse(read("package.json"));
    const labels = new Map(
      of(final, "LABEL").flatMap((l) => (l as Label).getProperties().map((p) => [p.getName(), p.getValue()?.replace(/^"|"$/g, "")] as const)),
    );
    const repo = pkg.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
    expect(Object.fromEntries(labels)).toEqual({
      "org.opencontainers.image.title": pkg.name,
      "org.opencontainers.image.description": pkg.description,
      "org.opencontainers.image.licenses": pkg.license,
      "org.opencontainers.image.source": repo,
      "org.opencontainers.image.url": repo,
      "org.opencontainers.image.documentation": pkg.homepage,
      "org.opencontainers.image.version": "$VERSION",
      "org.opencontainers.image.revision": "$REVISION",
    });
  });

  it("runs node with the flags and environment the CLI's own first line gives it, as the npm command does", () => {
    const { nodeEnv, nodeFlags } = cliLaunch(ROOT);
    expect(nodeEnv).toEqual({ MALLOC_MMAP_THRESHOLD_: "131072" });
    expect(nodeFlags).toEqual(["--max-semi-space-size=2", "--heap-growing-percent=20"]);
    expect(json(of(final, "ENTRYPOINT")[0]!)).toEqual(["node", ...nodeFlags, "dist/cli.js"]);
    const set = Object.fromEntries(of(final, "ENV").flatMap((i) => (i as Env).getProperties().map((p) => [p.getName(), p.getValue()])));
    expect(set).toEqual(expect.objectContaining(nodeEnv));
  });

  it("starts the CLI with the config at /etc/dataarts-exporter/config.yml and its state on the /app/data volume", () => {
    expect(of(final, "ENTRYPOINT").map(json)).toEqual([["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "dist/cli.js"]]);
    expect(of(final, "CMD").map(json)).toEqual([["--config.file=/etc/dataarts-exporter/config.yml", "--storage.path=/app/data"]]);
    expect(of(final, "VOLUME").map(args)).toEqual(["/app/data"]);
  });

  it("gives the state directory to the user the exporter runs as", () => {
    const user = args(of(final, "USER").at(-1)!);
    expect(of(final, "RUN").map(args)).toContainEqual(`mkdir data && chown ${user} data`);
  });
});

describe("the .dockerignore", () => {
  const ignored = read(".dockerignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("keeps local builds, dependencies and VCS data out of the build context", () => {
    expect(ignored).toEqual(expect.arrayContaining([".git", "node_modules", "dist"]));
  });

  it("keeps everything the Dockerfile copies from the context", () => {
    const sources = of(build, "COPY")
      .concat(of(final, "COPY"))
      .filter((c) => fromStage(c) === undefined)
      .flatMap((c) => args(c).split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) expect(ignored).not.toContain(s);
  });
});

describe("docker-compose.yml", () => {
  type Service = { image?: string; build?: string; command?: string[]; volumes?: string[] };
  const services = (parse(read("docker-compose.yml")) as { services: Record<string, Service> }).services;
  const mounts = (name: string) => new Map((services[name]?.volumes ?? []).map((v) => [v.split(":")[1], v.split(":")[0]]));

  it("runs the exporter built from this Dockerfile in demo mode, its state on a named volume", () => {
    expect(services.exporter).toMatchObject({ build: ".", command: ["--demo", "--storage.path=/app/data"] });
    expect(mounts("exporter").get("/app/data")).toBe("exporter-data");
    expect(parse(read("docker-compose.yml")).volumes).toHaveProperty("exporter-data");
  });

  it("pins every image to a version", () => {
    for (const s of Object.values(services).filter((s) => s.build === undefined)) {
      expect(s.image).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
  });

  it("points Prometheus at our rules, the exporter and the Alertmanager", () => {
    expect(mounts("prometheus").get("/etc/prometheus")).toBe("./prometheus");
    const config = parse(read("prometheus/prometheus-compose.yml"));
    expect(services.prometheus?.command).toContain("--config.file=/etc/prometheus/prometheus-compose.yml");
    expect(config.rule_files).toEqual(["alerts.yml"]);
    expect(config.scrape_configs[0]).toMatchObject({ job_name: "dataarts", static_configs: [{ targets: ["exporter:19918"] }] });
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(services.alertmanager).toBeDefined();
  });

  it("provisions Grafana with the Prometheus datasource and the dashboard directory the provider reads", () => {
    expect(mounts("grafana").get("/etc/grafana/provisioning")).toBe("./grafana/provisioning");
    const provider = parse(read("grafana/provisioning/dashboards/dataarts.yml")).providers[0];
    expect(mounts("grafana").get(provider.options.path)).toBe("./grafana/dashboards");
    const datasource = parse(read("grafana/provisioning/datasources/prometheus.yml")).datasources[0];
    expect(datasource).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
  });
});
