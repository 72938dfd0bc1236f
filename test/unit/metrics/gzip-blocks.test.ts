import { spawnSync } from "node:child_process";
import { crc32, gunzipSync } from "node:zlib";
import { BlockStore, crc32Combine } from "../../../src/metrics/gzip-blocks";

const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}{workspace_id="${i}"} ${i * 7}\n`).join("");

describe("a gzip body made of separately deflated pieces", () => {
  const pieces = [lines("# HELP a A.\n# TYPE a gauge\na", 500), lines("b", 300), "c 1\n", lines("d", 1000)];

  it("is one gzip member that gunzip (the program) and zlib read back to the whole text", async () => {
    const gz = await BlockStore.gzip(new BlockStore().blocksFor(pieces));
    const text = pieces.join("");
    expect(gunzipSync(gz).toString()).toBe(text);
    expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32(text));
    expect(gz.readUInt32LE(gz.length - 4)).toBe(Buffer.byteLength(text));
    const gunzip = spawnSync("gzip", ["-dc"], { input: gz });
    expect(gunzip.stderr.toString()).toBe("");
    expect(gunzip.stdout.toString()).toBe(text);
  });

  it("compresses again only the pieces whose text changed", async () => {
    const store = new BlockStore();
    const first = store.blocksFor(pieces);
    await BlockStore.gzip(first);
    const second = store.blocksFor([pieces[0]!, lines("b", 301), pieces[2]!, pieces[3]!]);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1]!.deflated).toBeUndefined();
    expect(second[3]!.deflated).toBe(first[3]!.deflated);
    const gz = await BlockStore.gzip(second);
    expect(gunzipSync(gz).toString()).toBe([pieces[0], lines("b", 301), pieces[2], pieces[3]].join(""));
  });

  it("forgets pieces the last body no longer has", () => {
    const store = new BlockStore();
    const [a] = store.blocksFor(["x 1\n"]);
    store.blocksFor(["y 1\n"]);
    expect(store.blocksFor(["x 1\n"])[0]).not.toBe(a);
  });
});

describe("combining CRC-32s", () => {
  it("gives the CRC of two texts laid end to end, as zlib computes it", () => {
    for (const [a, b] of [["", "x"], ["x", ""], ["hello ", "world"], [lines("a", 300), lines("b", 7)], ["\u00e9t\u00e9", "\u0000\u00ff"]] as const) {
      const [ba, bb] = [Buffer.from(a), Buffer.from(b)];
      expect(crc32Combine(crc32(ba), crc32(bb), bb.length)).toBe(crc32(Buffer.concat([ba, bb])));
    }
  });
});
