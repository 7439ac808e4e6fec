/**
 * A cross-process mutex for the state store's short read-modify-write sections: a lock file
 * beside the store, created atomically, removed when the section ends. A waiter polls with a
 * short sleep; a lock left by a dead process is broken at once (not after a timeout), and a
 * live holder that keeps it longer than `timeoutMs` makes the waiter fail with StoreBusy.
 */
import { unlinkSync } from 'node:fs';
import { currentHolder, tryLock } from '../lock-file.ts';

/** Another process has held the store lock for longer than the wait allows. */
export class StoreBusy extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`state store lock ${path} is held (${detail}); if no lifeos-mission process is running, delete it`);
    this.name = 'StoreBusy';
  }
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));

function sleep(ms: number): void {
  Atomics.wait(SLEEP, 0, 0, ms);
}

/** Run `body` while holding the lock at `path`; the lock is released however `body` ends. */
export function withFileMutex<T>(path: string, body: () => T, timeoutMs = 10_000): T {
  const text = `${JSON.stringify({ ...currentHolder(), acquired_at: new Date().toISOString() })}\n`;
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const tried = tryLock(path, text);
    if (tried.taken) break;
    if (tried.retry) continue;
    if (Date.now() > deadline) throw new StoreBusy(path, tried.detail);
    // Jittered, growing sleeps: waiters spread out instead of retrying in step.
    sleep(Math.min(1 + round, 20) * (0.5 + Math.random()));
  }
  try {
    return body();
  } finally {
    unlinkSync(path);
  }
}
