import { spawnSync } from "node:child_process";

/**
 * Parses `text` with Debian's python3-prometheus-client OpenMetrics parser (the reference
 * implementation's; Debian's /usr/bin/python3, not a pyenv one without it). Returns the families as { name, type, samples } or throws with the parser's complaint.
 */
export function parseOpenMetrics(text: string): Array<{ name: string; type: string; unit: string; samples: string[] }> {
  const script = [
    "import sys, json",
    "from prometheus_client.openmetrics.parser import text_string_to_metric_families",
    "out = [dict(name=f.name, type=f.type, unit=f.unit, samples=[s.name for s in f.samples]) for f in text_string_to_metric_families(sys.stdin.read())]",
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync("/usr/bin/python3", ["-c", script], { input: text, encoding: "utf8" });
  if (r.error) throw new Error(`/usr/bin/python3 is not installed (.ci/run installs Debian's python3-prometheus-client): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`the OpenMetrics parser rejected the exposition: ${r.stderr.trim().split("\n").pop()}`);
  return JSON.parse(r.stdout) as Array<{ name: string; type: string; unit: string; samples: string[] }>;
}
