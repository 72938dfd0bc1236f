/** The Prometheus text exposition format (0.0.4), written by hand for the families we cache. */

export type Labels = ReadonlyArray<readonly [string, string]>;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go-style float formatting, as Prometheus parses it: never NaN by accident. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function sampleLine(name: string, labels: Labels, value: number): string {
  const body = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
  return `${name}${body ? `{${body}}` : ""} ${formatValue(value)}\n`;
}

export interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Array<{ labels: Labels; value: number }>;
}

/** A family with no samples is left out entirely, so "absent" really is absent. */
export function renderFamily(family: Family): string {
  if (family.samples.length === 0) return "";
  let out = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  for (const s of family.samples) out += sampleLine(family.name, s.labels, s.value);
  return out;
}
