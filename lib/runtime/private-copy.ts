/**
 * A private copy of a repository for a replay (replayMission): a clone at a commit, or at HEAD
 * with the work tree's changes (tracked and untracked files, staged deletions and renames;
 * ignored files, the engine's files and files too large for a snapshot left out) committed on
 * top, and the repository's fixtures as they are in its work tree. A test that replays fixtures from inside the repository it tests then runs the mission in
 * a clean repository of its own: the uncommitted test file and fixtures are part of the copy's
 * commit, and nothing the run writes (journals, commits, branches) reaches the original.
 *
 * The overlay commit's author, committer and date are fixed (the base commit's date), so the
 * same work tree gives the same commit, and with it the same run id, on every replay.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gitMaybe } from '../tools/run-git.ts';
import { requireEngineFolders } from './engine-folders.ts';
import { snapshotRepo } from './git-state.ts';
import type { RunPaths } from './run-paths.ts';

export interface PrivateCopy {
  root: string;
  /** The real path of the repository copied (its top level). */
  source: string;
  /** The commit the copy stands at. */
  commit: string;
  remove(): void;
}

const IDENTITY = { GIT_AUTHOR_NAME: 'lifeos-mission replay', GIT_AUTHOR_EMAIL: 'replay@lifeos-mission.invalid', GIT_COMMITTER_NAME: 'lifeos-mission replay', GIT_COMMITTER_EMAIL: 'replay@lifeos-mission.invalid' };

/** Copy `source` (any folder inside a work tree) at `commit`, or at HEAD plus its work tree when no commit is given. */
export function privateCopy(source: string, paths: RunPaths, commit?: string): PrivateCopy {
  const top = realpathSync(git(source, ['rev-parse', '--show-toplevel']).trim());
  const base = gitMaybe(top, ['rev-parse', '--verify', '-q', `${commit ?? 'HEAD'}^{commit}`]);
  if (!base) throw new Error(commit ? `${commit} is not a commit of ${top}` : `${top} has no commit yet: commit the mission's repository before replaying it`);
  // The work tree as a tree, written into the repository's objects before the clone copies them:
  // git reads it (every name as bytes, nothing followed through a link), the engine's files and
  // ignored files left out, as every snapshot of a run does.
  const workTree = commit ? undefined : snapshotRepo(top, paths).worktree_tree;
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'lifeos-replay-')));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  try {
    // The engine's git allows no transport; this clone reads the user's own repository.
    git(tmpdir(), ['-c', 'protocol.file.allow=always', 'clone', '-q', '--no-checkout', '--local', top, root]);
    const branch = gitMaybe(top, ['symbolic-ref', '--short', '-q', 'HEAD']) ?? 'main';
    git(root, ['checkout', '-q', '-B', branch, base]);
    git(root, ['config', 'user.name', IDENTITY.GIT_AUTHOR_NAME]);
    git(root, ['config', 'user.email', IDENTITY.GIT_AUTHOR_EMAIL]);
    git(root, ['config', 'commit.gpgsign', 'false']);
    if (workTree) commitWorkTree(top, root, base, workTree);
    // A committed symlink at logs/ (or below) would take the fixtures outside the copy.
    requireEngineFolders(root, paths);
    copyFixtures(join(top, paths.agentCalls, 'cache'), join(root, paths.agentCalls, 'cache'));
    return { root, source: top, commit: git(root, ['rev-parse', 'HEAD']).trim(), remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** The work tree's tree, checked out and committed in the copy on top of `base` when it differs. */
function commitWorkTree(top: string, root: string, base: string, tree: string): void {
  if (git(root, ['rev-parse', `${base}^{tree}`]).trim() === tree) return;
  git(root, ['read-tree', '--reset', '-u', tree]);
  const date = git(top, ['show', '-s', '--format=%cI', base]).trim();
  git(root, ['commit', '-q', '--no-verify', '-m', 'replay: the work tree as it was', '--date', date], { ...IDENTITY, GIT_COMMITTER_DATE: date });
}

/**
 * The repository's fixtures as they are in its work tree, committed or not (at any commit: they
 * are what the replay answers from, not code it runs). Regular files only, never through a link.
 */
function copyFixtures(from: string, to: string): void {
  let names: string[];
  try {
    if (!lstatSync(from).isDirectory()) return;
    names = readdirSync(from);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith('.yaml'))) {
    const file = join(from, name);
    if (!lstatSync(file).isFile()) continue;
    mkdirSync(to, { recursive: true });
    const target = join(to, name);
    if (existsSync(target) && !lstatSync(target).isFile()) continue;
    copyFileSync(file, target);
  }
}
