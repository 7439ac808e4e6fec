/**
 * Running git: an argument vector (never a shell), C locale, no prompts, a minimal environment,
 * and configuration that can run code switched off. The one git runner of the library: the git
 * tool, the coding agent and the engine's snapshots (runtime/git-state.ts) all use it.
 *
 * Why hardened: a repository's config can name programs git runs on its own (core.fsmonitor,
 * hooks, filter/textconv/merge drivers, gpg). A step that writes `.git/config` would otherwise
 * get its program run by the engine's next snapshot, before the diff gate sees the change. So
 * every call disables hooks and fsmonitor, ignores the system config, and blanks every driver the
 * config defines, whichever file defines it (an empty driver command is no driver).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
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
  // A submodule's own config (drivers, fsmonitor) would be read by git running inside it.
  'diff.ignoreSubmodules=all',
  'submodule.recurse=false',
  'status.submoduleSummary=false',
].flatMap((setting) => ['-c', setting]);

const GIT_TIMEOUT_MS = 10 * 60 * 1000;
const DRIVER_KEY = /^(filter|diff|merge)\..+\.(clean|smudge|process|textconv|command|driver)$/i;
const overridesCache = new Map<string, { stamps: Array<[string, string]>; env: Record<string, string> }>();

function exec(cwd: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
    env: { ...childEnvironment(), ...env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_OPTIONAL_LOCKS: '0' },
    maxBuffer: 256 * 1024 * 1024,
    // A bound on any one call: git blocks this process while it runs, so no step timeout could stop it.
    timeout: GIT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
}

/** Run git in `repoRoot`; `env` adds variables (GIT_INDEX_FILE, identities), `input` is its standard input. */
export function git(repoRoot: string, args: readonly string[], env?: NodeJS.ProcessEnv, input?: string): string {
  try {
    return exec(repoRoot, [...SAFE_CONFIG, ...args], { ...driverOverrides(repoRoot), ...env }, input);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new GitError(args, typeof stderr === 'string' ? stderr : (error as Error).message);
  }
}

/** git's trimmed output, or null when it is empty or git fails (a ref that does not exist, an unborn HEAD). */
export function gitMaybe(repoRoot: string, args: readonly string[]): string | null {
  try {
    return git(repoRoot, args).trim() || null;
  } catch (error) {
    if (error instanceof GitError) return null;
    throw error;
  }
}

/** A path inside the repository's git folder (`index`, `objects`, `info/exclude`), absolute. */
export function gitPath(repoRoot: string, name: string): string {
  const path = git(repoRoot, ['rev-parse', '--git-path', name]).trim();
  return isAbsolute(path) ? path : join(repoRoot, path);
}

/**
 * Every driver command the config git would read here, blanked. Passed as GIT_CONFIG_KEY_n /
 * GIT_CONFIG_VALUE_n pairs, not `-c key=`: a driver name may itself contain `=`. The list is
 * kept while none of the files it came from (included ones too, and the usual places a config
 * could appear) has changed.
 */
function driverOverrides(repoRoot: string): Record<string, string> {
  const cached = overridesCache.get(repoRoot);
  if (cached && cached.stamps.every(([path, stamp]) => fileStamp(path) === stamp)) return cached.env;
  let listed = '';
  try {
    listed = exec(repoRoot, [...SAFE_CONFIG, 'config', '-z', '--list', '--show-origin']);
  } catch {
    // Not a repository yet, or no config at all.
  }
  const files = new Set(standardConfigFiles(repoRoot));
  const keys: string[] = [];
  const fields = listed.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const origin = fields[i] as string;
    const newline = (fields[i + 1] as string).indexOf('\n');
    const key = newline < 0 ? (fields[i + 1] as string) : (fields[i + 1] as string).slice(0, newline);
    const value = newline < 0 ? '' : (fields[i + 1] as string).slice(newline + 1);
    const file = origin.startsWith('file:') ? origin.slice('file:'.length) : undefined;
    if (file) files.add(isAbsolute(file) ? file : join(repoRoot, file));
    if (file && /^include(if\..*)?\.path$/i.test(key)) files.add(includeTarget(value, isAbsolute(file) ? file : join(repoRoot, file)));
    if (DRIVER_KEY.test(key)) keys.push(key);
  }
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(keys.length) };
  keys.forEach((key, n) => Object.assign(env, { [`GIT_CONFIG_KEY_${n}`]: key, [`GIT_CONFIG_VALUE_${n}`]: '' }));
  overridesCache.set(repoRoot, { stamps: [...files].map((path) => [path, fileStamp(path)]), env });
  return env;
}

function standardConfigFiles(repoRoot: string): string[] {
  const home = process.env.HOME ?? '';
  // HEAD too: an includeIf "onbranch:" section applies or not with the branch.
  return [join(repoRoot, '.git', 'config'), join(repoRoot, '.git', 'config.worktree'), join(repoRoot, '.git', 'HEAD'), join(home, '.gitconfig'), join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'git', 'config')];
}

/** Where an include points: `~/` from HOME, a relative path from the including file's folder. */
function includeTarget(value: string, from: string): string {
  if (value.startsWith('~/')) return join(process.env.HOME ?? '', value.slice(2));
  return isAbsolute(value) ? value : join(dirname(from), value);
}

function fileStamp(path: string): string {
  try {
    const stat = statSync(path);
    // ctime, not mtime: a process can set a file's mtime back, never its ctime.
    return `${stat.ino}:${stat.size}:${stat.ctimeMs}`;
  } catch {
    return 'absent';
  }
}
