/**
 * The state of a git repository as data (receipts, spec §5.2 / Appendix A.3), and putting a
 * repository back into a recorded state (rollback, crash recovery).
 *
 * A snapshot is HEAD, the branch HEAD points at, the index as a tree, and the working tree
 * (tracked and untracked files, ignored ones left out) as a tree, written with a throw-away
 * index. Git trees frame paths, modes and contents unambiguously, and their objects stay in the
 * repository, so a recorded state can be restored byte for byte after a crash. The engine's own
 * files (run-paths.ts) are left out of both trees. Git is run with execFile, never a shell.
 */
import { copyFileSync, lstatSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { hashCanonical, type Sha256 } from '../core/canonical.ts';
import { git, GitError, gitMaybe, gitPath } from '../tools/run-git.ts';
import { cleanExcludes, DEFAULT_RUN_PATHS, engineFiles, excludePathspecs, type RunPaths } from './run-paths.ts';

export { git, GitError };

export interface RepoSnapshot {
  /** Commit HEAD resolves to; null on an unborn branch. */
  head: string | null;
  /** `refs/heads/<branch>` HEAD points at; null when detached. */
  ref: string | null;
  index_tree: string;
  worktree_tree: string;
  /**
   * Every branch (`refs/heads/...`) and the commit it points at: a rollback puts back a branch
   * a run created or moved (the steward's `lifeos/<task>`), so no stray branch blocks a re-run.
   * Absent in snapshots journaled before branches were recorded.
   */
  branches?: Record<string, string>;
  /** The ref prefix `branches` covers, when not every branch (RunPaths.branches): only these are put back. */
  branch_scope?: string;
}

/** The repository's top-level folder, or a GitError if `path` is not in a work tree. */
export function repoTopLevel(path: string): string {
  return git(path, ['rev-parse', '--show-toplevel']).trim();
}

/** The repository's git folder (absolute). */
export function gitDir(repoRoot: string): string {
  const dir = git(repoRoot, ['rev-parse', '--git-dir']).trim();
  return isAbsolute(dir) ? dir : join(repoRoot, dir);
}

/** Work-tree files over this size are left out of snapshots unread (hashing a 4 GB file would stall the run) and refused by the diff gate. */
export const MAX_WORKTREE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Take a snapshot of the repository's state. Files too large to hash (MAX_WORKTREE_FILE_BYTES)
 * are left out, and listed in `report.oversize` when a report is given.
 */
export function snapshotRepo(repoRoot: string, paths: RunPaths, report?: { oversize: string[] }): RepoSnapshot {
  const ref = gitMaybe(repoRoot, ['symbolic-ref', '-q', 'HEAD']);
  const scope = paths.branches;
  const branches = branchTips(repoRoot, scope);
  // On a branch, HEAD is that branch's tip (none yet: unborn); detached, or on a branch outside the scope, git is asked.
  const head = ref && ref in branches ? (branches[ref] as string) : gitMaybe(repoRoot, ['rev-parse', '--verify', '-q', 'HEAD']);
  const indexTree = git(repoRoot, ['write-tree']).trim();
  const scratch = mkdtempSync(join(tmpdir(), 'lifeos-index-'));
  try {
    const index = join(scratch, 'index');
    // Start from a copy of the real index, so git can reuse its cached file stats. The copy keeps
    // the index's mtime: git's racy-entry check compares entries with it, and a fresh mtime would
    // make a same-size edit within the second of the last index write look unchanged.
    try {
      const real = gitPath(repoRoot, 'index');
      copyFileSync(real, index);
      const { atime, mtime } = statSync(real);
      utimesSync(index, atime, mtime);
    } catch {
      // No index yet (a new repository): start empty.
    }
    const env = { GIT_INDEX_FILE: index };
    // One listing serves both: flags cleared in the copy, files too large to hash left out.
    const entries = listEntries(repoRoot, env, paths);
    clearEntryFlags(repoRoot, env, entries);
    const oversize = oversizeFiles(repoRoot, entries);
    if (report) report.oversize = oversize;
    addAll(repoRoot, [...addExcludes(repoRoot, paths), ...oversize.map((path) => `:(exclude,literal)${path}`)], env);
    const worktreeTree = git(repoRoot, ['write-tree'], env).trim();
    return { head, ref, index_tree: indexTree, worktree_tree: worktreeTree, branches, ...(scope === DEFAULT_RUN_PATHS.branches ? {} : { branch_scope: scope }) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `git add -A` into the scratch index. A nested repository without a commit cannot be added
 * (git fails on it): it is left out, like an ignored folder, and the rest is snapshotted.
 */
function addAll(repoRoot: string, excludes: string[], env: NodeJS.ProcessEnv): void {
  for (let tries = 0; ; tries++) {
    try {
      // Names git refuses on Windows or macOS (GIT~1, .GIT/x) must still be snapshotted, so the diff gate sees them.
      git(repoRoot, ['-c', 'core.protectNTFS=false', '-c', 'core.protectHFS=false', 'add', '-A', '--', '.', ...excludes], env);
      return;
    } catch (error) {
      const nested = error instanceof GitError ? /'(.+?)\/?' does not have a commit checked out/.exec(error.stderr)?.[1] : undefined;
      if (!nested || tries >= 50) throw error;
      excludes = [...excludes, `:(exclude,literal)${nested}`];
    }
  }
}

/** The index's entries with ls-files' tags (`H a`, `h a`, `S a`, `? b`, `C c`), untracked and modified files included. */
function listEntries(repoRoot: string, env: NodeJS.ProcessEnv, paths: RunPaths): string[] {
  return git(repoRoot, ['ls-files', '-v', '-z', '--cached', '--others', '--modified', '--exclude-standard', '--', '.', ...excludePathspecs(paths)], env).split('\0').filter(Boolean);
}

/**
 * assume-unchanged and skip-worktree entries would make `git add` skip a file (or fail), and
 * `read-tree` leave it unwritten: their flags are cleared. Tags: a lower-case letter is
 * assume-unchanged, S (or s) skip-worktree; update-index applies one such flag per call.
 */
function clearEntryFlags(repoRoot: string, env: NodeJS.ProcessEnv, entries: readonly string[]): void {
  const clear = (flag: string, test: RegExp): void => {
    const flagged = entries.filter((entry) => test.test(entry)).map((entry) => entry.slice(2));
    if (flagged.length > 0) git(repoRoot, ['update-index', '-q', flag, '-z', '--stdin'], env, `${[...new Set(flagged)].join('\0')}\0`);
  };
  clear('--no-assume-unchanged', /^[a-z] /);
  clear('--no-skip-worktree', /^[Ss] /);
}

/** Untracked (`?`) or modified (`C`) files over the size limit, found by lstat, never read. */
function oversizeFiles(repoRoot: string, entries: readonly string[]): string[] {
  const candidates = new Set(entries.filter((entry) => /^[?C] /.test(entry)).map((entry) => entry.slice(2)));
  return [...candidates].filter((path) => {
    try {
      const stat = lstatSync(join(repoRoot, path));
      return stat.isFile() && stat.size > MAX_WORKTREE_FILE_BYTES;
    } catch {
      return false;
    }
  });
}

/**
 * The exclude pathspecs for `git add`, less those git ignores already: `git add` refuses any
 * pathspec that reaches into an ignored folder, exclusions included (a repository that ignores
 * `logs/` would otherwise fail every snapshot).
 */
function addExcludes(repoRoot: string, paths: RunPaths): string[] {
  const candidates = engineFiles(paths);
  let ignored: Set<string>;
  try {
    ignored = new Set(git(repoRoot, ['check-ignore', '--', ...candidates.map((c) => c.path)]).split('\n'));
  } catch (error) {
    // Exit 1: none of them is ignored.
    if (!(error instanceof GitError) || error.stderr.trim() !== '') throw error;
    ignored = new Set();
  }
  return candidates.filter((c) => !ignored.has(c.path)).map((c) => c.pathspec);
}

/** The state hash recorded in receipts: sha256 of the snapshot's canonical JSON. */
export function stateHash(snapshot: RepoSnapshot): Sha256 {
  return hashCanonical(snapshot);
}

/** Paths (relative, `/`-separated) that differ between the working trees of two snapshots. */
export function changedPaths(repoRoot: string, from: RepoSnapshot, to: RepoSnapshot): string[] {
  return changedEntries(repoRoot, from, to).map((entry) => entry.path);
}

/** A path that differs between two snapshots, with git's status letter (A added, M modified, D deleted, T type changed). */
export interface ChangedEntry {
  path: string;
  deleted: boolean;
  status: string;
}

/**
 * The paths that differ between two snapshots' work trees (or, with `tree: 'index_tree'`, their
 * indexes); a rename is a delete and an add.
 */
export function changedEntries(repoRoot: string, from: RepoSnapshot, to: RepoSnapshot, tree: 'worktree_tree' | 'index_tree' = 'worktree_tree'): ChangedEntry[] {
  if (from[tree] === to[tree]) return [];
  const fields = git(repoRoot, ['diff-tree', '-r', '--name-status', '-z', '--no-renames', from[tree], to[tree]]).split('\0').filter(Boolean);
  const entries: ChangedEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) entries.push({ path: fields[i + 1] as string, deleted: fields[i] === 'D', status: fields[i] as string });
  return entries;
}

/** Branch name (`refs/heads/...`) -> commit, for the branches under `scope` (default: all). */
export function branchTips(repoRoot: string, scope: string = DEFAULT_RUN_PATHS.branches): Record<string, string> {
  const tips: Record<string, string> = {};
  for (const line of git(repoRoot, ['for-each-ref', '--format=%(refname) %(objectname)', scope]).split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space > 0) tips[line.slice(0, space)] = line.slice(space + 1);
  }
  return tips;
}

/**
 * Put HEAD (and the branch it names) back where the snapshot had them, and, when it recorded
 * them, every branch: one the snapshot did not have is deleted, a moved one is set back.
 */
export function restoreRefs(repoRoot: string, target: RepoSnapshot): void {
  if (target.ref) {
    git(repoRoot, ['symbolic-ref', 'HEAD', target.ref]);
    if (target.head) git(repoRoot, ['update-ref', target.ref, target.head]);
    else if (gitMaybe(repoRoot, ['rev-parse', '--verify', '-q', target.ref])) git(repoRoot, ['update-ref', '-d', target.ref]);
  } else if (target.head) {
    git(repoRoot, ['update-ref', '--no-deref', 'HEAD', target.head]);
  }
  // After HEAD is back: a branch it pointed at can then be deleted.
  if (target.branches) {
    const now = branchTips(repoRoot, target.branch_scope);
    for (const [name, tip] of Object.entries(target.branches)) if (now[name] !== tip) git(repoRoot, ['update-ref', name, tip]);
    for (const name of Object.keys(now)) if (!(name in target.branches) && name !== target.ref) git(repoRoot, ['update-ref', '-d', name]);
  }
}

/**
 * Put the working tree and the index back as the snapshot had them: files the snapshot had
 * are rewritten, files it did not have are removed (ignored files and the engine's own files are
 * left alone), then the index is reset to the recorded index tree.
 */
export function restoreFiles(repoRoot: string, target: RepoSnapshot, paths: RunPaths): void {
  clearEntryFlags(repoRoot, {}, listEntries(repoRoot, {}, paths));
  git(repoRoot, ['read-tree', '--reset', '-u', target.worktree_tree]);
  cleanUntracked(repoRoot, paths);
  git(repoRoot, ['read-tree', target.index_tree]);
}

/** `git clean -fd`: remove untracked, not ignored files and folders, the engine's own files excepted. */
export function cleanUntracked(repoRoot: string, paths: RunPaths): void {
  git(repoRoot, ['clean', '-fdq', ...cleanExcludes(paths).flatMap((pattern) => ['-e', pattern])]);
}

/** Refs, working tree and index back to the snapshot. */
export function restoreRepo(repoRoot: string, target: RepoSnapshot, paths: RunPaths): void {
  restoreRefs(repoRoot, target);
  restoreFiles(repoRoot, target, paths);
}

/** A unified diff between two snapshots' working trees (binary-safe), for evidence. */
export function snapshotDiff(repoRoot: string, from: RepoSnapshot, to: RepoSnapshot): string {
  if (from.worktree_tree === to.worktree_tree) return '';
  return git(repoRoot, ['diff', '--binary', '--no-color', '--no-textconv', '--no-ext-diff', from.worktree_tree, to.worktree_tree]);
}
