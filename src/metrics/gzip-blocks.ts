/** One gzip member made of separately deflated pieces, so that a body re-compresses only the pieces that changed. */
import { promisify } from "node:util";
import * as zlib from "node:zlib";

const deflateRaw = promisify(zlib.deflateRaw);
const gzipWhole = promisify(zlib.gzip);

/** A piece of a body: its bytes, and once asked for, its deflate blocks. */
export interface Block {
  raw: Buffer;
  deflated?: Promise<Buffer>;
}

/** ID1 ID2, deflate, no flags, no mtime, no extra flags, OS unix (as zlib writes it). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
/** An empty final block with fixed codes: what zlib writes when a flushed stream is finished. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

const crc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;

/**
 * Keeps the pieces of the last body by their text. Each piece is deflated on its own and
 * ends with a sync flush (byte-aligned, not final, no back-reference to earlier pieces), so
 * the pieces' deflate output laid end to end, a final empty block, and the CRC and length of
 * the whole text make one valid gzip member: pigz builds its gzip streams the same way.
 */
export class BlockStore {
  private blocks = new Map<string, Block>();

  /** The blocks of a body made of these pieces, reusing those of the last body; forgets the rest. */
  blocksFor(pieces: string[]): Block[] {
    const next = new Map<string, Block>();
    const out: Block[] = [];
    for (const piece of pieces) {
      if (piece === "") continue;
      let block = next.get(piece) ?? this.blocks.get(piece);
      if (!block) block = { raw: Buffer.from(piece) };
      next.set(piece, block);
      out.push(block);
    }
    this.blocks = next;
    return out;
  }

  /** One gzip member of the blocks' bytes; only blocks never compressed before are compressed (off the event loop). */
  static async gzip(blocks: Block[]): Promise<Buffer> {
    if (!crc32) return gzipWhole(Buffer.concat(blocks.map((b) => b.raw)));
    const deflated = await Promise.all(blocks.map((b) => (b.deflated ??= deflateRaw(b.raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH }))));
    let crc = 0;
    let length = 0;
    for (const b of blocks) {
      crc = crc32(b.raw, crc);
      length += b.raw.length;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(length % 2 ** 32, 4);
    return Buffer.concat([GZIP_HEADER, ...deflated, FINAL_BLOCK, trailer]);
  }
}
