/**
 * `git status` does not show a change to a file marked assume-unchanged or skip-worktree, so
 * the clean-tree check alone would let a run start over it, and the rollback, which clears the
 * marks to restore the index, would then show it. Those files are compared with the index here:
 * one that differs (or is gone from the work tree) is a change the run must not start over.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../tools/run-git.ts';
import { excludePathspecs, type RunPaths } from './run-paths.ts';

/** `path (hidden by skip-worktree: modified)` for each marked file whose content is not the index's. */
export function hiddenChanges(repoRoot: string, paths: RunPaths): string[] {
  const scope = ['--', '.', ...excludePathspecs(paths)];
  const marked = git(repoRoot, ['ls-files', '-v', '-z', ...scope])
    .split('\0')
    .filter((entry) => /^([a-z]|S) /.test(entry))
    .map((entry) => ({ path: entry.slice(2), mark: entry[0] === 'S' || entry[0] === 's' ? 'skip-worktree' : 'assume-unchanged' }));
  if (marked.length === 0) return [];
  const blobs = new Map(
    git(repoRoot, ['ls-files', '-s', '-z', '--', ...marked.map((m) => `:(literal)${m.path}`)])
      .split('\0')
      .filter(Boolean)
      .map((line) => [line.slice(line.indexOf('\t') + 1), line.split(' ')[1] as string]),
  );
  return marked.flatMap(({ path, mark }) => {
    const state = changeOf(repoRoot, path, blobs.get(path));
    if (state === 'deleted' && mark === 'skip-worktree') return [`${path} (not checked out: a sparse checkout; missions need a full one, since a rollback puts the index back without the skip-worktree marks)`];
    return state ? [`${path} (hidden by ${mark}: ${state})`] : [];
  });
}

function changeOf(repoRoot: string, path: string, blob: string | undefined): string | undefined {
  const full = join(repoRoot, path);
  const stat = lstatSync(full, { throwIfNoEntry: false });
  if (!stat) return 'deleted';
  const hash = stat.isSymbolicLink() ? git(repoRoot, ['hash-object', '--stdin'], undefined, readlinkSync(full)).trim() : stat.isFile() ? git(repoRoot, ['hash-object', '--', path]).trim() : undefined;
  return hash === blob ? undefined : 'modified';
}
