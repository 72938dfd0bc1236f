import { createHash } from "node:crypto";
import { ConfigError } from "./errors";

/**
 * Scale-out the kube-state-metrics way: every replica reads the same config and
 * polls only the workspaces of its own shard. Jump consistent hashing keeps the
 * shards disjoint without coordination and, when the shard count grows from N to
 * N+1, moves only about 1/(N+1) of the workspaces.
 */

const MASK_64 = (1n << 64n) - 1n;
const LCG_MULTIPLIER = 2862933555777941757n;
const TWO_POW_31 = 2 ** 31;
/** The paper's algorithm works on int32 bucket counts. */
export const MAX_SHARDS = TWO_POW_31 - 1;

/**
 * Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014),
 * transcribed from the paper's C++ with uint64 arithmetic done on BigInt.
 * A string key is first hashed to 64 bits with {@link hashKey}.
 */
export function jumpConsistentHash(key: bigint | string, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_SHARDS) {
    throw new RangeError(`buckets must be an integer in 1..${MAX_SHARDS}, got ${buckets}`);
  }
  let k = (typeof key === "string" ? hashKey(key) : key) & MASK_64;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = (k * LCG_MULTIPLIER + 1n) & MASK_64;
    j = Math.floor((b + 1) * (TWO_POW_31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/**
 * A stable 64-bit hash of a string: the first 8 bytes of its SHA-256, big-endian.
 * Stable across Node versions and reproducible by hand
 * (`printf %s "$project/$workspace" | sha256sum | cut -c1-16`).
 */
export function hashKey(key: string): bigint {
  return createHash("sha256").update(key, "utf8").digest().readBigUInt64BE(0);
}

/** The shard (0-based) that polls a workspace. */
export function shardOf(projectId: string, workspaceId: string, totalShards: number): number {
  return jumpConsistentHash(`${projectId}/${workspaceId}`, totalShards);
}

export interface ShardFlags {
  shard: string | undefined;
  totalShards: string | undefined;
  /** The HOSTNAME environment variable; a StatefulSet pod is named `<statefulset>-<ordinal>`. */
  hostname: string | undefined;
}

export interface ShardConfig {
  shard: number;
  totalShards: number;
}

/**
 * Reads `--shard` and `--total-shards`. Without either flag the exporter is a
 * single shard that polls everything. Every problem found is reported at once.
 */
export function parseShardFlags(flags: ShardFlags): ShardConfig {
  const problems: string[] = [];
  const totalShards = parseCount(flags.totalShards, problems);
  const shard = parseShard(flags, problems);
  if (problems.length === 0 && totalShards > 1 && flags.shard === undefined) {
    // Two replicas that both default to shard 0 would silently poll the same half.
    problems.push(`--shard: required when --total-shards is ${totalShards} (a number, or auto in a StatefulSet)`);
  }
  if (problems.length === 0 && shard >= totalShards) {
    problems.push(
      `--shard: ${shard} is out of range for --total-shards ${totalShards} (shards are numbered 0 to ${totalShards - 1})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { shard, totalShards };
}

function parseCount(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  const n = parseNonNegativeInteger(raw);
  if (n === undefined || n < 1 || n > MAX_SHARDS) {
    problems.push(`--total-shards: "${raw}" is not a whole number from 1 to ${MAX_SHARDS}`);
    return 1;
  }
  return n;
}

function parseShard(flags: ShardFlags, problems: string[]): number {
  const raw = flags.shard;
  if (raw === undefined) return 0;
  if (raw === "auto") return ordinalFromHostname(flags.hostname, problems);
  const n = parseNonNegativeInteger(raw);
  if (n === undefined) {
    problems.push(`--shard: "${raw}" is neither a whole number from 0 nor auto`);
    return 0;
  }
  return n;
}

function ordinalFromHostname(hostname: string | undefined, problems: string[]): number {
  if (hostname === undefined || hostname === "") {
    problems.push("--shard auto: HOSTNAME is not set, so the StatefulSet pod ordinal cannot be read");
    return 0;
  }
  const match = /-(\d+)$/.exec(hostname);
  const ordinal = match?.[1] === undefined ? undefined : parseNonNegativeInteger(match[1]);
  if (ordinal === undefined) {
    problems.push(
      `--shard auto: HOSTNAME "${hostname}" does not end in a StatefulSet ordinal like "dataarts-exporter-0"`,
    );
    return 0;
  }
  return ordinal;
}

/** Digits only: "1e3", "0x10", " 2" and "2.0" are typos here, not numbers. */
function parseNonNegativeInteger(raw: string): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : undefined;
}
