/** A piece of a body: its text, its length and CRC in bytes, its deflate blocks once asked for, and then, if packable, nothing else. */
import { promisify } from "node:util";
import * as zlib from "node:zlib";

const deflateRaw = promisify(zlib.deflateRaw);
const inflateRaw = promisify(zlib.inflateRaw);

/**
 * Each piece is deflated on its own and ends with a sync flush: byte-aligned, not final, no
 * back-reference to earlier pieces, so pieces laid end to end make one deflate stream (gzip-blocks.ts).
 * Inflating such bytes alone reads to the flush point and stops there.
 */
const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

export const crc32 = (zlib as { crc32?: (data: Buffer | string, value?: number) => number }).crc32;

export class Piece {
  /** Bytes of the text in UTF-8. */
  readonly length: number;
  readonly crc: number;
  private live: string | undefined;
  private bytes?: Buffer;
  private deflating?: Promise<Buffer>;

  /**
   * `packable`: once deflated, the piece keeps only the deflate bytes and inflates its text when
   * read again. A fleet's groups of workspaces' lines are most of a body and are read again
   * only when a poll changes them, while scrapers ask for gzip: the text would sit in the heap
   * beside its compressed copy (16 MB of it for 2 500 workspaces) for nothing.
   */
  constructor(
    text: string,
    private readonly packable = false,
  ) {
    this.live = text;
    this.length = Buffer.byteLength(text);
    this.crc = crc32 ? crc32(text) : 0;
  }

  /** The text: as given, or inflated back from the deflate bytes (the caller holds it only as long as it needs it). */
  text(): string {
    return this.live ?? zlib.inflateRawSync(this.bytes!, SYNC).toString();
  }

  /** The text's bytes in UTF-8, for a plain body: a packed piece is inflated off the event loop, the whole body at once would hold it too long. */
  utf8(): Promise<Buffer> {
    return this.live !== undefined ? Promise.resolve(Buffer.from(this.live)) : inflateRaw(this.bytes!, SYNC);
  }

  /** The piece's deflate blocks, compressed once (off the event loop). */
  deflated(): Promise<Buffer> {
    return (this.deflating ??= deflateRaw(this.live!, SYNC).then((out) => {
      const bytes = exact(out);
      this.bytes = bytes;
      if (this.packable) this.live = undefined;
      return bytes;
    }));
  }

  /** Whether the deflate blocks were asked for (tests). */
  get compressing(): boolean {
    return this.deflating !== undefined;
  }

  /** Whether the text is held only compressed (tests). */
  get packed(): boolean {
    return this.live === undefined;
  }
}

/**
 * The bytes in memory of their own size. zlib writes into 16 KiB chunks and hands back a slice of
 * the chunk when the output fits in one, so a piece of a few hundred bytes kept for minutes would
 * keep 16 KiB alive: 6.2 MiB held for 1.1 MiB of deflate bytes at 2 500 workspaces.
 */
function exact(bytes: Buffer): Buffer {
  if (bytes.byteLength === bytes.buffer.byteLength) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.byteLength);
  bytes.copy(copy);
  return copy;
}

/** What a body is made of: pieces rendered for this body (strings) and pieces kept from earlier ones. */
export type BodyPiece = string | Piece;

export const textOf = (piece: BodyPiece): string => (typeof piece === "string" ? piece : piece.text());

export const isEmpty = (piece: BodyPiece): boolean => piece === "" || (piece instanceof Piece && piece.length === 0);
