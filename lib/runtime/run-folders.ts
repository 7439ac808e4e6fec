/**
 * Runs on disk: each run's journal folder is its run id without `sha256:`, under the journals
 * folder. Run ids are long, so people may give a unique prefix, as git takes commits.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { RunPaths } from './run-paths.ts';

/** The journal folders (one per run id) of the repository, sorted. */
export function runFolders(repoRoot: string, paths: RunPaths): string[] {
  const journals = join(repoRoot, paths.journals);
  return existsSync(journals) ? readdirSync(journals).filter((name) => /^[0-9a-f]{64}$/.test(name)).sort() : [];
}

/** A run id in full (`sha256:<hex>` or the bare hex) or a unique prefix of at least 6 hex digits. */
export function findRunId(repoRoot: string, paths: RunPaths, runId: string): Sha256 {
  const hex = runId.startsWith('sha256:') ? runId.slice(7) : runId;
  if (!/^[0-9a-f]{6,64}$/.test(hex)) throw new RunPreconditionFailed(`"${runId}" is not a run id (sha256:<64 hex>, or at least 6 of its hex digits)`);
  if (hex.length === 64) return `sha256:${hex}`;
  const matches = runFolders(repoRoot, paths).filter((folder) => folder.startsWith(hex));
  if (matches.length === 1) return `sha256:${matches[0]}`;
  const where = join(repoRoot, paths.journals);
  if (matches.length === 0) throw new RunPreconditionFailed(`no run in ${where} starts with ${hex}`);
  throw new RunPreconditionFailed(`run id prefix ${hex} is ambiguous in ${where} (${matches.map((m) => m.slice(0, 12)).join(', ')}); give more digits`);
}
