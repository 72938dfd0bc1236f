import { spawnSync } from "node:child_process";
import { crc32, gunzipSync } from "node:zlib";
import { BlockStore, crc32Combine } from "../../../src/metrics/gzip-blocks";
import { Piece } from "../../../src/metrics/piece";

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
    expect(second[1]!.compressing).toBe(false);
    expect(second[3]).toBe(first[3]);
    const gz = await BlockStore.gzip(second);
    expect(gunzipSync(gz).toString()).toBe([pieces[0], lines("b", 301), pieces[2], pieces[3]].join(""));
  });

  it("is the whole text when some pieces are held only compressed, read back and mixed with rendered ones", async () => {
    const kept = [new Piece(pieces[1]!, true), new Piece(pieces[3]!, true)];
    const body = [pieces[0]!, kept[0]!, pieces[2]!, kept[1]!];
    const gz = await BlockStore.gzip(new BlockStore().blocksFor(body));
    expect(kept.map((p) => p.packed)).toEqual([true, true]);
    expect(gunzipSync(gz).toString()).toBe(pieces.join(""));
    expect((await BlockStore.text(new BlockStore().blocksFor(body))).toString()).toBe(pieces.join(""));
    expect(spawnSync("gzip", ["-dc"], { input: gz }).stdout.toString()).toBe(pieces.join(""));
  });

  it("shares a kept piece and its compressed bytes between the bodies of both formats", async () => {
    const kept = new Piece(pieces[1]!, true);
    const [text, openMetrics] = [new BlockStore().blocksFor(["# text\n", kept]), new BlockStore().blocksFor(["# om\n", kept])];
    expect(openMetrics[1]).toBe(text[1]);
    await BlockStore.gzip(text);
    const bytes = await kept.deflated();
    await BlockStore.gzip(openMetrics);
    expect(await kept.deflated()).toBe(bytes);
  });

  it("keeps a small piece's deflate bytes in memory of their own size, not in zlib's 16 KiB output chunk", async () => {
    const small = new Piece(lines("e", 3), true);
    const bytes = await small.deflated();
    expect(bytes.length).toBeLessThan(200);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
    expect(small.text()).toBe(lines("e", 3));
  });

  it("forgets pieces the last body no longer has", () => {
    const store = new BlockStore();
    const [a] = store.blocksFor(["x 1\n"]);
    store.blocksFor(["y 1\n"]);
    expect(store.blocksFor(["x 1\n"])[0]).not.toBe(a);
  });
});

describe("a piece of a body", () => {
  const text = `${lines("a", 200)}b{workspace="\u00e9t\u00e9 \u20ac \ud83d\ude00"} 1\n`;

  it("held only compressed once deflated, reads back to the very text it had, non-ASCII included", async () => {
    const piece = new Piece(text, true);
    expect(piece.packed).toBe(false);
    await piece.deflated();
    expect(piece.packed).toBe(true);
    expect(piece.text()).toBe(text);
    expect(piece.length).toBe(Buffer.byteLength(text));
    expect(piece.crc).toBe(crc32(text));
  });

  it("keeps its text beside its compressed bytes when it is not packable", async () => {
    const piece = new Piece(text);
    await piece.deflated();
    expect(piece.packed).toBe(false);
    expect(piece.text()).toBe(text);
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
