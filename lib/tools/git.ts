/**
 * The `git` tool (spec §5.2 tool_invoke, §5.3 steward). Git runs with an argument vector, paths
 * always after `--` and ref names checked with `git check-ref-format`, so no value can be read as
 * an option. Paths given to `add` and `commit` are checked against the envelopes in force first.
 *
 *   diff_stat  what changed against HEAD (untracked files included, the engine's files left out),
 *              with each path's blob id (`blobs`; null for a deleted file), so a review packet
 *              can bind the exact bytes the council reviewed
 *   status     the same list; expect_clean: true fails the step when anything is left
 *   branch     name: switch to the branch, creating it at HEAD if it does not exist (free text
 *              is made a ref name: lower case, runs of other characters become `-`)
 *   checkout   ref: switch to an existing branch or commit; or paths: restore them from HEAD
 *   add        paths: stage exactly these
 *   commit     message, author? ("Name <email>"), branch?, paths: commit exactly these paths
 *              (on `branch`, made first if given); fails if anything else would be committed;
 *              expected_blobs? ({ path: blob id | null }, a review packet's artifact_hashes):
 *              refuses to commit a staged file whose bytes are not the ones reviewed
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvelopeViolation } from '../core/governance-errors.ts';
import { git, gitMaybe } from './run-git.ts';
import { requireAccess, type ToolContext } from './tool.ts';

/** Who commits when the repository has no identity configured (author defaults to it too). */
export const STEWARD_IDENTITY = { name: 'lifeos-mission steward', email: 'steward@lifeos-mission.invalid' };

export interface ChangedFile {
  path: string;
  /** Two-letter porcelain status (` M`, `??`, `A `, ` D` ...). */
  status: string;
}

/** Changed, added, deleted and untracked files against HEAD, the engine's files left out. */
export function changedFiles(context: ToolContext): ChangedFile[] {
  const out = git(context.repo_root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all', '--', '.', ...context.exclude_pathspecs]);
  return out
    .split('\0')
    .filter(Boolean)
    .map((field) => ({ status: field.slice(0, 2), path: field.slice(3) }));
}

export function diffStat(_params: Record<string, unknown>, context: ToolContext): { files: ChangedFile[]; paths: string[]; stat: string; blobs: Record<string, string | null> } {
  const files = changedFiles(context);
  const stat = files.map((file) => `${file.status} ${file.path}`).join('\n');
  return { files, paths: files.map((file) => file.path), stat, blobs: workTreeBlobs(context.repo_root, files) };
}

/** Each file's blob id as `git add` would store it (filters and attributes applied), through a scratch index; null for a deleted one. */
function workTreeBlobs(repoRoot: string, files: readonly ChangedFile[]): Record<string, string | null> {
  const blobs: Record<string, string | null> = {};
  const present = files.filter((file) => !file.status.includes('D')).map((file) => file.path);
  for (const file of files) blobs[file.path] = null;
  if (present.length === 0) return blobs;
  const scratch = mkdtempSync(join(tmpdir(), 'lifeos-blobs-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    git(repoRoot, ['update-index', '--add', '-z', '--stdin'], env, `${present.join('\0')}\0`);
    for (const [path, blob] of stagedBlobs(repoRoot, present, env)) blobs[path] = blob;
    return blobs;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Path -> blob id of what the index (or `env`'s index) holds for these paths. */
function stagedBlobs(repoRoot: string, paths: readonly string[], env?: NodeJS.ProcessEnv): Map<string, string> {
  const out = git(repoRoot, ['ls-files', '--stage', '-z', '--', ...paths.map((path) => `:(literal)${path}`)], env);
  const blobs = new Map<string, string>();
  for (const entry of out.split('\0').filter(Boolean)) {
    // "<mode> <blob> <stage>\t<path>"
    const tab = entry.indexOf('\t');
    blobs.set(entry.slice(tab + 1), entry.slice(0, tab).split(' ')[1] as string);
  }
  return blobs;
}

/** The staged content must be the reviewed content, path by path (a file changed after the review is refused). */
function requireReviewedBlobs(repoRoot: string, expected: unknown): void {
  if (expected === undefined || expected === null) return;
  if (typeof expected !== 'object' || Array.isArray(expected)) throw new TypeError('commit: expected_blobs must be a map of path to blob id (a review packet\'s artifact_hashes)');
  const entries = Object.entries(expected as Record<string, unknown>);
  const staged = stagedBlobs(repoRoot, entries.map(([path]) => path));
  const differ = entries.filter(([path, blob]) => (staged.get(path) ?? null) !== blob).map(([path, blob]) => `${path} (reviewed ${blob === null ? 'as deleted' : String(blob).slice(0, 12)}, staged ${staged.get(path)?.slice(0, 12) ?? 'nothing'})`);
  if (differ.length > 0) {
    throw new EnvelopeViolation(differ[0] as string, 'write', `commit: the staged content is not what the output review saw: ${differ.join(', ')}; nothing was committed`, { expected, staged: Object.fromEntries(staged) });
  }
}

export function status(params: Record<string, unknown>, context: ToolContext): { clean: boolean; files: ChangedFile[] } {
  const files = changedFiles(context);
  if (params.expect_clean === true && files.length > 0) {
    throw new Error(`the repository is not clean: ${files.map((f) => `${f.status.trim()} ${f.path}`).join(', ')}; these files were changed but not committed`);
  }
  return { clean: files.length === 0, files };
}

export function branch(params: Record<string, unknown>, context: ToolContext): { branch: string; created: boolean } {
  const name = branchName(params.name, context);
  const created = switchTo(name, context);
  return { branch: name, created };
}

export function checkout(params: Record<string, unknown>, context: ToolContext): { ref?: string; restored?: string[] } {
  if (params.paths !== undefined) {
    const paths = checkedPaths(params.paths, context);
    git(context.repo_root, ['checkout', 'HEAD', '--', ...paths]);
    return { restored: paths };
  }
  const ref = String(params.ref ?? '');
  git(context.repo_root, ['check-ref-format', '--allow-onelevel', `refs/heads/${ref}`]);
  if (ref.startsWith('-')) throw new Error(`checkout: "${ref}" is not a ref name`);
  git(context.repo_root, ['checkout', '--quiet', ref, '--']);
  return { ref };
}

export function add(params: Record<string, unknown>, context: ToolContext): { staged: string[] } {
  const paths = checkedPaths(params.paths, context);
  if (paths.length > 0) git(context.repo_root, ['add', '--all', '--', ...paths]);
  return { staged: paths };
}

export function commit(params: Record<string, unknown>, context: ToolContext): { commit_hash: string; branch: string; files: string[] } {
  const message = typeof params.message === 'string' ? params.message.trim() : '';
  if (message === '') throw new TypeError('commit: message must be a non-empty string');
  const paths = checkedPaths(params.paths, context);
  if (paths.length === 0) throw new Error('commit: paths is empty; there is nothing to commit');
  if (params.branch !== undefined) switchTo(branchName(params.branch, context), context);
  // Stage exactly these paths as they are now, then commit the index as checked (a pathspec on
  // `git commit` would take the work tree's content, which could change after the check).
  git(context.repo_root, ['add', '--all', '--', ...paths.map((path) => `:(literal)${path}`)]);
  const staged = git(context.repo_root, ['diff', '--cached', '--name-only', '-z', '--no-renames']).split('\0').filter(Boolean);
  const extra = staged.filter((path) => !paths.includes(path));
  if (extra.length > 0) throw new Error(`commit: the index holds files outside the commit's paths: ${extra.join(', ')}; only the listed artifacts may be committed`);
  requireReviewedBlobs(context.repo_root, params.expected_blobs);
  const identity = committer(context.repo_root);
  const author = typeof params.author === 'string' && params.author.trim() !== '' ? params.author.trim() : `${identity.name} <${identity.email}>`;
  git(context.repo_root, ['commit', '--quiet', '--no-verify', `--author=${author}`, '-m', message], {
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  });
  const hash = git(context.repo_root, ['rev-parse', 'HEAD']).trim();
  const files = git(context.repo_root, ['diff-tree', '--no-commit-id', '--name-only', '-r', '-z', '--root', 'HEAD']).split('\0').filter(Boolean);
  const current = git(context.repo_root, ['rev-parse', '--abbrev-ref', 'HEAD']).trim();
  return { commit_hash: hash, branch: current, files };
}

/** The repository's configured committer, or the steward's identity. */
function committer(repoRoot: string): { name: string; email: string } {
  const read = (key: string): string | undefined => {
    try {
      return git(repoRoot, ['config', '--get', key]).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  return { name: read('user.name') ?? STEWARD_IDENTITY.name, email: read('user.email') ?? STEWARD_IDENTITY.email };
}

/**
 * Switch to `name` at HEAD, keeping the index and work tree; true if the branch was made. An
 * existing branch is moved up to HEAD only if that loses nothing (its tip is in HEAD's history);
 * otherwise the step fails and names it, since it holds commits this run knows nothing of.
 */
function switchTo(name: string, context: ToolContext): boolean {
  // A detached HEAD (a backlog task's worktree) has no branch yet: the commit makes one.
  const current = gitMaybe(context.repo_root, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (current === name) return false;
  let tip: string | undefined;
  try {
    tip = git(context.repo_root, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}`]).trim();
  } catch {
    tip = undefined;
  }
  if (tip !== undefined) {
    try {
      git(context.repo_root, ['merge-base', '--is-ancestor', tip, 'HEAD']);
    } catch {
      throw new Error(`branch ${name} already exists with commits that are not in HEAD (${tip.slice(0, 12)}); delete or rename it (git branch -D ${name}) and run again`);
    }
  }
  git(context.repo_root, ['checkout', '--quiet', '-B', name, 'HEAD', '--']);
  return tip === undefined;
}

/** A branch name from free text (`lifeos/Add greeting!` -> `lifeos/add-greeting`), then checked by git. */
function branchName(value: unknown, context: ToolContext): string {
  const name = (typeof value === 'string' ? value : '')
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, '-')
    .replace(/\/{2,}/g, '/')
    .replace(/(^[-/.]+)|([-/.]+$)/g, '')
    .replace(/-{2,}/g, '-');
  if (name === '') throw new TypeError(`branch name ${JSON.stringify(value)} is not valid`);
  git(context.repo_root, ['check-ref-format', '--branch', name]);
  return name;
}

function checkedPaths(value: unknown, context: ToolContext): string[] {
  // A list of lists is flattened, so a mission can commit `[artifacts, state files]`.
  const flat = Array.isArray(value) ? value.flat() : value;
  if (!Array.isArray(flat) || flat.some((item) => typeof item !== 'string' || item === '')) throw new TypeError('paths must be a list of repository paths');
  return [...new Set(flat as string[])].map((path) => requireAccess(path, 'write', context).evidence.normalized as string);
}
