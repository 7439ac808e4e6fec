/**
 * Running git: an argument vector (never a shell), C locale, no prompts. The one git runner of
 * the library: the git tool, the coding agent and the engine's snapshots (runtime/git-state.ts)
 * all use it, so a failure always reads the same way.
 */
import { execFileSync } from 'node:child_process';

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

export function git(repoRoot: string, args: readonly string[], env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    throw new GitError(args, typeof stderr === 'string' ? stderr : (error as Error).message);
  }
}
