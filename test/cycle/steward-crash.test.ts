// Issue 14, findings 8 and 10: SIGKILL at every 5 ms of the first 150 ms after the steward's
// commit starts (a real `kill -9` from outside, so it can land inside git itself), then
// `recover`: every time the repository is either completed on its feature branch or back at its
// pre-run state with no stray branch, and the cycle can then be run to completion.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { createHelloRepo, FIXTURES, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { verifyJournal } from '../../lib/runtime/journal.ts';
import { recoverRuns, runMission } from '../../lib/runtime/runner.ts';
import { git as gitIn, repoFingerprint } from '../git-repo.ts';
import { repoRoot } from '../helpers.ts';

const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const git = (repo: string, ...args: string[]): string => gitIn(repo, ...args).trim();
const status = (repo: string): string => git(repo, 'status', '--porcelain', '--', '.', ':!logs', ':!.lifeos');

/**
 * Run the cycle in a child; SIGKILL it `delayMs` after steward/commit starts. True if it was
 * killed. The child's temporary folders go under `tmp` (it cannot remove them itself when killed).
 */
function killDuringCommit(repo: string, tmp: string, delayMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/processes/cycle-crash.ts'), 'announce', repo, 'steward/commit'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('started') && !output.includes('armed')) {
        output += 'armed';
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve(signal === 'SIGKILL'));
  });
}

const it = suite('SIGKILL during the steward commit (issue 14)');

it('at every 5 ms of the first 150 ms: recover, then the cycle completes; never a stray branch', async () => {
  const outcomes: string[] = [];
  for (let delay = 0; delay < 150; delay += 5) {
    const scratch = tempDir('hello-crash-');
    const repo = createHelloRepo(join(scratch, 'repo'), { initRepository, withFixtures: false });
    mkdirSync(join(scratch, 'tmp'));
    try {
      cpSync(FIXTURES, join(repo, 'logs/agent_calls/cache'), { recursive: true });
      const before = repoFingerprint(repo);
      const killed = await killDuringCommit(repo, join(scratch, 'tmp'), delay);
      const reports = await recoverRuns({ repoRoot: repo, mode: 'replay', fsync: false, store: false });
      const recovered = reports[0]?.result.status ?? 'none';
      let final = recovered;
      // Killed after the run had written its end (or not killed at all): there is nothing to recover.
      if (!killed || recovered === 'none') final = 'finished before the kill';
      else if (recovered !== 'completed') {
        assert.is(repoFingerprint(repo), before, `${delay} ms: recovery ended ${recovered}, so the repository is back at its pre-run state`);
        assert.is(git(repo, 'branch', '--format=%(refname:short)'), 'main', `${delay} ms: no stray branch`);
        const again = await runMission('autonomous_build_cycle', { repoRoot: repo, mode: 'replay', inputs, fsync: false, store: false });
        assert.is(again.status, 'completed', `${delay} ms: the cycle runs again: ${JSON.stringify(again.error)}`);
        final = `${recovered}, then completed`;
      }
      assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'lifeos/add-greet', `${delay} ms`);
      assert.equal(git(repo, 'branch', '--format=%(refname:short)').split('\n').sort(), ['lifeos/add-greet', 'main'], `${delay} ms`);
      assert.is(status(repo), '', `${delay} ms: clean`);
      const journals = join(repo, 'logs/mission_journals');
      for (const run of readdirSync(journals)) assert.ok(verifyJournal(join(journals, run, 'journal.jsonl')).ok, `${delay} ms: journal ${run}`);
      outcomes.push(`${delay}: ${final}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  console.log(`  ${outcomes.join("; ")}`);
  assert.is(outcomes.length, 30);
  // Most kills land before the end: recovery is exercised, not skipped.
  assert.ok(outcomes.filter((o) => !o.includes('before the kill')).length >= 10, outcomes.join('; '));
});

it.run();
