/**
 * Each backlog task runs in a git worktree of its own, cut from the base branch (detached at its
 * tip), under the state store folder: `.lifeos/worktrees/<task slug>/`. So tasks never stack on
 * each other, a task paused for the CEO keeps its tree (and its run, resumable there) while the
 * next one runs, and the main checkout is never touched. The worktree is kept after its run:
 * a parked task is resumed in it, a committed one is where its evidence (journal, bundle) lives.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunPreconditionFailed } from '../../core/run-errors.ts';
import { git, GitError, gitMaybe } from '../../tools/run-git.ts';
import type { RunPaths } from '../run-paths.ts';

export interface TaskWorktree {
  path: string;
  /** False when the task's worktree was there already (a parked or earlier task). */
  created: boolean;
}

/** Where the task's worktree is, relative to the repository. */
export function worktreeFolder(paths: RunPaths, slug: string): string {
  return `${paths.store}/worktrees/${slug}`;
}

/** The task's worktree, made at the base branch's tip if it is not there yet. */
export function taskWorktree(repoRoot: string, paths: RunPaths, slug: string, base: string): TaskWorktree {
  const path = join(repoRoot, worktreeFolder(paths, slug));
  if (existsSync(join(path, '.git'))) return { path, created: false };
  git(repoRoot, ['worktree', 'add', '--quiet', '--detach', path, `refs/heads/${base}`]);
  return { path, created: true };
}

/** The branch the main checkout is on: tasks are cut from it unless another is named. */
export function currentBranch(repoRoot: string): string {
  const ref = gitMaybe(repoRoot, ['symbolic-ref', '--quiet', '--short', 'HEAD'])?.trim();
  if (!ref) throw new RunPreconditionFailed(`${repoRoot} is not on a branch (detached HEAD): check out the branch tasks are cut from, or name it with --base`);
  return ref;
}

/** The base branch named, checked to exist. */
export function requireBranch(repoRoot: string, branch: string): string {
  if (gitMaybe(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]) === null) throw new RunPreconditionFailed(`there is no branch ${branch} in ${repoRoot} to cut tasks from`);
  return branch;
}

/** Whether `commit` is in the history of `branch` (the human merged it). */
export function mergedInto(repoRoot: string, commit: string, branch: string): boolean {
  try {
    git(repoRoot, ['merge-base', '--is-ancestor', commit, `refs/heads/${branch}`]);
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}
