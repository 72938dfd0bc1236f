/** Reads config and secret files: regular files only, up to a size cap, never blocking on a FIFO or a device. */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";

/** A file that is not read at all: it is not a regular file, or it is too large. */
class FileRefused extends Error {
  override readonly name = "FileRefused";
}

/**
 * The file's text, read synchronously: it is small by then. The type is checked before opening
 * (opening a FIFO waits for a writer) and again after (the path may have changed in between;
 * O_NONBLOCK keeps that open from waiting). Symbolic links are followed, as Kubernetes mounts
 * secrets through them.
 */
export function readBoundedFile(path: string, maxBytes: number): string {
  check(statSync(path), maxBytes);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    check(fstatSync(fd), maxBytes);
    // One byte more than allowed tells a file that grew past the cap since its stat.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw new FileRefused(`larger than ${maxBytes} bytes`);
    return buffer.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}

function check(stats: Stats, maxBytes: number): void {
  if (stats.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  if (!stats.isFile()) throw new FileRefused(`not a regular file (${kind(stats)})`);
  if (stats.size > maxBytes) throw new FileRefused(`larger than ${maxBytes} bytes`);
}

function kind(stats: Stats): string {
  if (stats.isFIFO()) return "a named pipe";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a file";
}
