/**
 * Reading a JSON-lines file (a journal, a call log, the anchor log) line by line in bounded
 * memory: a file of any size is read in fixed chunks, never as one string, so a 1 GB journal
 * verifies in the memory of its longest line.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 4 * 1024 * 1024;
const LF = 0x0a;

/** What the reader saw at the end of the file. */
export interface LinesRead {
  /** The file did not end with LF: its last line is unfinished (a torn write). */
  tornTail: boolean;
  bytes: number;
}

/**
 * Call `onLine(bytes, start, end, utf8)` for each LF-terminated line of the file, in order
 * (`end` excludes the LF). `utf8` is true when the line is known to be valid UTF-8 (each chunk of
 * whole lines is checked once; only a chunk that fails is checked line by line). The bytes are
 * only valid during the call. A missing file is an empty one.
 */
export function readLines(path: string, onLine: (bytes: Buffer, start: number, end: number, utf8: boolean) => void): LinesRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tornTail: false, bytes: 0 };
    throw error;
  }
  let buffer: Buffer = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      if (filled === buffer.length) buffer = grow(buffer);
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read === 0) break;
      total += read;
      const from = filled;
      filled += read;
      const lastLf = buffer.lastIndexOf(LF, filled - 1);
      if (lastLf < from) continue;
      const wholeUtf8 = isUtf8(buffer.subarray(0, lastLf + 1));
      let start = 0;
      for (let end = buffer.indexOf(LF, 0); end !== -1 && end <= lastLf; end = buffer.indexOf(LF, start)) {
        onLine(buffer, start, end, wholeUtf8);
        start = end + 1;
      }
      buffer.copy(buffer, 0, start, filled);
      filled -= start;
    }
  } finally {
    closeSync(fd);
  }
  return { tornTail: filled > 0, bytes: total };
}

function grow(buffer: Buffer): Buffer {
  const larger = Buffer.allocUnsafe(buffer.length * 2);
  buffer.copy(larger);
  return larger;
}
