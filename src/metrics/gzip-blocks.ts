/** One gzip member made of separately deflated pieces, so that a body re-compresses only the pieces that changed. */
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { BodyPiece, Piece, crc32, isEmpty } from "./piece";

const gzipWhole = promisify(zlib.gzip);

/** ID1 ID2, deflate, no flags, no mtime, no extra flags, OS unix (as zlib writes it). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
/** An empty final block with fixed codes: what zlib writes when a flushed stream is finished. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * Keeps the pieces of the last body. Each piece is deflated on its own and ends with a sync
 * flush (piece.ts), so the pieces' deflate output laid end to end, a final empty block, and
 * the CRC and length of the whole text make one valid gzip member: pigz builds its gzip
 * streams the same way. Scrapers ask for gzip; the plain body is encoded from the pieces'
 * text when one asks for it.
 */
export class BlockStore {
  private last: Array<{ piece: BodyPiece; block: Piece }> = [];

  /**
   * The blocks of a body made of these pieces. A kept piece (a Piece) is its own block, shared
   * by every body and format that has it. A piece rendered for this body (a string) reuses the
   * block of the last body's piece at the same place when that has the same text, else gets a
   * new one; the rest is forgotten. Compared by place, not looked up by text: hashing a long
   * string is as slow as reading it.
   */
  blocksFor(pieces: BodyPiece[]): Piece[] {
    const next: Array<{ piece: BodyPiece; block: Piece }> = [];
    for (const piece of pieces) {
      if (isEmpty(piece)) continue;
      const before = this.last[next.length];
      const block = typeof piece !== "string" ? piece : before?.piece === piece ? before.block : new Piece(piece);
      next.push({ piece, block });
    }
    this.last = next;
    return next.map((n) => n.block);
  }

  /** The plain body. */
  static async text(blocks: Piece[]): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const b of blocks) parts.push(await b.utf8());
    return Buffer.concat(parts);
  }

  /** One gzip member of the blocks' bytes; only blocks never compressed before are compressed (off the event loop). */
  static async gzip(blocks: Piece[]): Promise<Buffer> {
    if (!crc32) return gzipWhole(await BlockStore.text(blocks));
    // One piece at a time: each deflate holds its own window and hash tables (some 256 KiB) until
    // it ends, and a body of a thousand workspaces has over a hundred pieces to compress.
    const deflated: Buffer[] = [];
    for (const b of blocks) deflated.push(await b.deflated());
    let crc = 0;
    let length = 0;
    for (const b of blocks) {
      crc = crc32Combine(crc, b.crc, b.length);
      length += b.length;
    }
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(length % 2 ** 32, 4);
    return Buffer.concat([GZIP_HEADER, ...deflated, FINAL_BLOCK, trailer]);
  }
}

/** The CRC-32 polynomial, reflected. */
const POLY = 0xedb88320;

/** a(x) * b(x) modulo the CRC polynomial (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 1 << 31;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^n) modulo the polynomial, n = 0..31. */
const X2N: number[] = [1 << 30];
for (let n = 1; n < 32; n++) X2N.push(multModP(X2N[n - 1]!, X2N[n - 1]!));

/** x^(n * 2^k) modulo the polynomial (zlib's x2nmodp). */
function x2nModP(n: number, k: number): number {
  let p = 1 << 31;
  while (n) {
    if (n & 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC of A followed by B from the CRCs of both and B's length (zlib's crc32_combine): no byte read twice. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA) ^ crcB) >>> 0;
}
