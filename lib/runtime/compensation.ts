/**
 * Undoing one operation (Appendix A.4 CompensationType): each type maps to a fixed sequence of
 * git or file-system actions, bound to the state recorded before the operation (so
 * `git_reset_soft` goes back to the recorded HEAD, not to whatever `HEAD~1` is now). There is
 * no free-form command. After compensating, the state is hashed again: the compensation is
 * verified only if that hash equals the operation's pre-state hash.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import type { CompensationType } from '../core/compensation.ts';
import { changedPaths, cleanUntracked, git, restoreFiles, restoreRefs, snapshotRepo, stateHash, type RepoSnapshot } from './git-state.ts';
import { excludePathspecs, type RunPaths } from './run-paths.ts';

export interface CompensationInput {
  repoRoot: string;
  paths: RunPaths;
  type: CompensationType;
  /** The repository state recorded before the operation. */
  pre: RepoSnapshot;
  /** For `custom`: the handler's own undo. */
  custom?: () => Promise<void> | void;
}

export interface CompensationOutcome {
  compensation_verified: boolean;
  post_compensation_state_hash: Sha256;
}

/** Run the compensation for `type`, then re-hash the state and compare it with the pre-state. */
export async function compensate(input: CompensationInput): Promise<CompensationOutcome> {
  const { repoRoot, paths, pre } = input;
  switch (input.type) {
    case 'none':
      break;
    case 'git_checkout':
      git(repoRoot, ['checkout', '-q', '--', '.', ...excludePathspecs(paths)]);
      break;
    case 'git_reset_head':
      git(repoRoot, ['read-tree', pre.index_tree]);
      break;
    case 'git_reset_soft':
      restoreRefs(repoRoot, pre);
      break;
    case 'git_reset_hard':
      restoreRefs(repoRoot, pre);
      git(repoRoot, ['reset', '-q', '--hard']);
      break;
    case 'git_clean':
      cleanUntracked(repoRoot, paths);
      break;
    case 'fs_delete':
      deleteAddedFiles(repoRoot, paths, pre);
      break;
    case 'fs_restore':
      restoreFiles(repoRoot, pre, paths);
      break;
    case 'custom':
      if (!input.custom) throw new Error('compensation "custom" needs the operation handler\'s compensate()');
      await input.custom();
      break;
  }
  const after = stateHash(snapshotRepo(repoRoot, paths));
  return { compensation_verified: after === stateHash(pre), post_compensation_state_hash: after };
}

/** fs_delete: remove the files that exist now but did not before the operation. */
function deleteAddedFiles(repoRoot: string, paths: RunPaths, pre: RepoSnapshot): void {
  const now = snapshotRepo(repoRoot, paths);
  const before = new Set(git(repoRoot, ['ls-tree', '-r', '--name-only', '-z', pre.worktree_tree]).split('\0'));
  for (const path of changedPaths(repoRoot, pre, now)) {
    if (!before.has(path)) rmSync(join(repoRoot, path), { force: true });
  }
  // A file that was untracked before and is staged now would otherwise stay staged.
  git(repoRoot, ['read-tree', pre.index_tree]);
}
