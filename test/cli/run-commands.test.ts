// `lifeos-mission run | resume | recover` against real git repositories in temp dirs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { acquireRunLock, releaseRunLock } from '../../lib/runtime/run-lock.ts';
import { makeRepo, missionYaml, repoFingerprint } from '../git-repo.ts';
import { cli, fixturePath, repoRoot } from '../helpers.ts';

/** A mission file outside the repository (so it does not make the work tree dirty). */
function missionFile(text: string): string {
  const path = join(tempDir('lifeos-mission-'), 'mission.yaml');
  writeFileSync(path, text);
  return path;
}

const FAN_OUT = missionFile(`mission: fan
version: "1.0"
inputs:
  - name: items
    type: list[str]
    default: [a, b, c]
  - name: pass
    type: bool
    default: true
outputs: [{name: seen, type: any, value: "{{steps.each.outputs}}"}]
steps:
  - {id: first, kind: runtime, operation: noop, params: {}}
  - id: each
    kind: runtime
    operation: noop
    for_each: {item: "{{items}}"}
    params: {item: "{{item}}"}
  - id: gate
    kind: runtime
    operation: gate_check
    params: {condition: "{{pass}} == true"}
`);

const WRITE_AND_ASK = missionFile(missionYaml('write_and_ask', [
  '{id: write, kind: runtime, operation: write_file, params: {path: out.txt, text: made}}',
  '{id: ask, kind: human, params: {question: keep it?}}',
]));

const WRITE_HANDLERS = fixturePath('handlers/write-file.ts');

const run = suite('lifeos-mission run');

run('prints one line per step, groups fan-out instances, and ends with the summary; exit 0', async () => {
  const repo = makeRepo();
  const { code, stdout } = await cli('run', FAN_OUT, '--repo', repo, '--no-fsync');
  assert.is(code, 0, stdout);
  assert.match(stdout, /^run fan [0-9a-f]{12} \(attempt 1, mode live\)\n/);
  assert.match(stdout, /✓ first +noop +completed +\d+ ms\n/);
  assert.match(stdout, /✓ each +fan-out ×3 +completed +\d+ ms\n/);
  assert.not.match(stdout, /each\[/, 'instances are grouped into the fan-out line');
  assert.match(stdout, /✓ gate +gate_check +completed/);
  assert.match(stdout, /completed: mission fan\n {2}run id +sha256:[0-9a-f]{64}\n {2}journal +\S+journal\.jsonl\n {2}bundle +\S+bundle\.1\.json\n {2}commit +none\n {2}output seen +\[.*\]\n$/);
});

run('a failing step: its line and error, exit 1, and the summary names the error', async () => {
  const repo = makeRepo();
  const { code, stdout } = await cli('run', FAN_OUT, '--repo', repo, '--input', 'pass=false');
  assert.is(code, 1);
  assert.match(stdout, /✗ gate +gate_check +failed +\d+ ms\n {4}gate gate failed: condition is false\n/);
  assert.match(stdout, /↺ rolling back: /);
  assert.match(stdout, /failed: mission fan\n/);
  assert.match(stdout, / {2}error +step gate/);
  assert.match(stdout, / {2}evidence +\S+attempt-1/);
});

run('--format json prints the MissionResult as one JSON document and no progress', async () => {
  const { code, stdout } = await cli('run', FAN_OUT, '--repo', makeRepo(), '--format', 'json');
  assert.is(code, 0);
  const result = JSON.parse(stdout) as { status: string; runId: string; outputs: unknown };
  assert.is(result.status, 'completed');
  assert.equal(result.outputs, { seen: [{ item: 'a' }, { item: 'b' }, { item: 'c' }] });
});

run('exit 2 when the repository is dirty, the lock is held, or a handler is missing; exit 1 for an invalid mission', async () => {
  const dirty = makeRepo();
  writeFileSync(join(dirty, 'README.md'), 'edited');
  const refused = await cli('run', FAN_OUT, '--repo', dirty);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /README\.md/);

  const held = makeRepo();
  const lock = join(held, '.lifeos_run_lock');
  acquireRunLock(lock, { run_id: 'sha256:other', run_id_audit: 'x', mission_type: 'other', acquired_at: 'now' });
  try {
    const locked = await cli('run', FAN_OUT, '--repo', held);
    assert.is(locked.code, 2);
    assert.match(locked.stderr, /run lock .* is held by run sha256:other/);
  } finally {
    releaseRunLock(lock, 'sha256:other');
  }

  const missing = await cli('run', WRITE_AND_ASK, '--repo', makeRepo());
  assert.is(missing.code, 1, 'write_file is unknown without its handlers: the mission is invalid');
  assert.match(missing.stderr, /unknown operation "write_file"/);
  const noHandlers = await cli('run', WRITE_AND_ASK, '--repo', makeRepo(), '--handlers', fixturePath('handlers/empty.ts'));
  assert.is(noHandlers.code, 2);
  assert.match(noHandlers.stderr, /exports no handlers/);
});

run('a nested mission gets a header with its steps indented; an escalating gate prints the escalation', async () => {
  const library = tempDir('lifeos-missions-');
  writeFileSync(join(library, 'inner.yaml'), 'mission: inner\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - {id: a, kind: runtime, operation: noop, params: {}}\n');
  const outer = missionFile(missionYaml('outer', [
  '{id: sub, kind: mission, mission: inner, params: {}}',
  '{id: gate, kind: runtime, operation: gate_check, params: {condition: "1 == 2", on_fail: escalate}}',
]));
  const { code, stdout } = await cli('run', outer, '--repo', makeRepo(), '--missions', library);
  assert.is(code, 1);
  assert.match(stdout, /\n▸ sub {2}mission inner\n {2}✓ a +noop +completed +\d+ ms\n✓ sub +mission +completed/);
  assert.match(stdout, /\n! escalated \(critical\): gate gate failed: condition is false\n/);
  assert.match(stdout, /awaiting_human: mission outer\n/);
  assert.match(stdout, / {2}escalation +sha256:[0-9a-f]{64} \(critical\)/);
});

run('Ctrl-C in a real process stops the run, rolls it back to the pre-run state and exits 1 halted', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const file = missionFile(missionYaml('slow', [
  '{id: write, kind: runtime, operation: write_file, params: {path: out.txt, text: made}}',
  '{id: wait, kind: runtime, operation: wait, params: {}}',
  '{id: never, kind: runtime, operation: noop, params: {}}',
]));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'lib/cli/bin.ts'), 'run', file, '--repo', repo, '--handlers', fixturePath('handlers/slow.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('waiting\n')) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.is(code, 1, stdout + stderr);
  assert.match(stderr, /interrupted: stopping after the current operation and rolling back/);
  assert.match(stdout, /↺ undone write \(fs_restore\): verified/);
  assert.match(stdout, /halted: mission slow\n/);
  assert.not.match(stdout, /never/);
  assert.is(repoFingerprint(repo), before);
});

run.run();

const resume = suite('lifeos-mission resume');

resume('a human step pauses the run (exit 1); resume --approve by a short run id completes it', async () => {
  const repo = makeRepo();
  const paused = await cli('run', WRITE_AND_ASK, '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(paused.code, 1);
  assert.match(paused.stdout, /… ask +human +awaiting approval/);
  const next = /lifeos-mission resume ([0-9a-f]{12}) --approve/.exec(paused.stdout)?.[1];
  assert.ok(next, paused.stdout);
  const done = await cli('resume', next as string, '--approve', '--by', 'CEO', '--note', 'fine', '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /✓ request [0-9a-f]{12} approved by CEO: fine\n/);
  assert.match(done.stdout, /completed: mission write_and_ask/);
  assert.is(readFileSync(join(repo, 'out.txt'), 'utf8'), 'made');
});

resume('issue 15, finding 5: the printed next line, followed literally, resumes the run; without the handlers resume refuses before recording the decision', async () => {
  const repo = makeRepo();
  const paused = await cli('run', WRITE_AND_ASK, '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(paused.code, 1);
  const next = /^ {2}next +lifeos-mission (resume .*?) {3}\(or --reject\)$/m.exec(paused.stdout)?.[1] as string;
  assert.match(next, `--repo ${repo} --handlers ${WRITE_HANDLERS}`);
  const runId = next.split(' ')[1] as string;
  const bare = await cli('resume', runId, '--approve', '--by', 'CEO', '--repo', repo);
  assert.is(bare.code, 2);
  assert.match(bare.stderr, /no handler for operation "write_file" \(first used by step \w+\); nothing was recorded; resume with the handlers the run was started with/);
  const done = await cli(...next.replace('<name>', 'CEO').split(' '));
  assert.is(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, /✓ request [0-9a-f]{12} approved by CEO/);
  assert.is(readFileSync(join(repo, 'out.txt'), 'utf8'), 'made');
});

resume('--reject ends the run and rolls its writes back', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const paused = await cli('run', WRITE_AND_ASK, '--repo', repo, '--handlers', WRITE_HANDLERS, '--format', 'json');
  const { runId } = JSON.parse(paused.stdout) as { runId: string };
  const rejected = await cli('resume', runId, '--reject', '--by', 'CEO', '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(rejected.code, 1);
  assert.match(rejected.stdout, /✗ request [0-9a-f]{12} rejected by CEO/);
  assert.match(rejected.stdout, /↺ undone write \(fs_restore\): verified/);
  assert.is(repoFingerprint(repo), before);
});

resume('usage errors: an unknown or ambiguous run id, --approve with --reject', async () => {
  const repo = makeRepo();
  const unknown = await cli('resume', 'abcdef', '--repo', repo);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no run in \S+ starts with abcdef/);
  assert.is((await cli('resume', 'abcdef', '--approve', '--reject', '--repo', repo)).code, 2);
  assert.is((await cli('resume', 'xyz', '--repo', repo)).code, 2);
});

resume.run();

const recover = suite('lifeos-mission recover');

recover('nothing to recover: exit 0', async () => {
  const { code, stdout } = await cli('recover', '--repo', makeRepo());
  assert.is(code, 0);
  assert.is(stdout, 'nothing to recover: no run was interrupted\n');
});

recover('a run killed with SIGKILL mid-write is recovered and completed', async () => {
  const repo = makeRepo();
  // crash-run.ts kills itself right after journal entry 6 (the second write is in progress).
  const child = spawnSync(process.execPath, ['--import', 'tsx', fixturePath('processes/crash-run.ts'), 'run', repo, '6'], { encoding: 'utf8', env: { ...process.env, CRASH_FAIL: '0' } });
  assert.is(child.signal, 'SIGKILL');
  assert.ok(existsSync(join(repo, '.lifeos_run_lock')));
  const { code, stdout } = await cli('recover', '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(code, 0, stdout);
  assert.match(stdout, /^recovering run [0-9a-f]{12}/);
  assert.match(stdout, /recovered run [0-9a-f]{12}: resumed: /);
  assert.match(stdout, /completed: mission crash_matrix/);
  assert.not.ok(existsSync(join(repo, '.lifeos_run_lock')));
  assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'rewritten');
});

recover('resume of a run killed with SIGKILL is refused under the kill switch, before recovery touches it', async () => {
  const repo = makeRepo();
  const child = spawnSync(process.execPath, ['--import', 'tsx', fixturePath('processes/crash-run.ts'), 'run', repo, '6'], { encoding: 'utf8', env: { ...process.env, CRASH_FAIL: '0' } });
  assert.is(child.signal, 'SIGKILL');
  const journal = readdirSync(join(repo, 'logs/mission_journals'))[0] as string;
  const before = readFileSync(join(repo, 'logs/mission_journals', journal, 'journal.jsonl'), 'utf8');
  writeFileSync(join(repo, 'STOP_AUTONOMY'), 'stop\n');
  const refused = await cli('resume', journal.slice(0, 12), '--repo', repo, '--handlers', WRITE_HANDLERS);
  assert.is(refused.code, 2, refused.stdout);
  assert.match(refused.stderr, /the kill switch STOP_AUTONOMY is present: run sha256:[0-9a-f]{64} stays as its process left it, nothing was recorded/);
  assert.is(readFileSync(join(repo, 'logs/mission_journals', journal, 'journal.jsonl'), 'utf8'), before, 'the journal is as the crash left it');
  assert.ok(existsSync(join(repo, 'src/new.txt')), 'its work is kept');
});

recover.run();
