/**
 * A private copy of a repository for a replay (replayMission): a clone at a commit, or at HEAD
 * with the work tree's changes (tracked and untracked files, ignored ones left out) committed on
 * top. A test that replays fixtures from inside the repository it tests then runs the mission in
 * a clean repository of its own: the uncommitted test file and fixtures are part of the copy's
 * commit, and nothing the run writes (journals, commits, branches) reaches the original.
 *
 * The overlay commit's author, committer and date are fixed (the base commit's date), so the
 * same work tree gives the same commit, and with it the same run id, on every replay.
 */
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { git, gitMaybe } from '../tools/run-git.ts';
import { excludePathspecs, type RunPaths } from './run-paths.ts';

export interface PrivateCopy {
  root: string;
  /** The commit the copy stands at. */
  commit: string;
  remove(): void;
}

const IDENTITY = { GIT_AUTHOR_NAME: 'lifeos-mission replay', GIT_AUTHOR_EMAIL: 'replay@lifeos-mission.invalid', GIT_COMMITTER_NAME: 'lifeos-mission replay', GIT_COMMITTER_EMAIL: 'replay@lifeos-mission.invalid' };

/** Copy `source` (any folder inside a work tree) at `commit`, or at HEAD plus its work tree when no commit is given. */
export function privateCopy(source: string, paths: RunPaths, commit?: string): PrivateCopy {
  const top = git(source, ['rev-parse', '--show-toplevel']).trim();
  const base = gitMaybe(top, ['rev-parse', '--verify', '-q', `${commit ?? 'HEAD'}^{commit}`]);
  if (!base) throw new Error(commit ? `${commit} is not a commit of ${top}` : `${top} has no commit yet: commit the mission's repository before replaying it`);
  const root = mkdtempSync(join(tmpdir(), 'lifeos-replay-'));
  const remove = (): void => rmSync(root, { recursive: true, force: true });
  try {
    // The engine's git allows no transport; this clone reads the user's own repository.
    git(tmpdir(), ['-c', 'protocol.file.allow=always', 'clone', '-q', '--no-checkout', '--local', top, root]);
    const branch = gitMaybe(top, ['symbolic-ref', '--short', '-q', 'HEAD']) ?? 'main';
    git(root, ['checkout', '-q', '-B', branch, base]);
    git(root, ['config', 'user.name', IDENTITY.GIT_AUTHOR_NAME]);
    git(root, ['config', 'user.email', IDENTITY.GIT_AUTHOR_EMAIL]);
    git(root, ['config', 'commit.gpgsign', 'false']);
    if (!commit) overlayWorkTree(top, root, base, paths);
    return { root, commit: git(root, ['rev-parse', 'HEAD']).trim(), remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The work tree of `top` as it is, committed in the copy on top of `base` when it differs. The
 * engine's files (fixtures in logs/agent_calls/cache) are copied but not committed: the engine
 * leaves them out of every snapshot, so they are not part of the code a run sees.
 */
function overlayWorkTree(top: string, root: string, base: string, paths: RunPaths): void {
  const listed = (args: string[]): string[] => git(top, ['ls-files', '-z', ...args]).split('\0').filter(Boolean);
  for (const path of listed(['--cached', '--others', '--exclude-standard'])) copyEntry(join(top, path), join(root, path));
  for (const path of listed(['--deleted'])) rmSync(join(root, path), { force: true });
  git(root, ['add', '-A', '--', '.', ...excludePathspecs(paths)]);
  if (git(root, ['diff', '--cached', '--name-only']).trim() === '') return;
  const date = git(top, ['show', '-s', '--format=%cI', base]).trim();
  git(root, ['commit', '-q', '--no-verify', '-m', 'replay: the work tree as it was', '--date', date], { ...IDENTITY, GIT_COMMITTER_DATE: date });
}

function copyEntry(from: string, to: string): void {
  let stat;
  try {
    stat = lstatSync(from);
  } catch {
    return; // listed but gone (deleted in the work tree): --deleted removes it
  }
  if (stat.isDirectory()) return; // a submodule or an embedded repository: not copied
  mkdirSync(dirname(to), { recursive: true });
  rmSync(to, { force: true });
  if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else if (stat.isFile()) copyFileSync(from, to);
}
