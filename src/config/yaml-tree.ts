/** Config YAML as a small tree that remembers where each value was written, with `${VAR}` expanded. */
// Positions let problems be reported in document order. Expansion happens here, after
// YAML parsing, so an environment variable can never add keys or change the structure.
import { Alias, Document, LineCounter, Node, Scalar, YAMLParseError, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit } from "yaml";

export type Env = Record<string, string | undefined>;

/** Offset in the source of the key (or list item) that holds a value: the sort key of its problems. */
interface Located {
  pos: number;
}
export interface TreeMap extends Located {
  kind: "map";
  entries: Map<string, Tree>;
}
export interface TreeList extends Located {
  kind: "list";
  items: Tree[];
}
export interface TreeScalar extends Located {
  kind: "scalar";
  value: string | number | boolean | null;
  /** The scalar as written (after expansion): numeric-looking IDs keep their leading zeros. */
  text: string;
}
/** A value whose problem has already been reported; readers skip it without a second message. */
export interface TreeBroken extends Located {
  kind: "broken";
}
export type Tree = TreeMap | TreeList | TreeScalar | TreeBroken;

/** The key path used for problems about the file as a whole. */
export const FILE_PATH = "config.file";

/** Far above any real config (300 workspaces take about 30 KB); a bigger file is refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The YAML library's alias limit (its measure of how many nodes aliases expand to). Its default
 * of 100 would refuse one auth block shared by 101 projects; an alias bomb goes past any of these.
 */
const MAX_ALIAS_COUNT = 1000;

/** Collects `path: reason` problems and hands them back in document order. */
export class Problems {
  private readonly list: Array<{ pos: number; message: string }> = [];
  private lines?: LineCounter;

  /** Where `pos` is in the file, for problems that must not quote what is written there. */
  where(pos: number): string {
    const at = this.lines?.linePos(pos);
    return at ? `line ${at.line}, column ${at.col}` : `offset ${pos}`;
  }

  /** Lets `where` turn offsets into lines and columns of the text being read. */
  readingFrom(lines: LineCounter): void {
    this.lines = lines;
  }

  add(pos: number, path: string, reason: string): void {
    this.list.push({ pos, message: `${path || FILE_PATH}: ${reason}` });
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  /** Sorted by position; Array.prototype.sort is stable, so ties keep the order they were found in. */
  messages(): string[] {
    return [...this.list].sort((a, b) => a.pos - b.pos).map((p) => p.message);
  }
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * Whether a key may be quoted back in a problem. A key with `:` or `=` in it is most likely a
 * `password:Hunter2` typo (no space after the colon makes one key); under `auth` only key-shaped
 * names are shown (every auth key is lower-case letters and underscores).
 */
export function keyIsShowable(sectionPath: string, key: string): boolean {
  if (/[:=\s]/.test(key)) return false;
  return !isAuthPath(sectionPath) || /^[a-z_]+$/.test(key);
}

function isAuthPath(path: string): boolean {
  return /(^|\.)auth$/.test(path);
}

/** Parses `text`; undefined (with problems added) when it is not usable YAML or holds nothing. */
export function readYamlTree(text: string, env: Env, problems: Problems): Tree | undefined {
  if (text.length > MAX_CONFIG_BYTES) {
    problems.add(0, FILE_PATH, `the file is larger than ${MAX_CONFIG_BYTES} bytes`);
    return undefined;
  }
  const lines = new LineCounter();
  problems.readingFrom(lines);
  // prettyErrors would quote the offending source line, which may hold a secret.
  // Duplicate keys are found while building the tree, to name their key paths.
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines, uniqueKeys: false });
  const [error] = doc.errors;
  if (error) {
    // Only the first: after a syntax error the parser's later complaints are mostly echoes of it.
    const { line, col } = lines.linePos(error.pos[0]);
    problems.add(error.pos[0], FILE_PATH, `invalid YAML at line ${line}, column ${col}: ${syntaxReason(error)}`);
    return undefined;
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value == null)) {
    problems.add(0, FILE_PATH, "the file is empty");
    return undefined;
  }
  if (aliasBomb(doc)) {
    problems.add(0, FILE_PATH, `its aliases expand past the limit of ${MAX_ALIAS_COUNT} (a YAML alias bomb?)`);
    return undefined;
  }
  return new TreeBuilder(aliasTargets(doc), env, problems).build(root, "", 0);
}

/**
 * Whether the YAML library's own alias limit refuses the document. The tree builder resolves
 * aliases itself, so without this check nested aliases would expand exponentially there.
 */
function aliasBomb(doc: Document.Parsed): boolean {
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return false;
  } catch (error) {
    // Anything else (an alias to its own anchor) is for the tree builder to report.
    return error instanceof ReferenceError && /alias count/i.test(error.message);
  }
}

/** Each alias's node, found in one pass: the last node with its anchor before it, as YAML defines. */
function aliasTargets(doc: Document.Parsed): Map<Alias, Node | undefined> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/** The parser's reason without the source text some messages quote, which may be a secret. */
function syntaxReason(error: YAMLParseError): string {
  // The parser's own wording here speaks to programmers, not to whoever edits the file.
  if (error.code === "MULTIPLE_DOCS") return "the file holds more than one YAML document";
  return error.message.replace(/^(Invalid escape sequence).*/s, "$1").split(": ")[0] ?? error.message;
}

class TreeBuilder {
  /** Nodes being built, to stop an alias that refers to its own anchor. */
  private readonly visiting = new Set<unknown>();

  constructor(
    private readonly aliases: Map<Alias, Node | undefined>,
    private readonly env: Env,
    private readonly problems: Problems,
  ) {}

  build(node: unknown, path: string, pos: number): Tree {
    if (this.visiting.has(node)) {
      this.problems.add(pos, path, "an alias refers to its own anchor");
      return { kind: "broken", pos };
    }
    this.visiting.add(node);
    try {
      return this.buildNode(node, path, pos);
    } finally {
      this.visiting.delete(node);
    }
  }

  private buildNode(node: unknown, path: string, pos: number): Tree {
    if (isAlias(node)) return this.build(this.aliases.get(node), path, pos);
    if (isMap(node)) {
      const entries = new Map<string, Tree>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const keyPos = (pair.key as { range?: [number] } | null)?.range?.[0] ?? pos;
        const shown = key === undefined || keyIsShowable(path, key) ? key : `<key at ${this.problems.where(keyPos)}>`;
        if (key === undefined) this.problems.add(keyPos, path, "keys must be plain strings");
        else if (entries.has(key)) this.problems.add(keyPos, childPath(path, shown!), "duplicate key");
        else entries.set(key, this.build(pair.value, childPath(path, shown!), keyPos));
      }
      return { kind: "map", entries, pos };
    }
    if (isSeq(node)) {
      const items = node.items.map((item, i) => {
        const itemPos = (item as { range?: [number] } | null)?.range?.[0] ?? pos;
        return this.build(item, childPath(path, i), itemPos);
      });
      return { kind: "list", items, pos };
    }
    if (isScalar(node)) return this.scalar(node, path, pos);
    return { kind: "scalar", value: null, text: "", pos };
  }

  private scalar(node: Scalar, path: string, pos: number): Tree {
    const { value } = node;
    if (typeof value !== "string") {
      const plain = value === null || typeof value === "number" || typeof value === "boolean";
      const text = node.source ?? String(value ?? "");
      return { kind: "scalar", value: plain ? value : text, text, pos };
    }
    const { result, errors } = expandEnv(value, this.env);
    errors.forEach((reason) => this.problems.add(pos, path, reason));
    if (errors.length > 0) return { kind: "broken", pos };
    // An unquoted `${VAR}` takes the type its value would have had if written in place,
    // so `concurrency: ${CONCURRENCY}` is a number; quoting keeps it a string.
    const retype = node.type === Scalar.PLAIN && result !== value;
    return { kind: "scalar", value: retype ? plainValue(result) : result, text: result, pos };
  }
}

function plainValue(text: string): string | number | boolean {
  if (text === "true" || text === "false") return text === "true";
  return /^[-+]?\d+$/.test(text) ? Number(text) : text;
}

const REFERENCE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|(\{))?/g;

/**
 * `${VAR}`, `${VAR:-default}` (the default also replaces an empty value, as in the
 * shell) and `$$` for a literal dollar; any other `$` stays as written. Errors never
 * quote the value, which may be a secret.
 */
function expandEnv(text: string, env: Env): { result: string; errors: string[] } {
  const errors: string[] = [];
  const result = text.replace(REFERENCE, (_match, dollar?: string, name?: string, fallback?: string, open?: string) => {
    if (dollar !== undefined) return "$";
    if (open !== undefined) {
      errors.push('invalid variable reference: write ${NAME} or ${NAME:-default}, and "$$" for a literal "$"');
      return "";
    }
    if (name === undefined) return "$";
    const value = env[name];
    if (fallback !== undefined) return value ? value : fallback;
    if (value === undefined) errors.push(`environment variable ${name} is not set`);
    return value ?? "";
  });
  return { result, errors };
}
