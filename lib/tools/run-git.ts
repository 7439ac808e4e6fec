/**
 * Running git: an argument vector (never a shell), C locale, no prompts, a minimal environment,
 * and configuration that can run code switched off. The one git runner of the library: the git
 * tool, the coding agent and the engine's snapshots (runtime/git-state.ts) all use it.
 *
 * Why hardened: a repository's config can name programs git runs on its own (core.fsmonitor,
 * hooks, filter/textconv/merge drivers, gpg). A step that writes `.git/config` would otherwise
 * get its program run by the engine's next snapshot, before the diff gate sees the change. So
 * every call disables hooks and fsmonitor, ignores the system config, and blanks every driver the
 * repository's config defines (an empty driver command is no driver).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { childEnvironment } from './child-env.ts';

/** Thrown when git fails; names the command and what git said. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed: ${stderr.trim() || 'no message'}`);
    this.name = 'GitError';
  }
}

const SAFE_CONFIG: readonly string[] = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.untrackedCache=false',
  'diff.external=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'protocol.allow=never',
].flatMap((setting) => ['-c', setting]);

const DRIVER_KEYS = '^(filter|diff|merge)\\..+\\.(clean|smudge|process|textconv|command|driver)$';

function exec(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
    env: { ...childEnvironment(), ...env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0' },
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Run git in `repoRoot`; `env` adds variables (GIT_INDEX_FILE, identities), `input` is its standard input. */
export function git(repoRoot: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): string {
  try {
    return exec(repoRoot, [...SAFE_CONFIG, ...driverOverrides(repoRoot), ...args], env, input);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new GitError(args, typeof stderr === 'string' ? stderr : (error as Error).message);
  }
}

// Keyed by the folder and its config file's identity, so a changed config is read again.
const overridesCache = new Map<string, { key: string; args: string[] }>();

/** `-c <driver key>=` for every driver command the repository's config defines. */
function driverOverrides(repoRoot: string): string[] {
  const key = configIdentity(repoRoot);
  const cached = overridesCache.get(repoRoot);
  if (key !== null && cached?.key === key) return cached.args;
  let listed = '';
  try {
    listed = exec(repoRoot, [...SAFE_CONFIG, 'config', '-z', '--get-regexp', DRIVER_KEYS]);
  } catch {
    // Exit 1: no driver is configured (or this is not a repository yet).
  }
  const args = listed
    .split('\0')
    .filter(Boolean)
    .flatMap((entry) => ['-c', `${entry.split('\n', 1)[0]}=`]);
  if (key !== null) overridesCache.set(repoRoot, { key, args });
  return args;
}

/** The config file's inode, size and mtime; null where there is none to stat (a linked worktree, a subfolder): then git is asked each time. */
function configIdentity(repoRoot: string): string | null {
  try {
    const stat = statSync(join(repoRoot, '.git', 'config'));
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return null;
  }
}
