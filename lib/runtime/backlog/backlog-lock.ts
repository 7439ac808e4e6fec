/**
 * One backlog loop per repository: two loops would start the same tasks, hit each other's run
 * locks and overwrite each other's outcomes. `.lifeos/backlog.lock` holds the loop's process; a
 * lock left by a dead process is broken (lock-file.ts), a live one refuses the second loop.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunPreconditionFailed } from '../../core/run-errors.ts';
import { breakIfUnchanged, createExclusive, currentHolder, holderLiveness, type LockHolder } from '../lock-file.ts';
import type { RunPaths } from '../run-paths.ts';

export async function withBacklogLock<T>(repoRoot: string, paths: RunPaths, body: () => Promise<T>): Promise<T> {
  const path = join(repoRoot, paths.store, 'backlog.lock');
  mkdirSync(dirname(path), { recursive: true });
  const text = `${JSON.stringify({ ...currentHolder(), acquired_at: new Date().toISOString() })}\n`;
  for (let tries = 0; ; tries++) {
    try {
      createExclusive(path, text, false);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readHolder(path);
    const liveness = held ? holderLiveness(held.holder) : { alive: false, detail: 'unreadable' };
    if (liveness.alive || tries >= 3) throw new RunPreconditionFailed(`another backlog run holds ${path} (${held ? `pid ${held.holder.pid} on ${held.holder.host}: ` : ''}${liveness.detail}); wait for it to end, or stop it (the kill switch STOP_AUTONOMY stops it after the current steps)`);
    if (held) breakIfUnchanged(path, held.text);
    else unlinkSync(path);
  }
  try {
    return await body();
  } finally {
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // Gone already: nothing to release.
    }
  }
}

function readHolder(path: string): { text: string; holder: LockHolder } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' ? { text, holder } : undefined;
  } catch {
    return undefined;
  }
}
