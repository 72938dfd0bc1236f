import { ConfigError } from "../../../src/config/config-error";
import { hashKey, jumpConsistentHash, shardOf } from "../../../src/polling/shard";
import { ShardFlags, parseShardFlags } from "../../../src/flags";

/** 2 000 workspaces spread over 20 projects, shaped like the real 32-hex ids. */
const WORKSPACES = Array.from({ length: 2000 }, (_, i) => ({
  projectId: `project${String(i % 20).padStart(25, "0")}`,
  workspaceId: `ws${i.toString(16).padStart(30, "0")}`,
}));

function assignments(totalShards: number): number[] {
  return WORKSPACES.map((w) => shardOf(w.projectId, w.workspaceId, totalShards));
}

describe("jumpConsistentHash", () => {
  // Known answers published with other implementations of the paper's algorithm
  // (ClickHouse's jumpConsistentHash tests, go-jump, rust jump-consistent-hash).
  it.each([
    [1n, 1, 0],
    [42n, 57, 43],
    [256n, 1024, 520],
    [3735883980n, 1, 0],
    [3735883980n, 666, 361],
    [16045690984833335023n, 255, 237],
    [0n, 60, 0],
    [1n, 60, 55],
    [2n, 60, 46],
  ])("maps key %p into %p buckets as bucket %p, like the paper's C++", (key, buckets, expected) => {
    expect(jumpConsistentHash(key, buckets)).toBe(expected);
  });

  it("hashes a string key through the first 8 bytes of its SHA-256, as sha256sum shows", () => {
    // printf %s 'p/w' | sha256sum | cut -c1-16
    expect(hashKey("p/w")).toBe(0x5ad49e1437181a13n);
    expect(jumpConsistentHash("p/w", 7)).toBe(jumpConsistentHash(0x5ad49e1437181a13n, 7));
  });

  it("refuses a bucket count that is not a positive integer", () => {
    expect(() => jumpConsistentHash(1n, 0)).toThrow(RangeError);
    expect(() => jumpConsistentHash(1n, 1.5)).toThrow(RangeError);
  });
});

describe("shardOf", () => {
  it("gives every workspace to exactly one replica, so shards are disjoint and cover everything", () => {
    for (const total of [1, 2, 3, 5, 8]) {
      // Each replica keeps what hashes to its own ordinal, as the poller will.
      const kept = Array.from({ length: total }, (_, k) =>
        WORKSPACES.filter((w) => shardOf(w.projectId, w.workspaceId, total) === k),
      );
      const union = new Set(kept.flat());
      expect(union.size).toBe(WORKSPACES.length);
      expect(kept.reduce((n, shard) => n + shard.length, 0)).toBe(WORKSPACES.length);
    }
  });

  it("balances workspaces across shards within 25% of the fair share", () => {
    for (const total of [2, 3, 4, 7]) {
      const shards = assignments(total);
      const fair = WORKSPACES.length / total;
      for (let k = 0; k < total; k++) {
        const size = shards.filter((s) => s === k).length;
        expect(Math.abs(size - fair) / fair).toBeLessThan(0.25);
      }
    }
  });

  it("moves fewer than 2/(N+1) of the workspaces when N shards grow to N+1, and only onto the new shard", () => {
    for (let n = 1; n <= 9; n++) {
      const before = assignments(n);
      const after = assignments(n + 1);
      const moved = before.filter((s, i) => s !== after[i]);
      expect(moved.length / WORKSPACES.length).toBeLessThan(2 / (n + 1));
      expect(after.filter((s, i) => s !== before[i]).every((s) => s === n)).toBe(true);
    }
  });

  it("keys on project and workspace together, so equal workspace ids in two projects are independent keys", () => {
    expect(hashKey("a/b")).not.toBe(hashKey("a/c"));
    expect(shardOf("a", "b", 1000)).toBe(jumpConsistentHash("a/b", 1000));
  });
});

describe("parseShardFlags", () => {
  const none: ShardFlags = { shard: undefined, totalShards: undefined, hostname: undefined };

  function problemOf(flags: Partial<ShardFlags>): string {
    try {
      parseShardFlags({ ...none, ...flags });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).message;
    }
    throw new Error("expected a ConfigError");
  }

  it("defaults to one shard that polls everything", () => {
    expect(parseShardFlags(none)).toEqual({ shard: 0, totalShards: 1 });
  });

  it("reads explicit numbers", () => {
    expect(parseShardFlags({ ...none, shard: "2", totalShards: "3" })).toEqual({ shard: 2, totalShards: 3 });
  });

  it("takes the shard from the StatefulSet ordinal at the end of HOSTNAME with auto", () => {
    expect(parseShardFlags({ shard: "auto", totalShards: "4", hostname: "dataarts-exporter-3" })).toEqual({
      shard: 3,
      totalShards: 4,
    });
    expect(parseShardFlags({ shard: "auto", totalShards: "1", hostname: "web-0" })).toEqual({ shard: 0, totalShards: 1 });
  });

  it("rejects a shard not below the total, naming both flags and the valid range", () => {
    expect(problemOf({ shard: "2", totalShards: "2" })).toBe(
      "--shard: 2 is out of range for --total-shards 2 (shards are numbered 0 to 1)",
    );
    expect(problemOf({ shard: "1" })).toMatch(/--total-shards 1/);
    expect(problemOf({ shard: "auto", totalShards: "2", hostname: "dataarts-exporter-5" })).toMatch(/5 is out of range/);
  });

  it("rejects values that are not whole numbers", () => {
    expect(problemOf({ shard: "one", totalShards: "2" })).toBe('--shard: "one" is neither a whole number from 0 nor auto');
    expect(problemOf({ shard: "0", totalShards: "1.5" })).toMatch(/^--total-shards: "1.5" is not a whole number from 1/);
    expect(problemOf({ shard: "-1", totalShards: "2" })).toMatch(/^--shard: "-1"/);
    expect(problemOf({ totalShards: "0" })).toMatch(/^--total-shards: "0"/);
  });

  it("rejects auto when HOSTNAME has no ordinal or is unset", () => {
    expect(problemOf({ shard: "auto", totalShards: "2", hostname: "laptop" })).toBe(
      '--shard auto: HOSTNAME "laptop" does not end in a StatefulSet ordinal like "dataarts-exporter-0"',
    );
    expect(problemOf({ shard: "auto", totalShards: "2" })).toMatch(/HOSTNAME is not set/);
  });

  it("requires --shard when there is more than one shard, so two replicas cannot both default to shard 0", () => {
    expect(problemOf({ totalShards: "3" })).toMatch(/^--shard: required when --total-shards is 3/);
  });

  it("reports every problem at once", () => {
    expect(problemOf({ shard: "x", totalShards: "y" }).split("\n")).toHaveLength(2);
  });
});
