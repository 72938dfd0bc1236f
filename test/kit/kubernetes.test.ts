import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { parseConfig, SDK_ENV } from "../../src/config/config";

const ROOT = join(__dirname, "..", "..");
const BASE = join(ROOT, "deploy/kubernetes/base");

// Loose on purpose: kubernetes-models checks the shape, these tests only read fields.
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [k: string]: any };

/**
 * `kustomize build` for a base that only lists resources (there is no kubectl
 * here). Any other kustomization feature would change the output, so it fails
 * the test instead of being silently ignored.
 */
function build(dir: string): Manifest[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<string, unknown>;
  const unsupported = Object.keys(k).filter((key) => !["apiVersion", "kind", "resources"].includes(key));
  if (unsupported.length > 0) throw new Error(`teach build() in this test about: ${unsupported.join(", ")}`);
  return (k.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((d) => d.toJS() as Manifest),
  );
}

/**
 * kubernetes-models and its Prometheus Operator models are ES modules only, which
 * Jest's CommonJS runtime cannot load; validate in a plain Node child instead.
 */
const VALIDATOR = `
const MODELS = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const obj of JSON.parse(input)) {
  const Model = MODELS[obj.apiVersion] && (await import(MODELS[obj.apiVersion]))[obj.kind];
  try {
    if (!Model) throw new Error("no model for " + obj.apiVersion + " " + obj.kind);
    new Model(obj).validate();
    results.push("ok");
  } catch (e) {
    results.push(e.message);
  }
}
console.log(JSON.stringify(results));
`;

function validate(objects: unknown[]): string[] {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", VALIDATOR], {
    cwd: ROOT,
    input: JSON.stringify(objects),
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`validator failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const objects = build(BASE);
const one = (kind: string, name?: string): Manifest => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ""}, found ${found.length}`);
  return found[0] as Manifest;
};
const sts = one("StatefulSet");
const pod = sts.spec.template.spec;
const container = pod.containers[0];

describe("the kustomize base", () => {
  it("holds a StatefulSet, two Services, a ConfigMap, a ServiceMonitor and a PrometheusRule", () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ["ConfigMap", "PrometheusRule", "Service", "Service", "ServiceMonitor", "StatefulSet"].sort(),
    );
  });

  it("validates every object against its Kubernetes or Prometheus Operator schema", () => {
    const results = validate(objects);
    expect(objects.map((o, i) => `${o.kind}/${o.metadata.name}: ${results[i]}`)).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}: ok`),
    );
  });

  it("would notice an invalid object, so the validation above is real", () => {
    const broken = { ...sts, spec: { ...sts.spec, replicas: "two" } };
    expect(validate([broken])[0]).toMatch(/replicas must be integer/);
  });
});

describe("the StatefulSet", () => {
  it("runs as many replicas as --total-shards, each taking its shard from its pod name", () => {
    expect(sts.spec.replicas).toBe(2);
    expect(container.args).toEqual(expect.arrayContaining(["--shard=auto", `--total-shards=${sts.spec.replicas}`]));
    expect(container.env).toContainEqual({ name: "HOSTNAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } });
  });

  it("reads the config from the ConfigMap at /etc/dataarts-exporter/config.yml", () => {
    expect(container.args).toContain("--config.file=/etc/dataarts-exporter/config.yml");
    const mount = container.volumeMounts.find((m: Manifest) => m.mountPath === "/etc/dataarts-exporter");
    const volume = pod.volumes.find((v: Manifest) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe(one("ConfigMap").metadata.name);
  });

  it("takes the access key and secret key from a Secret, never from the manifest", () => {
    for (const name of [SDK_ENV.accessKey, SDK_ENV.secretKey]) {
      const env = container.env.find((e: Manifest) => e.name === name);
      expect(env?.value).toBeUndefined();
      expect(env?.valueFrom?.secretKeyRef).toEqual({ name: "dataarts-exporter-credentials", key: name });
    }
  });

  it("probes /-/healthy for liveness and /-/ready for readiness on the metrics port", () => {
    expect(container.ports).toContainEqual({ name: "http-metrics", containerPort: 19918 });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/-/healthy", port: "http-metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/-/ready", port: "http-metrics" });
  });

  it("runs as a non-root user without privileges, with resource requests and a memory limit", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toBeTruthy();
  });

  it("keeps each pod's accounting on its own persistent volume, writable by the exporter's group", () => {
    const arg = container.args.find((a: string) => a.startsWith("--storage.path="));
    const mount = container.volumeMounts.find((m: Manifest) => `--storage.path=${m.mountPath}` === arg);
    expect(mount).toBeDefined();
    expect(mount.readOnly).toBeUndefined();
    const claim = sts.spec.volumeClaimTemplates.find((t: Manifest) => t.metadata.name === mount.name);
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(pod.securityContext.fsGroup).toBe(1000);
  });

  it("pins the image to a version", () => {
    expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);
  });
});

describe("the ConfigMap", () => {
  it("holds a config the exporter accepts", () => {
    const env = { [SDK_ENV.accessKey]: "AK", [SDK_ENV.secretKey]: "SK" };
    const config = parseConfig(one("ConfigMap").data["config.yml"], { env, readFile: () => "" });
    expect(config.projects.length).toBeGreaterThan(0);
  });
});

describe("the Services and the ServiceMonitor", () => {
  const headless = one("Service", sts.spec.serviceName);
  const monitor = one("ServiceMonitor");
  const scraped = objects.filter(
    (o) =>
      o.kind === "Service" &&
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
  );

  it("select the StatefulSet's pods on the metrics port", () => {
    for (const svc of objects.filter((o) => o.kind === "Service")) {
      expect(Object.entries(svc.spec.selector).every(([k, v]) => sts.spec.template.metadata.labels[k] === v)).toBe(true);
      expect(svc.spec.ports).toContainEqual({ name: "http-metrics", port: 19918, targetPort: "http-metrics" });
    }
  });

  it("give the StatefulSet its headless governing Service", () => {
    expect(headless.spec.clusterIP).toBe("None");
  });

  it("scrape every pod once, through the non-headless Service only", () => {
    expect(scraped.map((s) => s.metadata.name)).toEqual(["dataarts-exporter"]);
    expect(monitor.spec.endpoints).toHaveLength(1);
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http-metrics", path: "/metrics" });
  });

  it("label the targets job=dataarts, as the alert rules expect", () => {
    expect(monitor.spec.endpoints[0].relabelings).toContainEqual({
      action: "replace",
      targetLabel: "job",
      replacement: "dataarts",
    });
  });
});

describe("the PrometheusRule", () => {
  it("carries exactly the rules of prometheus/alerts.yml", () => {
    const alerts = parse(readFileSync(join(ROOT, "prometheus/alerts.yml"), "utf8")) as { groups: unknown };
    if (JSON.stringify(one("PrometheusRule").spec.groups) !== JSON.stringify(alerts.groups)) {
      throw new Error("deploy/kubernetes/base/prometheusrule.yaml differs from prometheus/alerts.yml: run `npm run prometheusrule`");
    }
  });
});
