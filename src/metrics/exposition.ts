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
  type: "gauge" | "counter" | "histogram";
  samples: Array<{ labels: Labels; value: number }>;
  /** Sample lines rendered already (kept per workspace), in groups, written after `samples`. */
  chunks?: string[];
}

/** A family with no samples is left out entirely, so "absent" really is absent. */
export function renderFamily(family: Family): string {
  return [...familyChunks(family)].join("");
}

/**
 * A family in pieces: the header with the first group of lines, then one piece per group.
 * A scrape's body is cached (and gzipped) piece by piece, so an unchanged group costs nothing.
 */
export function* familyChunks(family: Family): Generator<string> {
  const chunks = family.chunks ?? [];
  if (family.samples.length === 0 && !chunks.some((c) => c !== "")) return;
  let out = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  for (const s of family.samples) out += sampleLine(family.name, s.labels, s.value);
  for (const chunk of chunks) {
    if (chunk === "") continue;
    yield out + chunk;
    out = "";
  }
  if (out !== "") yield out;
}
