/**
 * One backlog loop per repository: two loops would start the same tasks, hit each other's run
 * locks and overwrite each other's outcomes. `.lifeos/backlog.lock` holds the loop's process; a
 * lock left by a dead process is broken (lock-file.ts), a live one refuses the second loop.
 */
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunPreconditionFailed } from '../../core/run-errors.ts';
import { currentHolder, tryLock } from '../lock-file.ts';
import type { RunPaths } from '../run-paths.ts';

export async function withBacklogLock<T>(repoRoot: string, paths: RunPaths, body: () => Promise<T>): Promise<T> {
  const path = join(repoRoot, paths.store, 'backlog.lock');
  mkdirSync(dirname(path), { recursive: true });
  const text = `${JSON.stringify({ ...currentHolder(), acquired_at: new Date().toISOString() })}\n`;
  for (let tries = 0; ; tries++) {
    const tried = tryLock(path, text);
    if (tried.taken) break;
    if (!tried.retry || tries >= 3) throw new RunPreconditionFailed(`another backlog run holds ${path} (${tried.detail}); wait for it to end, or stop it (the kill switch STOP_AUTONOMY stops it after the current steps)`);
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
