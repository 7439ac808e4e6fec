/**
 * Lock-file primitives shared by the run lock (run-lock.ts) and the state store's mutex
 * (store/file-mutex.ts): a file created atomically with its content, the identity of the
 * process that holds it, whether that process is still alive, and breaking a dead holder's
 * lock so that two processes can never both break it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who holds a lock: enough to tell a live holder from a dead one, or a reused pid. */
export interface LockHolder {
  pid: number;
  /** Boot id and start tick of the process (Linux); null where the platform does not tell. */
  process_start: string | null;
  host: string;
}

/** This process, as a lock holder. */
export function currentHolder(): LockHolder {
  return { pid: process.pid, process_start: processStart(process.pid), host: hostname() };
}

/** Start identity of a process: `<boot id>:<start tick>` from /proc, or null. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields after the command name, which may hold spaces, start at 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${boot}:${fields[19]}`;
  } catch {
    return null;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a holder is alive, with the reason; a holder on another host counts as alive (it cannot be checked). */
export function holderLiveness(holder: LockHolder): { alive: boolean; detail: string } {
  if (holder.host !== hostname()) return { alive: true, detail: `held from another host (${holder.host}); it cannot be checked from here` };
  if (!pidAlive(holder.pid)) return { alive: false, detail: `process ${holder.pid} is not running` };
  const start = processStart(holder.pid);
  if (holder.process_start !== null && start !== null && start !== holder.process_start) {
    return { alive: false, detail: `pid ${holder.pid} now belongs to another process (start ${start}, lock says ${holder.process_start})` };
  }
  return { alive: true, detail: 'that process is still running' };
}

/**
 * Create `path` holding `content`, failing with EEXIST if it exists. The content goes to a
 * temporary file that is hard-linked to the name, and link(2) fails if the name exists (like
 * O_EXCL), so of any number of racing processes exactly one wins and no one ever reads a
 * half-written lock. `durable: false` skips the fsync, for a lock that matters only while its
 * holder lives (a crash leaves a dead holder's lock, which is broken anyway).
 */
export function createExclusive(path: string, content: string, durable = true): void {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const fd = openSync(temporary, 'wx');
  try {
    writeSync(fd, content);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Remove a dead holder's lock if it still holds exactly `staleText`, under a second short-lived
 * lock (`<path>.break`) so that two processes cannot both break it and one then delete the
 * other's fresh lock. Returns false when someone else broke it first or it changed hands.
 */
export function breakIfUnchanged(path: string, staleText: string): boolean {
  const breaker = `${path}.break`;
  try {
    createExclusive(breaker, `${JSON.stringify(currentHolder())}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    clearDeadBreaker(breaker);
    return false;
  }
  try {
    let current: string;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      return false;
    }
    if (current !== staleText) return false;
    unlinkSync(path);
    return true;
  } finally {
    unlinkSync(breaker);
  }
}

/** A breaker that died mid-break would block every later break: remove it if its process is gone. */
function clearDeadBreaker(breaker: string): void {
  try {
    const holder = JSON.parse(readFileSync(breaker, 'utf8')) as LockHolder;
    if (!holderLiveness(holder).alive) unlinkSync(breaker);
  } catch {
    // Gone already, or being written: leave it.
  }
}

/** A lock's holder; undefined when there is no lock (released meanwhile), `holder` undefined when it is unreadable. */
export function readLockHolder(path: string): { holder: LockHolder | undefined; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
    return { holder: Number.isSafeInteger(holder.pid) && typeof holder.host === 'string' ? (holder as LockHolder) : undefined, text };
  } catch {
    return { holder: undefined, text };
  }
}

/**
 * One try at the lock at `path`: taken, or not, with who holds it. A dead holder's lock is
 * broken on the way, and `retry` then says to try again at once.
 */
export function tryLock(path: string, text: string): { taken: true } | { taken: false; retry: boolean; detail: string } {
  try {
    createExclusive(path, text, false);
    return { taken: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const held = readLockHolder(path);
  if (!held) return { taken: false, retry: true, detail: 'released meanwhile' };
  if (!held.holder) return { taken: false, retry: false, detail: `it is not a lock file: ${JSON.stringify(held.text.slice(0, 80))}` };
  const { alive, detail } = holderLiveness(held.holder);
  if (!alive) {
    breakIfUnchanged(path, held.text);
    return { taken: false, retry: true, detail };
  }
  return { taken: false, retry: false, detail: `by pid ${held.holder.pid} on ${held.holder.host}: ${detail}` };
}
