/**
 * A cross-process mutex for the state store's short read-modify-write sections: a lock file
 * beside the store, created atomically, removed when the section ends. A waiter polls with a
 * short sleep; a lock left by a dead process is broken at once (not after a timeout), and a
 * live holder that keeps it longer than `timeoutMs` makes the waiter fail with StoreBusy.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { breakIfUnchanged, createExclusive, currentHolder, holderLiveness, type LockHolder } from '../lock-file.ts';

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
    try {
      createExclusive(path, text, false);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readHolder(path);
    if (held?.holder) {
      const { alive, detail } = holderLiveness(held.holder);
      if (!alive) {
        breakIfUnchanged(path, held.text);
        continue;
      }
      if (Date.now() > deadline) throw new StoreBusy(path, `by pid ${held.holder.pid} on ${held.holder.host}: ${detail}`);
    } else if (held && Date.now() > deadline) {
      throw new StoreBusy(path, `it is not a lock file: ${JSON.stringify(held.text.slice(0, 80))}`);
    }
    // Jittered, growing sleeps: waiters spread out instead of retrying in step.
    sleep(Math.min(1 + round, 20) * (0.5 + Math.random()));
  }
  try {
    return body();
  } finally {
    unlinkSync(path);
  }
}

/** The lock's holder; undefined when there is no lock (released meanwhile), `holder` undefined when it is unreadable. */
function readHolder(path: string): { holder: LockHolder | undefined; text: string } | undefined {
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
