/**
 * Each backlog task runs in a git worktree of its own, cut from the base branch (detached at its
 * tip), under the state store folder: `.lifeos/worktrees/<task slug>/`. So tasks never stack on
 * each other, a task paused for the CEO keeps its tree (and its run, resumable there) while the
 * next one runs, and the main checkout is never touched. The worktree is kept after its run:
 * a parked task is resumed in it, a committed one is where its evidence (journal, bundle) lives.
 */
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { BACKLOG_FILE } from '../../core/backlog.ts';
import { RunPreconditionFailed } from '../../core/run-errors.ts';
import { git, GitError, gitMaybe } from '../../tools/run-git.ts';
import { notRealFolder } from '../engine-folders.ts';
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

/**
 * The task's worktree, made at the base branch's tip if it is not there yet; with `reset`, an
 * existing one is moved back to that tip (a task tried again after it failed starts from the
 * base as it is now).
 */
export function taskWorktree(repoRoot: string, paths: RunPaths, slug: string, base: string, reset = false): TaskWorktree {
  const folder = worktreeFolder(paths, slug);
  requireRealFolders(repoRoot, folder);
  const path = join(repoRoot, folder);
  if (existsSync(path)) {
    requireRegistered(repoRoot, path);
    if (reset) git(path, ['checkout', '--quiet', '--detach', `refs/heads/${base}`]);
    return { path, created: false };
  }
  git(repoRoot, ['worktree', 'add', '--quiet', '--detach', path, `refs/heads/${base}`]);
  return { path, created: true };
}

/** The worktree of a task the loop ran, checked as taskWorktree checks it; refused when it is gone. */
export function existingTaskWorktree(repoRoot: string, paths: RunPaths, slug: string): string {
  const folder = worktreeFolder(paths, slug);
  requireRealFolders(repoRoot, folder);
  const path = join(repoRoot, folder);
  if (!existsSync(path)) throw new RunPreconditionFailed(`the task's worktree ${folder} is gone, and its run with it; remove the task from .lifeos/backlog.json (or reword it) to run it again`);
  requireRegistered(repoRoot, path);
  return path;
}

/**
 * Every folder on the way to the worktree is a real folder: a symlink there (committed in the
 * repository, say `.lifeos/worktrees/<task> -> ../..`) would run the task in whatever it names,
 * the main checkout included.
 */
function requireRealFolders(repoRoot: string, folder: string): void {
  const bad = notRealFolder(repoRoot, folder);
  if (bad) throw new RunPreconditionFailed(`${bad.at} is ${bad.symlink ? 'a symlink' : 'not a folder'}, where the backlog keeps its task worktrees; remove it (the loop makes the folders itself)`);
}

/** The folder is a worktree git knows for this repository, and not its main checkout. */
function requireRegistered(repoRoot: string, path: string): void {
  const real = realpathSync(path);
  const listed = git(repoRoot, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
  if (real === realpathSync(repoRoot) || listed[0] === real || !listed.includes(real)) {
    throw new RunPreconditionFailed(`${path} is not a worktree the backlog made for this repository (git worktree list does not have it as one); remove it, and the loop makes it again`);
  }
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

/** BACKLOG.md as committed on `branch` (what each task's worktree holds), or null when it has none. */
export function committedBacklog(repoRoot: string, branch: string): string | null {
  // A symlink's blob is its target's name: read as a backlog it would list nothing, silently.
  const mode = gitMaybe(repoRoot, ['ls-tree', `refs/heads/${branch}`, '--', BACKLOG_FILE])?.split(' ')[0];
  if (mode === undefined) return null;
  if (mode !== '100644' && mode !== '100755') throw new RunPreconditionFailed(`${BACKLOG_FILE} in ${branch} is not a regular file (git mode ${mode}${mode === '120000' ? ': a symbolic link' : ''}); the steward ticks tasks in the file itself, so commit the backlog as a file`);
  return git(repoRoot, ['show', `refs/heads/${branch}:${BACKLOG_FILE}`]);
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
