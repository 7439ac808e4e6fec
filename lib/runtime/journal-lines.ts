/**
 * Reading a JSON-lines file (a journal, a call log, the anchor log) line by line in bounded
 * memory: a file of any size is read in fixed chunks, never as one string, so a 1 GB journal
 * verifies in the memory of its longest line.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

const CHUNK = 4 * 1024 * 1024;
const MIN_BUFFER = 4096;
/** No line the engine writes comes near this; a longer one is not a journal line (and would not fit in a string). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;
const LF = 0x0a;

/** The file cannot be read as lines: not a regular file (a FIFO, a device), or a line beyond MAX_LINE_BYTES. */
export class UnreadableLines extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'UnreadableLines';
  }
}

/** What the reader saw at the end of the file. */
export interface LinesRead {
  /** The file did not end with LF: its last line is unfinished (a torn write). */
  tornTail: boolean;
  bytes: number;
}

/**
 * Open a regular file for reading, with its size; null when it does not exist. A FIFO would
 * block the open itself and a device never end: anything but a regular file (checked before
 * the open, and again on what was opened) is UnreadableLines.
 */
function openRegularFile(path: string): { fd: number; size: number } | null {
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw new UnreadableLines(path, 'not a regular file');
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new UnreadableLines(path, 'not a regular file');
  }
  return { fd, size: stat.size };
}

/**
 * Call `onChunk(bytes, end, utf8)` with the file's content in order, a run of whole lines at a
 * time: bytes[0, end) ends with LF. `utf8` is true when that run is valid UTF-8 (checked once per
 * chunk). The bytes are only valid during the call (the caller may change them in place, as long
 * as it puts them back). A missing file is an empty one.
 */
export function readChunks(path: string, onChunk: (bytes: Buffer, end: number, utf8: boolean) => void): LinesRead {
  const opened = openRegularFile(path);
  if (!opened) return { tornTail: false, bytes: 0 };
  const { fd, size } = opened;
  // A small file gets a buffer of its size (one byte over, so the read that finds the end does
  // not grow it): the queue reads a thousand short journals, and allocating (and collecting) a
  // 4 MiB chunk for each was a third of its time. It still grows if the file does meanwhile.
  let buffer: Buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(MIN_BUFFER, size + 1)));
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      if (filled === buffer.length) {
        if (buffer.length >= MAX_LINE_BYTES) throw new UnreadableLines(path, `a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB at byte ${total - filled}: not a journal line`);
        buffer = grow(buffer);
      }
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (read === 0) break;
      total += read;
      const from = filled;
      filled += read;
      const lastLf = buffer.lastIndexOf(LF, filled - 1);
      if (lastLf < from) continue;
      const end = lastLf + 1;
      onChunk(buffer, end, isUtf8(buffer.subarray(0, end)));
      buffer.copy(buffer, 0, end, filled);
      filled -= end;
    }
  } finally {
    closeSync(fd);
  }
  return { tornTail: filled > 0, bytes: total };
}

/** `readChunks`, one line at a time: `onLine(bytes, start, end, utf8)` with `end` at the line's LF. */
export function readLines(path: string, onLine: (bytes: Buffer, start: number, end: number, utf8: boolean) => void): LinesRead {
  return readChunks(path, (bytes, end, utf8) => {
    let start = 0;
    for (let lf = bytes.indexOf(LF, 0); lf !== -1 && lf < end; lf = bytes.indexOf(LF, start)) {
      onLine(bytes, start, lf, utf8);
      start = lf + 1;
    }
  });
}

/**
 * The file's whole lines from the last to the first, `onLine(bytes, start, end)` with `end` at
 * the line's LF, until it returns true: what is read is what the caller needs from the end (the
 * approval queue reads a paused run's last few entries, whatever the journal's length). An
 * unfinished last line (a torn write) is left out. Blocks are read from the end; a line is
 * carried across them up to MAX_LINE_BYTES. A missing file has no lines.
 */
export function readLinesBackward(path: string, onLine: (bytes: Buffer, start: number, end: number) => boolean): void {
  const opened = openRegularFile(path);
  if (!opened) return;
  const { fd } = opened;
  try {
    let position = opened.size;
    // bytes[0, end) is read and not yet handed out, and ends with an LF; end is 0 until the
    // first LF from the end is found (what follows it is an unfinished line).
    let bytes = Buffer.alloc(0);
    let end = 0;
    for (;;) {
      const lf = end >= 2 ? bytes.lastIndexOf(LF, end - 2) : -1;
      if (lf !== -1) {
        if (onLine(bytes, lf + 1, end - 1)) return;
        end = lf + 1;
        continue;
      }
      // The line ending at end - 1 starts before what was read: at the file's start, or further back.
      if (position === 0) {
        if (end > 0) onLine(bytes, 0, end - 1);
        return;
      }
      if (bytes.length > MAX_LINE_BYTES) throw new UnreadableLines(path, `a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB: not a journal line`);
      const size = Math.min(BACKWARD_BLOCK, position);
      position -= size;
      const block = Buffer.allocUnsafe(size);
      readSync(fd, block, 0, size, position);
      if (end > 0) {
        bytes = Buffer.concat([block, bytes.subarray(0, end)]);
        end += size;
      } else {
        bytes = Buffer.concat([block, bytes]);
        end = bytes.lastIndexOf(LF) + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const BACKWARD_BLOCK = 16 * 1024;

/** Evidence files read whole (bundles, call logs) are bounded: a bundle past this is not one this engine wrote. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Read a whole evidence file, refusing what is not a regular file (a FIFO would block, a device
 * never end) or is larger than MAX_FILE_BYTES, with UnreadableLines naming the file.
 */
export function readEvidenceFile(path: string): Buffer {
  const stat = statSync(path);
  if (!stat.isFile()) throw new UnreadableLines(path, 'not a regular file');
  if (stat.size > MAX_FILE_BYTES) throw new UnreadableLines(path, `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new UnreadableLines(path, 'not a regular file');
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function grow(buffer: Buffer): Buffer {
  // Capped, so a buffer that started at a file's size still stops at exactly MAX_LINE_BYTES.
  const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_LINE_BYTES));
  buffer.copy(larger);
  return larger;
}
