/**
 * Reading a file someone else left, safely: opened without following a final symlink and
 * without blocking on a FIFO, then confirmed to be a regular file of at most `maxBytes` through
 * the open descriptor (so a swap after a check cannot change what is read).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The file's bytes and its stat, or null when it is not a regular file within the limit (or cannot be opened). */
export function readPlainFile(path: string, maxBytes: number): { data: Buffer; stat: Stats } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return null;
    const data = Buffer.alloc(stat.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { data: data.subarray(0, read), stat };
  } finally {
    closeSync(fd);
  }
}
