/** Which shard polls a workspace: jump consistent hashing of its project and workspace ids. */
import { createHash } from "node:crypto";
import { workspaceKey } from "../config/workspace-key";

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
  return jumpConsistentHash(workspaceKey(projectId, workspaceId), totalShards);
}

/** Whether shard `ordinal` of `total` polls the workspace: every shard does without sharding. */
export function inShard(shard: { ordinal: number; total: number }, projectId: string, workspaceId: string): boolean {
  return shard.total <= 1 || shardOf(projectId, workspaceId, shard.total) === shard.ordinal;
}
