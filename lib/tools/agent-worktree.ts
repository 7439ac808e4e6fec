/**
 * The coding agent's tree and what is taken back from it (DESIGN.md "An external builder ...").
 *
 * The agent gets a standalone repository in a scratch folder: its own `.git` (objects borrowed
 * read-only from the target repository through `objects/info/alternates`), checked out at the
 * target's current state and committed there as the base. Nothing the agent does to that git
 * (commits, config, hooks, refs) reaches the target repository.
 *
 * What it changed is read by the engine's own git folder beside it (never the agent's `.git`,
 * whose config the agent controls): the work tree as the agent left it, committed or not, against
 * the base tree. Before git reads anything, the tree is walked with lstat: FIFOs, sockets and
 * devices, hard-linked files and files over the size limit are refused (never opened); symlinks
 * and nested repositories the agent made are refused from git's modes. Content is then read with
 * O_NOFOLLOW | O_NONBLOCK and must hash to the blob git recorded, so what was checked is what is
 * applied.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPlainFile } from '../governance/plain-file.ts';
import { git, gitMaybe, gitPath } from './run-git.ts';

/** The largest file an agent may leave (bigger ones are refused, never read). */
export const MAX_AGENT_FILE_BYTES = 16 * 1024 * 1024;

const BASE_IDENTITY = { GIT_AUTHOR_NAME: 'lifeos-mission', GIT_AUTHOR_EMAIL: 'builder@lifeos-mission.invalid', GIT_COMMITTER_NAME: 'lifeos-mission', GIT_COMMITTER_EMAIL: 'builder@lifeos-mission.invalid', GIT_AUTHOR_DATE: '1970-01-01T00:00:00Z', GIT_COMMITTER_DATE: '1970-01-01T00:00:00Z' };

export interface AgentTree {
  worktree: string;
  /** The engine's git folder for reading the agent's work (not the agent's). */
  inspectDir: string;
  baseTree: string;
  scratch: string;
  /** The target repository's object folder the trees borrow from (read-only to the agent). */
  objects: string;
}

export interface AgentChange {
  path: string;
  deleted: boolean;
  /** Git's blob id of the new content (null when deleted). */
  blob: string | null;
  mode: string;
}

/** A file the agent left that is refused, and why. */
export interface RefusedEntry {
  path: string;
  reason: string;
}

/**
 * Make the agent's tree in `scratch`: the target repository's current state (HEAD plus its
 * uncommitted and untracked, not ignored files, the engine's own files left out).
 */
export function prepareAgentTree(repoRoot: string, scratch: string, excludePathspecs: readonly string[]): AgentTree {
  const objects = gitPath(repoRoot, 'objects');
  const baseTree = currentTree(repoRoot, scratch, excludePathspecs);
  const worktree = join(scratch, 'worktree');
  const inspectDir = join(scratch, 'inspect.git');
  mkdirSync(worktree);
  for (const [dir, bare] of [[join(worktree, '.git'), false], [inspectDir, true]] as const) {
    git(scratch, ['init', '--quiet', ...(bare ? ['--bare', dir] : [worktree])]);
    writeFileSync(join(dir, 'objects', 'info', 'alternates'), `${objects}\n`);
  }
  // The target's own ignore list too: a file it ignores through .git/info/exclude is not taken from the agent.
  const exclude = gitPath(repoRoot, 'info/exclude');
  if (existsSync(exclude)) copyFileSync(exclude, join(inspectDir, 'info', 'exclude'));
  const head = gitMaybe(repoRoot, ['rev-parse', '--verify', '-q', 'HEAD']);
  const base = git(worktree, ['commit-tree', baseTree, ...(head ? ['-p', head] : []), '-m', 'lifeos: build base'], BASE_IDENTITY).trim();
  git(worktree, ['update-ref', 'HEAD', base]);
  git(worktree, ['read-tree', '--reset', '-u', 'HEAD']);
  return { worktree, inspectDir, baseTree, scratch, objects };
}

/** Special files, hard links and oversized files anywhere in the agent's tree (its `.git` aside): refused before git reads the tree. */
export function refusedEntries(worktree: string): RefusedEntry[] {
  const refused: RefusedEntry[] = [];
  const visit = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && name === '.git') continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const stat = lstatSync(join(dir, name));
      if (stat.isDirectory()) visit(join(dir, name), path);
      else if (stat.isFIFO() || stat.isSocket() || stat.isCharacterDevice() || stat.isBlockDevice()) refused.push({ path, reason: 'a FIFO, socket or device' });
      else if (stat.isFile() && stat.nlink > 1) refused.push({ path, reason: `a hard link (${stat.nlink} links): its content may be a file outside the tree` });
      else if (stat.isFile() && stat.size > MAX_AGENT_FILE_BYTES) refused.push({ path, reason: `${stat.size} bytes, over the ${MAX_AGENT_FILE_BYTES}-byte limit` });
    }
  };
  visit(worktree, '');
  return refused;
}

/** What the agent changed against the base: every path, committed by the agent or not, with git's mode and blob. */
export function agentChanges(tree: AgentTree): AgentChange[] {
  const env = { GIT_INDEX_FILE: join(tree.scratch, 'inspect.index') };
  const inspect = ['--git-dir', tree.inspectDir, '--work-tree', tree.worktree];
  // From the base, so a tracked file that matches .gitignore is compared, not taken as deleted.
  git(tree.scratch, ['--git-dir', tree.inspectDir, 'read-tree', tree.baseTree], env);
  git(tree.scratch, [...inspect, 'add', '--all', '--', '.'], env);
  const finalTree = git(tree.scratch, [...inspect, 'write-tree'], env).trim();
  const raw = git(tree.scratch, ['--git-dir', tree.inspectDir, 'diff-tree', '-r', '-z', '--no-renames', '--raw', tree.baseTree, finalTree]).split('\0');
  const changes: AgentChange[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // ":<old mode> <new mode> <old sha> <new sha> <status>"
    const [, newMode, , newSha, status] = (raw[i] as string).slice(1).split(' ');
    const deleted = status === 'D';
    changes.push({ path: raw[i + 1] as string, deleted, blob: deleted ? null : (newSha as string), mode: newMode as string });
  }
  return changes;
}

/** Why a change cannot be applied as a plain file (a symlink or nested repository), or undefined. */
export function unsafeMode(change: AgentChange): string | undefined {
  if (change.deleted) return undefined;
  if (change.mode === '120000') return 'a symlink (links are refused, never followed)';
  if (change.mode === '160000') return 'a nested git repository';
  return undefined;
}

/** The content of a changed file, read without following links, and checked against the blob git recorded. */
export function readChange(worktree: string, change: AgentChange): Buffer {
  const file = readPlainFile(join(worktree, change.path), MAX_AGENT_FILE_BYTES);
  if (!file || file.stat.nlink > 1) throw new Error(`${change.path} is no longer a plain file of at most ${MAX_AGENT_FILE_BYTES} bytes`);
  if (blobId(file.data) !== change.blob) throw new Error(`${change.path} changed after its content was checked`);
  return file.data;
}

function blobId(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** The target repository's current state as a tree (objects written to its own store), via a scratch index. */
function currentTree(repoRoot: string, scratch: string, excludePathspecs: readonly string[]): string {
  const env = { GIT_INDEX_FILE: join(scratch, 'base.index') };
  if (gitMaybe(repoRoot, ['rev-parse', '--verify', '-q', 'HEAD^{tree}'])) git(repoRoot, ['read-tree', 'HEAD'], env);
  const files = git(repoRoot, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate', '--', '.', ...excludePathspecs]);
  if (files !== '') git(repoRoot, ['update-index', '--add', '--remove', '-z', '--stdin'], env, files);
  return git(repoRoot, ['write-tree'], env).trim();
}
