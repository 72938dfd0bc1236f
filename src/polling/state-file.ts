/** The accounting kept across restarts under --storage.path: file format, crash-safe writes, unreadable files set aside. */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "../config/config-error";
import { Accounting, REVIEW_WAIT_BUCKETS, ResetReason } from "./state";

const STATE_FORMAT = "dataarts-exporter-state";
export const STATE_VERSION = 1;

/** One workspace's accounting, and when it was last configured or discovered (for pruning). */
export interface StoredWorkspace {
  id: string;
  accounting: Accounting;
  lastSeenMs: number;
}

const count = z.number().int().nonnegative();
/** Times of this exporter's own clock: whole milliseconds. */
const ms = z.number().int();
/**
 * Times the service gave (a release's start or deploy time): any finite number, as the API
 * response allows, so that an odd timestamp never makes the whole file unreadable at the next start.
 */
const serviceMs = z.number();
/** `outcome:package_id@deploy_ms` with the deploy time as `String(number)` wrote it. */
const seenKey = z
  .string()
  .regex(/^(failed|succeeded):.*@[^@]+$/)
  .refine((key) => Number.isFinite(seenDeployMs(key)), "the deploy time after @ is not a number");

/** Cumulative buckets never decrease and never exceed the count, else the exposition would be invalid. */
const histogram = z
  .object({ buckets: z.array(count).length(REVIEW_WAIT_BUCKETS.length), sum: z.number().nonnegative(), count })
  .refine((h) => h.buckets.every((b, i) => b >= (h.buckets[i - 1] ?? 0) && b <= h.count), "buckets are not cumulative up to the count");

const workspaceSchema = z.object({
  id: z.string().min(1),
  last_seen_ms: ms,
  failures_total: count,
  successes_total: count,
  review_wait: histogram,
  baselined: z.boolean(),
  /** `outcome:package_id@deploy_ms`, the keys of the releases already counted in the window. */
  seen: z.array(seenKey),
  previous: z.object({ started_ms: ms, releasing: z.array(z.object({ id: z.string(), start_ms: serviceMs })) }).optional(),
});

const fileSchema = z.object({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  written_at: z.string(),
  /** Written by a clean stop (SIGTERM): no count was shown that the file does not hold. */
  stopped: z.boolean().optional(),
  workspaces: z.array(workspaceSchema),
});

export function encodeState(workspaces: StoredWorkspace[], writtenAtMs: number, stopped = false): string {
  const body = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    written_at: new Date(writtenAtMs).toISOString(),
    stopped,
    workspaces: workspaces.map(({ id, accounting: a, lastSeenMs }) => ({
      id,
      last_seen_ms: lastSeenMs,
      failures_total: a.failuresTotal,
      successes_total: a.successesTotal,
      review_wait: a.reviewWait,
      baselined: a.tracker.baselined,
      seen: [...a.tracker.seen.keys()],
      previous: a.previous && { started_ms: a.previous.startedMs, releasing: a.previous.releasing.map((r) => ({ id: r.id, start_ms: r.startMs })) },
    })),
  };
  return `${JSON.stringify(body)}\n`;
}

export type Decoded = { ok: true; workspaces: StoredWorkspace[]; stopped: boolean } | { ok: false; problem: string };

/** Reads a state file's text; anything but a valid file of this version is a problem, never a throw. */
export function decodeState(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, problem: "not valid JSON (truncated or corrupt)" };
  }
  const head = raw as { format?: unknown; version?: unknown } | null;
  if (typeof head !== "object" || head === null || Array.isArray(head) || head.format !== STATE_FORMAT) {
    return { ok: false, problem: "not a dataarts-exporter state file" };
  }
  if (typeof head.version === "number" && head.version > STATE_VERSION) {
    return { ok: false, problem: `format version ${head.version} is newer than this exporter's (${STATE_VERSION})` };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: `unexpected content at ${issue.path.join(".") || "top level"}: ${issue.message}` };
  }
  return {
    ok: true,
    stopped: parsed.data.stopped === true,
    workspaces: parsed.data.workspaces.map((w) => ({
      id: w.id,
      lastSeenMs: w.last_seen_ms,
      accounting: {
        failuresTotal: w.failures_total,
        successesTotal: w.successes_total,
        reviewWait: w.review_wait,
        tracker: { baselined: w.baselined, seen: new Map(w.seen.map((key) => [key, seenDeployMs(key)])) },
        previous: w.previous && { startedMs: w.previous.started_ms, releasing: w.previous.releasing.map((r) => ({ id: r.id, startMs: r.start_ms })) },
      },
    })),
  };
}

function seenDeployMs(key: string): number {
  return Number(key.slice(key.lastIndexOf("@") + 1));
}

/** Each shard keeps its own file, so that replicas sharing a directory by mistake never overwrite each other. */
export function stateFileName(shard: { ordinal: number; total: number }): string {
  return shard.total > 1 ? `state-shard-${shard.ordinal}.json` : "state.json";
}

/**
 * Makes sure the exporter can keep its state in `dir` (creating it if missing) by
 * writing and removing a probe file: a volume that takes no writes is a config error.
 */
export function checkStorageDir(dir: string): void {
  const probe = join(dir, `.write-check-${randomBytes(6).toString("hex")}`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(probe, "w", 0o600);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // mkdir says EEXIST for a path that is a file: say what it is.
    const what = e.code === "EEXIST" ? "ENOTDIR (it is a file, not a directory)" : (e.code ?? e.message);
    throw new ConfigError([`--storage.path: cannot write to "${dir}": ${what}`]);
  }
}

/** Writes `text` so that a crash at any moment leaves the old file or the new one: temp file, fsync, rename, fsync dir. */
export function writeFileAtomic(path: string, dir: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export type Loaded =
  | { kind: "missing" }
  | { kind: "loaded"; workspaces: StoredWorkspace[]; stopped: boolean }
  | { kind: "unreadable"; problem: string; movedTo?: string; moveError?: string };

/** Reads the state file; an unreadable one is renamed aside (never deleted) so that a person can look at it. */
export function loadStateFile(path: string, nowMs: number): Loaded {
  let text: string;
  try {
    // A directory, or a FIFO that reading would wait on forever, is set aside unread.
    if (!statSync(path).isFile()) return setAside(path, nowMs, "not a regular file");
    text = readFileSync(path, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") return { kind: "missing" };
    return setAside(path, nowMs, `cannot be read: ${e.code ?? e.message}`);
  }
  const decoded = decodeState(text);
  if (decoded.ok) return { kind: "loaded", workspaces: decoded.workspaces, stopped: decoded.stopped };
  return setAside(path, nowMs, decoded.problem);
}

function setAside(path: string, nowMs: number, problem: string): Loaded {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const movedTo = `${path}.unreadable-${stamp}`;
  try {
    renameSync(path, movedTo);
    return { kind: "unreadable", problem, movedTo };
  } catch (err) {
    return { kind: "unreadable", problem, moveError: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/** Why a workspace the file does not hold starts from a new baseline. */
export function missingReason(loaded: Loaded): ResetReason {
  return loaded.kind === "unreadable" ? "unreadable" : "no_state";
}
