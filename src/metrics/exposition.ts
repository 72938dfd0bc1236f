/** The Prometheus text exposition format (0.0.4), written by hand for the families we cache. */
import { BodyPiece, Piece, textOf } from "./piece";

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

/** `a="1",b="2"`: the inside of a sample's braces. */
export function labelPairs(labels: Labels): string {
  return labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
}

export function sampleLine(name: string, labels: Labels, value: number): string {
  return pairsLine(name, labelPairs(labels), value);
}

/** A sample line whose label pairs are written already (see labelPairs). */
export function pairsLine(name: string, pairs: string, value: number): string {
  return `${name}${pairs ? `{${pairs}}` : ""} ${formatValue(value)}\n`;
}

export interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter" | "histogram";
  samples: Array<{ labels: Labels; value: number }>;
  /** Sample lines rendered already (kept per workspace), in groups, written after `samples`; read once. */
  chunks?: Iterable<Piece>;
}

/** A family with no samples is left out entirely, so "absent" really is absent. */
export function renderFamily(family: Family): string {
  return [...familyChunks(family)].map(textOf).join("");
}

/**
 * A family in pieces: the header with the samples, then one piece per group of kept lines.
 * A scrape's body is cached (and gzipped) piece by piece, so an unchanged group costs nothing:
 * it is passed on as the very piece it was, not joined to anything.
 */
export function* familyChunks(family: Family): Generator<BodyPiece> {
  let head: string | undefined = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
  for (const s of family.samples) head += sampleLine(family.name, s.labels, s.value);
  if (family.samples.length > 0) {
    yield head;
    head = undefined;
  }
  for (const chunk of family.chunks ?? []) {
    if (chunk.length === 0) continue;
    // The header goes before the first sample, so a family with none is left out.
    if (head !== undefined) {
      yield head;
      head = undefined;
    }
    yield chunk;
  }
}

export type ExpositionFormat = "text" | "openmetrics";
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/** OpenMetrics ends every exposition with this line. */
export const OPENMETRICS_EOF = "# EOF\n";

/** Units OpenMetrics names with a `# UNIT` line when a family's name ends in them. */
const UNITS = ["seconds", "bytes"];

/**
 * Rewrites text-format (0.0.4) families as OpenMetrics 1.0: a counter family is named without
 * `_total` (its samples keep it), `untyped` is `unknown`, and base units get a `# UNIT` line.
 * Pure and line by line, so parts rendered apart can be converted apart; the caller adds `# EOF`.
 */
export function toOpenMetrics(text: string): string {
  // Samples read the same in both formats. A piece of samples alone (most of a body: the groups
  // of workspaces' lines) is given back as the very string, so that the bodies of both formats
  // hold those samples once, not once each.
  if (samplesOnly(text)) return text;
  const lines = text.split("\n").filter((line) => line !== "");
  const family = new Map<string, { name: string; type: string }>();
  for (const line of lines) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, type] = m as unknown as [string, string, string];
    if (type === "counter") family.set(name, name.endsWith("_total") ? { name: name.slice(0, -6), type } : { name, type: "unknown" });
    else family.set(name, { name, type: type === "untyped" ? "unknown" : type });
  }
  let out = "";
  for (const line of lines) {
    const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (!m) {
      out += `${line}\n`;
      continue;
    }
    const f = family.get(m[2]!) ?? { name: m[2]!, type: "unknown" };
    if (m[1] === "HELP") {
      out += `# HELP ${f.name} ${m[3] ?? ""}\n`;
      continue;
    }
    out += `# TYPE ${f.name} ${f.type}\n`;
    const unit = UNITS.find((u) => f.name.endsWith(`_${u}`));
    if (unit) out += `# UNIT ${f.name} ${unit}\n`;
  }
  return out;
}

/** No comment lines, no empty ones, and a newline at the end: what the conversion gives back unchanged. */
function samplesOnly(text: string): boolean {
  return text.endsWith("\n") && !text.startsWith("#") && !text.startsWith("\n") && !text.includes("\n#") && !text.includes("\n\n");
}
