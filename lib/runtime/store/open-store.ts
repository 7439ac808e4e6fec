/**
 * Which state store a repository uses: `<store folder>/state.sqlite` if it exists (or the sqlite
 * back end is asked for), else `<store folder>/state.json` (lowdb, the default). The store
 * folder is `.lifeos/` unless `paths.store` moves it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireEngineFolders } from '../engine-folders.ts';
import { resolveRunPaths, type RunPaths } from '../run-paths.ts';
import { LowdbStore } from './lowdb-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { StateStore, StoreBackend } from './state-store.ts';

export interface OpenStoreOptions {
  /** The repository's top-level folder. */
  repoRoot: string;
  /** Default: the sqlite file if it exists, else lowdb. */
  backend?: StoreBackend;
  paths?: Partial<RunPaths>;
}

export const STORE_FILES: Readonly<Record<StoreBackend, string>> = { lowdb: 'state.json', sqlite: 'state.sqlite' };

export function openStateStore(options: OpenStoreOptions): StateStore {
  const paths = resolveRunPaths(options.paths);
  requireEngineFolders(options.repoRoot, paths);
  const folder = join(options.repoRoot, paths.store);
  const backend = options.backend ?? (existsSync(join(folder, STORE_FILES.sqlite)) ? 'sqlite' : 'lowdb');
  const path = join(folder, STORE_FILES[backend]);
  return backend === 'sqlite' ? new SqliteStore(path) : new LowdbStore(path);
}
