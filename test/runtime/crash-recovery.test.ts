// Crash matrix (issue 3): SIGKILL the run at every journal append boundary; after recovery the
// repository is in the completed state or byte-identical to the pre-run state, and every
// journal verifies.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { verifyBundle } from '../../lib/runtime/bundle.ts';
import { readJournal, verifyJournal } from '../../lib/runtime/journal.ts';
import { makeRepo, repoFingerprint } from '../git-repo.ts';
import { fixturePath } from '../helpers.ts';

const test = suite();

const CHILD = fixturePath('processes/crash-run.ts');

function child(fail: boolean, ...args: string[]): { signal: NodeJS.Signals | null; out: string } {
  const env = { ...process.env, CRASH_FAIL: fail ? '1' : '0' };
  const result = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { encoding: 'utf8', env });
  if (result.status !== 0 && result.signal === null) throw new Error(`child ${args.join(' ')} failed: ${result.stderr}`);
  return { signal: result.signal, out: result.stdout.trim() };
}

/** Every journal verifies, and every finished attempt has its completion bundle, which verifies too. */
function journalsVerify(repo: string): void {
  const root = join(repo, 'logs/mission_journals');
  for (const run of readdirSync(root)) {
    const result = verifyJournal(join(root, run, 'journal.jsonl'));
    assert.equal(result.errors, [], `journal of ${run}`);
    const attempts = readJournal(join(root, run, 'journal.jsonl')).entries.filter((entry) => entry.type === 'run_finished').length;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      assert.equal(verifyBundle(join(root, run, `bundle.${attempt}.json`)).errors, [], `bundle ${attempt} of ${run}`);
    }
  }
}

function crashMatrix(fail: boolean): void {
  const reference = makeRepo();
  const clean = child(fail, 'run', reference, '0');
  const { status, entries } = JSON.parse(clean.out) as { status: string; entries: number };
  assert.is(status, fail ? 'failed' : 'completed');
  const completed = repoFingerprint(reference);

  const outcomes: string[] = [];
  for (let n = 1; n <= entries; n++) {
    const repo = makeRepo();
    const before = repoFingerprint(repo);
    const crashed = child(fail, 'run', repo, String(n));
    assert.is(crashed.signal, 'SIGKILL', `kill point ${n}`);
    assert.ok(existsSync(join(repo, '.lifeos_run_lock')), 'the dead run left its lock');
    child(fail, 'recover', repo);
    const after = repoFingerprint(repo);
    assert.ok(after === completed || after === before, `kill point ${n}: neither completed nor pre-run state`);
    if (fail) assert.is(after, before, `kill point ${n}: a failing run must end at the pre-run state`);
    assert.not.ok(existsSync(join(repo, '.lifeos_run_lock')), `kill point ${n}: lock released`);
    journalsVerify(repo);
    outcomes.push(after === before ? 'pre-run' : 'completed');
  }
  const count = (what: string) => outcomes.filter((o) => o === what).length;
  console.log(`  crash matrix (${fail ? 'failing' : 'completing'} run): ${entries} kill points; ${count('completed')} completed, ${count('pre-run')} back at the pre-run state`);
}

test('SIGKILL at every journal append boundary of a completing run: recovery completes it', () => crashMatrix(false));

test('SIGKILL at every journal append boundary of a failing run, rollback included: recovery ends at the pre-run state', () => crashMatrix(true));

test.run();
