// Makes the hello-cycle target repository in a folder: the files of repo/, the starter files of
// `lifeos-mission init` (role prompts, model mapping, envelope policy, governance baseline) and
// one commit. Names and dates are fixed, so the commit, and with it the run id and every
// recorded call id, is the same on every machine: that is what lets the fixtures replay.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, 'fixtures');
export const INPUTS = join(here, 'inputs.yaml');
const FIXED = '2026-01-01T00:00:00Z';
const IDENTITY = {
  GIT_AUTHOR_NAME: 'hello-cycle',
  GIT_AUTHOR_EMAIL: 'hello-cycle@example.invalid',
  GIT_COMMITTER_NAME: 'hello-cycle',
  GIT_COMMITTER_EMAIL: 'hello-cycle@example.invalid',
  GIT_AUTHOR_DATE: FIXED,
  GIT_COMMITTER_DATE: FIXED,
};

/** `initRepository` comes from the library (dist or lib), so this module works with either. */
export function createHelloRepo(target, { initRepository, withFixtures = true }) {
  const git = (...args) => execFileSync('git', args, { cwd: target, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...IDENTITY } });
  mkdirSync(target, { recursive: true });
  cpSync(join(here, 'repo'), target, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', IDENTITY.GIT_AUTHOR_NAME);
  git('config', 'user.email', IDENTITY.GIT_AUTHOR_EMAIL);
  git('config', 'commit.gpgsign', 'false');
  initRepository({ repoRoot: target, approvedBy: 'hello-cycle example', councilRulingRef: 'examples/hello-cycle', now: () => new Date(FIXED) });
  git('add', '-A');
  git('commit', '-q', '-m', 'hello: a project with one task');
  if (withFixtures) cpSync(FIXTURES, join(target, 'logs', 'agent_calls', 'cache'), { recursive: true });
  return target;
}
