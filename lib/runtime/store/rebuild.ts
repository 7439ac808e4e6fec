/**
 * `store rebuild`: re-derive every mission_runs and step_logs row from the journals (the source
 * of truth), for a store that was lost, moved aside, corrupted or switched to another back end.
 * The approval queue is kept: its decisions and deferrals are the store's own.
 */
import { join } from 'node:path';
import { runRows, type RunRows } from '../../core/store-rows.ts';
import { bundlePath } from '../bundle.ts';
import { JOURNAL_FILE, readJournal } from '../journal.ts';
import { runFolders } from '../run-folders.ts';
import { resolveRunPaths, type RunPaths } from '../run-paths.ts';
import type { StateStore } from './state-store.ts';

export interface RebuildReport {
  journals: number;
  runs: number;
  steps: number;
  /** Journals that do not verify: their readable entries were indexed; check them with `verify`. */
  unverified: Array<{ journal: string; errors: number }>;
}

export function rebuildStore(store: StateStore, options: { repoRoot: string; paths?: Partial<RunPaths> }): RebuildReport {
  const paths = resolveRunPaths(options.paths);
  const all: RunRows[] = [];
  const unverified: RebuildReport['unverified'] = [];
  const folders = runFolders(options.repoRoot, paths);
  for (const folder of folders) {
    const relativeFolder = `${paths.journals}/${folder}`;
    const { entries, verification } = readJournal(join(options.repoRoot, relativeFolder, JOURNAL_FILE), `sha256:${folder}`);
    if (!verification.ok) unverified.push({ journal: `${relativeFolder}/${JOURNAL_FILE}`, errors: verification.errors.length });
    all.push(...runRows(entries, (attempt) => bundlePath(relativeFolder, attempt)));
  }
  store.replaceRuns(all);
  return { journals: folders.length, runs: all.length, steps: all.reduce((n, rows) => n + rows.steps.length, 0), unverified };
}
