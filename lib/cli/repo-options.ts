/**
 * The options every command that opens a repository shares: `--repo` and `--store`. Kept apart
 * from engine-options.ts so that the commands that only read (queue, status, store) do not load
 * the engine and the mission library to parse them.
 */
import { repoTopLevel } from '../runtime/git-state.ts';
import type { StoreBackend } from '../runtime/store/state-store.ts';
import { UsageError } from './io.ts';

/** `--repo DIR` (default: the current folder) as the repository's top-level folder. */
export function repositoryOption(value: string | undefined): string {
  try {
    return repoTopLevel(value ?? '.');
  } catch (error) {
    throw new UsageError(`${value ?? '.'} is not inside a git work tree (${(error as Error).message.trim()})`);
  }
}

/** `--store BACKEND`. */
export function storeBackend(value: string): StoreBackend {
  if (value !== 'lowdb' && value !== 'sqlite') throw new UsageError(`--store must be lowdb or sqlite; got "${value}"`);
  return value;
}
