/**
 * Runs on disk: each run's journal folder is its run id without `sha256:`, under the journals
 * folder. Run ids are long, so people may give a unique prefix, as git takes commits.
 *
 * A command that resolves many ids (the queue joins every row with its run) uses one
 * RunFolderIndex: the folder is listed once, when a prefix first needs it, and each prefix is a
 * binary search in the sorted names, so resolving n ids costs one listing, not n.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { RunPaths } from './run-paths.ts';

const RUN_FOLDER = /^[0-9a-f]{64}$/;

/** The journal folders (one per run id) of the repository, sorted. */
export function runFolders(repoRoot: string, paths: RunPaths): string[] {
  const journals = join(repoRoot, paths.journals);
  return existsSync(journals) ? readdirSync(journals).filter((name) => RUN_FOLDER.test(name)).sort() : [];
}

/** A run id in full (`sha256:<hex>` or the bare hex) or a unique prefix of at least 6 hex digits. */
export function findRunId(repoRoot: string, paths: RunPaths, runId: string): Sha256 {
  return new RunFolderIndex(repoRoot, paths).find(runId);
}

/**
 * The run folders of a repository as one command sees them: listed on the first prefix lookup
 * and kept, so a run made after that is not seen by this index (make a new one per command).
 */
export class RunFolderIndex {
  private folders: string[] | undefined;

  constructor(
    readonly repoRoot: string,
    readonly paths: RunPaths,
  ) {}

  /**
   * `runId` in full (`sha256:<hex>` or the bare hex; taken as given, without listing the folder)
   * or a unique prefix of at least 6 hex digits; RunPreconditionFailed when it is not a run id,
   * matches no run or more than one.
   */
  find(runId: string): Sha256 {
    const hex = runId.startsWith('sha256:') ? runId.slice(7) : runId;
    if (!/^[0-9a-f]{6,64}$/.test(hex)) throw new RunPreconditionFailed(`"${runId}" is not a run id (sha256:<64 hex>, or at least 6 of its hex digits)`);
    if (hex.length === 64) return `sha256:${hex}`;
    const matches = this.startingWith(hex);
    if (matches.length === 1) return `sha256:${matches[0]}`;
    const where = join(this.repoRoot, this.paths.journals);
    if (matches.length === 0) throw new RunPreconditionFailed(`no run in ${where} starts with ${hex}`);
    throw new RunPreconditionFailed(`run id prefix ${hex} is ambiguous in ${where} (${matches.map((m) => m.slice(0, 12)).join(', ')}); give more digits`);
  }

  /** The folders whose name starts with `hex`, in order. */
  private startingWith(hex: string): string[] {
    const folders = (this.folders ??= runFolders(this.repoRoot, this.paths));
    // The first name >= hex; the names starting with hex follow it, consecutively.
    let low = 0;
    let high = folders.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((folders[middle] as string) < hex) low = middle + 1;
      else high = middle;
    }
    const matches: string[] = [];
    for (let i = low; i < folders.length && (folders[i] as string).startsWith(hex); i++) matches.push(folders[i] as string);
    return matches;
  }
}
