/** Typed reads of one YAML mapping of the config, reporting every problem as `key.path: reason`. */
// Each read returns the value, the given default when the key is absent (or null), or
// undefined when the value is invalid; the problem is then already recorded, so callers
// only skip the checks that depend on it.
import { MAX_DURATION_MS, MAX_DURATION_TEXT, durationMs } from "./duration";
import { Env, Problems, Tree, TreeMap, childPath, keyIsShowable } from "./yaml-tree";

export interface ReadContext {
  problems: Problems;
  env: Env;
  /** Reads a file of at most `maxBytes`; throws for anything else (see bounded-file.ts). */
  readFile: (path: string, maxBytes: number) => string;
}

/** Far above any key or token (an IAM token is about 20 KB), far below what would hurt. */
const MAX_SECRET_BYTES = 64 * 1024;

export interface StringOptions {
  /** Reason reported when the key is absent; omitted means optional. */
  required?: string;
  /** Environment variable used when the key is absent. */
  env?: string;
}

const ID_FORBIDDEN = /[\s/\\]/;

function describe(node: Tree): string {
  if (node.kind === "scalar" && node.value === null) return "nothing";
  if (node.kind === "map") return "a mapping";
  if (node.kind === "list") return "a list";
  if (node.kind === "scalar" && typeof node.value === "number") return "a number";
  if (node.kind === "scalar" && typeof node.value === "boolean") return "a boolean";
  return "a string";
}

export class Section {
  private constructor(
    private readonly ctx: ReadContext,
    private readonly node: TreeMap,
    readonly path: string,
  ) {}

  /** A section over `node`, or undefined (reported) when it is not a mapping. An absent section reads as empty. */
  static open(ctx: ReadContext, node: Tree | undefined, path: string, pos: number): Section | undefined {
    if (node === undefined) return new Section(ctx, { kind: "map", entries: new Map(), pos }, path);
    if (node.kind === "map") return new Section(ctx, node, path);
    if (node.kind !== "broken") ctx.problems.add(node.pos, path, `expected a mapping, got ${describe(node)}`);
    return undefined;
  }

  /** The value at `key`; a null value (`key:` with nothing after it) counts as absent. */
  get(key: string): Tree | undefined {
    const node = this.node.entries.get(key);
    return node?.kind === "scalar" && node.value === null ? undefined : node;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The keys as written, for mappings whose keys are data (label names), not settings. */
  keys(): string[] {
    return [...this.node.entries.keys()];
  }

  /** Reports a problem at `key`, or at this section when the key is absent. */
  problem(key: string, reason: string): void {
    const pos = this.node.entries.get(key)?.pos ?? this.node.pos;
    this.ctx.problems.add(pos, childPath(this.path, key), reason);
  }

  /**
   * Reports every key not in `allowed`; `reasonFor` may explain a known-but-misplaced key. A key
   * that may hold a secret (see keyIsShowable) is not quoted back unless it is one of `known`:
   * its position is, and the known key name it starts with.
   */
  allowOnly(allowed: readonly string[], reasonFor: (key: string) => string = () => "unknown key", known: readonly string[] = allowed): void {
    for (const [key, node] of this.node.entries) {
      if (allowed.includes(key)) continue;
      if (known.includes(key) || keyIsShowable(this.path, key)) this.problem(key, reasonFor(key));
      else this.ctx.problems.add(node.pos, this.path, `unknown key at ${this.ctx.problems.where(node.pos)}${typoHint(key, known)}`);
    }
  }

  section(key: string, required?: string): Section | undefined {
    if (required && !this.has(key)) return this.missing(key, required);
    return Section.open(this.ctx, this.get(key), childPath(this.path, key), this.node.pos);
  }

  /** The items of a list, each as a section; absent reads as empty. Items that are not mappings are left out. */
  sections(key: string): Section[] | undefined {
    const node = this.get(key);
    if (node === undefined) return [];
    if (node.kind === "broken") return undefined;
    if (node.kind !== "list") return this.fail(key, `expected a list, got ${describe(node)}`);
    const path = childPath(this.path, key);
    return node.items.flatMap((item, i) => Section.open(this.ctx, item, childPath(path, i), item.pos) ?? []);
  }

  /** A string; numbers are read as written (`0123`), so all-digit IDs keep their leading zeros. */
  string(key: string, options: StringOptions = {}): string | undefined {
    const node = this.get(key);
    if (node === undefined) return this.absent(key, options);
    if (node.kind === "broken") return undefined;
    if (node.kind !== "scalar" || typeof node.value === "boolean") {
      // Only the kind is named, never the value: the key may hold a secret.
      return this.fail(key, `expected a string, got ${describe(node)}`);
    }
    return node.text;
  }

  /** A required string that must not be empty. */
  text(key: string, required = "required"): string | undefined {
    const value = this.string(key, { required });
    if (value === "") return this.fail(key, "must not be empty");
    return value;
  }

  /** An identifier that goes into API paths and headers. */
  id(key: string): string | undefined {
    const value = this.text(key);
    if (value !== undefined && ID_FORBIDDEN.test(value)) return this.fail(key, "must not contain whitespace or slashes");
    return value;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T | undefined {
    const value = this.string(key);
    if (value === undefined) return this.has(key) ? undefined : fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    return this.fail(key, `must be one of ${choices.join(", ")}, got "${value}"`);
  }

  int(key: string, fallback: number, min: number): number | undefined {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind === "broken") return undefined;
    if (node.kind !== "scalar" || typeof node.value !== "number") {
      return this.fail(key, `expected a whole number, got ${describe(node)}`);
    }
    if (!Number.isSafeInteger(node.value)) return this.fail(key, `must be a whole number, got ${node.text}`);
    if (node.value < min) return this.fail(key, `must be at least ${min}`);
    return node.value;
  }

  bool(key: string, fallback: boolean): boolean | undefined {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind === "broken") return undefined;
    if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
    return this.fail(key, `expected true or false, got ${describe(node)}`);
  }

  /** Milliseconds of a Prometheus-style duration. */
  duration(key: string, fallback: number | undefined): number | undefined {
    const node = this.get(key);
    if (node === undefined) return fallback;
    if (node.kind === "broken") return undefined;
    if (node.kind !== "scalar" || typeof node.value === "boolean") {
      return this.fail(key, `expected a duration such as 30s, got ${describe(node)}`);
    }
    const ms = durationMs(node.text);
    if (ms === undefined) return this.fail(key, `invalid duration "${node.text}" (use e.g. 500ms, 30s, 5m, 1h)`);
    if (ms === 0) return this.fail(key, "must be longer than 0s");
    // Timers cannot wait longer; a longer wait would fire at once, over and over.
    if (ms > MAX_DURATION_MS) return this.fail(key, `must be at most ${MAX_DURATION_TEXT}`);
    return ms;
  }

  /** An http(s) base URL without its trailing slash; `example` is shown when it is not one. */
  url(key: string, fallback: string | undefined, example: string): string | undefined {
    const value = this.string(key);
    if (value === undefined) return this.has(key) ? undefined : fallback;
    // The URL is not quoted back: it could carry user:password.
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || /\s/.test(value)) {
      return this.fail(key, `must be an http(s) URL such as ${example}`);
    }
    if (url.search || url.hash) return this.fail(key, "must not have a query or fragment");
    if (url.username || url.password) return this.fail(key, "must not contain a user name or password");
    return url.href.replace(/\/+$/, "");
  }

  /**
   * A secret given inline (`key`) or as a file (`key_file`), never both. File contents
   * lose their trailing newlines and are not expanded. Empty inline values read as "".
   */
  secret(key: string, options: StringOptions = {}): string | undefined {
    const fileKey = `${key}_file`;
    if (this.has(key) && this.has(fileKey)) return this.fail(fileKey, `not allowed together with ${key}`);
    if (!this.has(fileKey)) return this.string(key, options);
    const file = this.string(fileKey);
    if (file === undefined) return undefined;
    if (file === "") return this.fail(fileKey, "must not be empty");
    const content = this.readFileAt(fileKey, file, MAX_SECRET_BYTES)?.replace(/[\r\n]+$/, "");
    if (content === undefined) return undefined;
    return content === "" ? this.fail(fileKey, `file ${file} is empty`) : content;
  }

  /** The text of the file named at `key` (relative paths from the config file's directory); undefined when unreadable (reported). */
  fileText(key: string, maxBytes: number): { path: string; text: string } | undefined {
    const path = this.text(key);
    if (path === undefined) return undefined;
    const text = this.readFileAt(key, path, maxBytes);
    return text === undefined ? undefined : { path, text };
  }

  /** The text of the file at `path`, named by `key`; undefined when unreadable or over `maxBytes` (reported under `key`). */
  private readFileAt(key: string, path: string, maxBytes: number): string | undefined {
    let text: string;
    try {
      text = this.ctx.readFile(path, maxBytes);
    } catch (error) {
      return this.fail(key, `cannot read ${path}: ${describeReadError(error)}`);
    }
    if (text.length > maxBytes) return this.fail(key, `cannot read ${path}: larger than ${maxBytes} bytes`);
    return text;
  }

  private absent(key: string, options: StringOptions): string | undefined {
    const fromEnv = options.env === undefined ? undefined : this.ctx.env[options.env];
    if (fromEnv) return fromEnv;
    return options.required === undefined ? undefined : this.missing(key, options.required);
  }

  private missing(key: string, reason: string): undefined {
    this.ctx.problems.add(this.node.pos, childPath(this.path, key), reason);
    return undefined;
  }

  private fail(key: string, reason: string): undefined {
    this.problem(key, reason);
    return undefined;
  }
}

/** For `password:Hunter2` or `password=Hunter2`: the known name it starts with and how to write it; the rest is never shown. */
function typoHint(key: string, known: readonly string[]): string {
  const name = [...known].sort((a, b) => b.length - a.length).find((k) => key.startsWith(`${k}:`) || key.startsWith(`${k}=`));
  if (name === undefined) return " (not shown: it may hold a secret)";
  const start = key.slice(0, name.length + 1);
  return `, starting "${start}" (the rest is not shown; write "${name}: value"${start.endsWith(":") ? ", with a space after the colon" : ""})`;
}

/** The reason a file could not be read, without the path Node repeats in its messages. */
export function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EISDIR: "is a directory",
  };
  if (code !== undefined) return known[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}
