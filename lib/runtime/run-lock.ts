/**
 * The single-run lock (spec §5.6.2): `.lifeos_run_lock` in the repository root, holding the run
 * id, pid, process start time, host and mission type.
 *
 * The lock is created atomically with its content: the content is written to a temporary file
 * and hard-linked to the lock name, and link(2) fails if the name exists (like O_EXCL), so of
 * any number of racing processes exactly one wins and no one ever reads a half-written lock. A
 * holder is alive only if its pid is alive on this host with the same start time (a reused pid
 * is a dead holder). A dead holder's lock is broken under a second, short-lived lock, after
 * checking that it is still the same dead lock, so two processes cannot both break it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { RunLockCorrupt, RunLockHeld, type RunLockInfo } from '../core/run-errors.ts';

export type { RunLockInfo };


export type LockProbe = { state: 'free' } | { state: 'alive'; holder: RunLockInfo; detail: string } | { state: 'dead'; holder: RunLockInfo; detail: string };

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

/** Read the lock file; undefined if there is none. Throws RunLockCorrupt if it is not a lock. */
export function readRunLock(path: string): RunLockInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new RunLockCorrupt(path, `cannot be read: ${code ?? (error as Error).message}`);
  }
  let info: Partial<RunLockInfo>;
  try {
    info = JSON.parse(text) as Partial<RunLockInfo>;
  } catch {
    throw new RunLockCorrupt(path, `not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof info.run_id !== 'string' || !Number.isSafeInteger(info.pid) || typeof info.host !== 'string') {
    throw new RunLockCorrupt(path, 'run_id, pid or host is missing');
  }
  return info as RunLockInfo;
}

/** Whether the lock is free, held by a live process, or left by a dead one. */
export function probeRunLock(path: string): LockProbe {
  const holder = readRunLock(path);
  if (!holder) return { state: 'free' };
  if (holder.host !== hostname()) return { state: 'alive', holder, detail: `held from another host (${holder.host}); it cannot be checked from here` };
  if (!pidAlive(holder.pid)) return { state: 'dead', holder, detail: `process ${holder.pid} is not running` };
  const start = processStart(holder.pid);
  if (holder.process_start !== null && start !== null && start !== holder.process_start) {
    return { state: 'dead', holder, detail: `pid ${holder.pid} now belongs to another process (start ${start}, lock says ${holder.process_start})` };
  }
  return { state: 'alive', holder, detail: 'that process is still running' };
}

/** Create `path` holding `content`, failing with EEXIST if it exists. */
function createExclusive(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const fd = openSync(temporary, 'wx');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
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
 * Take the lock for `info`. Returns `{ acquired: true }`, or `{ acquired: false, stale }` when a
 * dead run holds it (the caller recovers that run, then calls `breakStaleLock`). Throws
 * RunLockHeld for a live holder, RunLockCorrupt for an unreadable lock file.
 */
export function acquireRunLock(path: string, info: Omit<RunLockInfo, 'pid' | 'process_start' | 'host'>): { acquired: true; info: RunLockInfo } | { acquired: false; stale: RunLockInfo; detail: string } {
  const full: RunLockInfo = { ...info, pid: process.pid, process_start: processStart(process.pid), host: hostname() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      createExclusive(path, `${JSON.stringify(full, null, 2)}\n`);
      return { acquired: true, info: full };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const probe = probeRunLock(path);
    if (probe.state === 'alive') throw new RunLockHeld(path, probe.holder, probe.detail);
    if (probe.state === 'dead') return { acquired: false, stale: probe.holder, detail: probe.detail };
    // Released between our attempt and the probe: try again.
  }
  throw new Error(`could not take the run lock ${path}: it kept changing hands`);
}

/**
 * Remove a dead holder's lock, if it is still exactly `stale`. Returns false when someone else
 * broke it first or another run now holds it.
 */
export function breakStaleLock(path: string, stale: RunLockInfo): boolean {
  const breaker = `${path}.break`;
  try {
    createExclusive(breaker, `${JSON.stringify({ pid: process.pid, process_start: processStart(process.pid), host: hostname() })}\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    clearDeadBreaker(breaker);
    return false;
  }
  try {
    const current = readRunLock(path);
    if (!current || JSON.stringify(current) !== JSON.stringify(stale)) return false;
    unlinkSync(path);
    return true;
  } finally {
    unlinkSync(breaker);
  }
}

/** A breaker that died mid-break would block every later break: remove it if its process is gone. */
function clearDeadBreaker(breaker: string): void {
  try {
    const holder = JSON.parse(readFileSync(breaker, 'utf8')) as { pid: number; host: string };
    if (holder.host === hostname() && !pidAlive(holder.pid)) unlinkSync(breaker);
  } catch {
    // Gone already, or being written: leave it.
  }
}

/** Release the lock if `runId` holds it; a lock held by another run is left alone. */
export function releaseRunLock(path: string, runId: string): boolean {
  const current = readRunLock(path);
  if (!current || current.run_id !== runId || current.pid !== process.pid) return false;
  unlinkSync(path);
  return true;
}
