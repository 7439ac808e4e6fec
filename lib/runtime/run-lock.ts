/**
 * The single-run lock (spec §5.6.2): `.lifeos_run_lock` in the repository root, holding the run
 * id, pid, process start time, host and mission type.
 *
 * The lock is created atomically with its content (lock-file.ts), so of any number of racing
 * processes exactly one wins. A holder is alive only if its pid is alive on this host with the
 * same start time (a reused pid is a dead holder). A dead holder's lock is broken only while it
 * is still the same dead lock, under a second lock, so two processes cannot both break it.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { canonicalJson } from '../core/canonical.ts';
import { RunLockCorrupt, RunLockHeld, type RunLockInfo } from '../core/run-errors.ts';
import { breakIfUnchanged, createExclusive, currentHolder, holderLiveness } from './lock-file.ts';

export type { RunLockInfo };
export { processStart } from './lock-file.ts';

export type LockProbe = { state: 'free' } | { state: 'alive'; holder: RunLockInfo; detail: string } | { state: 'dead'; holder: RunLockInfo; detail: string };

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
  return parseRunLock(path, text);
}

function parseRunLock(path: string, text: string): RunLockInfo {
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

/** What a lock's signature covers: every field but the signature. */
export function lockPayload(info: RunLockInfo): string {
  const { signature: _signature, ...fields } = info;
  return canonicalJson({ lock: fields, signed: 'lifeos-mission/run-lock-signature/v1' });
}

/** Whether the lock is free, held by a live process, or left by a dead one. */
export function probeRunLock(path: string): LockProbe {
  const holder = readRunLock(path);
  if (!holder) return { state: 'free' };
  const { alive, detail } = holderLiveness(holder);
  return { state: alive ? 'alive' : 'dead', holder, detail };
}

/**
 * Take the lock for `info`. Returns `{ acquired: true }`, or `{ acquired: false, stale }` when a
 * dead run holds it (the caller recovers that run, then calls `breakStaleLock`). Throws
 * RunLockHeld for a live holder, RunLockCorrupt for an unreadable lock file.
 */
export function acquireRunLock(
  path: string,
  info: Omit<RunLockInfo, 'pid' | 'process_start' | 'host' | 'signature'>,
  sign?: (payload: string) => NonNullable<RunLockInfo['signature']>,
): { acquired: true; info: RunLockInfo } | { acquired: false; stale: RunLockInfo; detail: string } {
  const holder: RunLockInfo = { ...info, ...currentHolder() };
  const full: RunLockInfo = sign ? { ...holder, signature: sign(lockPayload(holder)) } : holder;
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    if (JSON.stringify(parseRunLock(path, text)) !== JSON.stringify(stale)) return false;
  } catch {
    return false;
  }
  return breakIfUnchanged(path, text);
}

/** Release the lock if `runId` holds it; a lock held by another run is left alone. */
export function releaseRunLock(path: string, runId: string): boolean {
  const current = readRunLock(path);
  if (!current || current.run_id !== runId || current.pid !== process.pid) return false;
  unlinkSync(path);
  return true;
}
