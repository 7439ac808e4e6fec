import { existsSync, lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { RunPreconditionFailed } from '../../lib/core/run-errors.ts';
import { createRegistry } from '../../lib/core/registry.ts';
import type { OperationHandler } from '../../lib/operations/handler.ts';
import { defaultRegistry } from '../../lib/runtime/mission-library.ts';
import { verifyBundle } from '../../lib/runtime/bundle.ts';
import { verifyJournal } from '../../lib/runtime/journal.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { git, makeRepo, mission, missionYaml, repoFingerprint, writeFileHandler } from '../git-repo.ts';

const test = suite();

const TWO_WRITES = `mission: two_writes
version: "1.0"
inputs:
  - {name: pass, type: bool, default: true}
  - {name: on_fail, type: str, default: escalate}
outputs: [{name: wrote, type: any, value: "{{steps.second.output.wrote}}"}]
steps:
  - {id: first, kind: runtime, operation: write_file, params: {path: new/file.txt, text: created}}
  - {id: second, kind: runtime, operation: write_file, params: {path: README.md, text: changed}}
  - id: gate
    kind: runtime
    operation: gate_check
    params: {condition: "{{pass}} == true", on_fail: "{{on_fail}}"}
`;

const types = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).type);

test('a completed run journals every step, verifies, and writes a bundle anchoring the journal', async () => {
  const repo = makeRepo();
  const events: string[] = [];
  const result = await runMission(mission(TWO_WRITES), { repoRoot: repo, handlers: [writeFileHandler], onEvent: (e) => events.push(e.type) });
  assert.is(result.status, 'completed');
  assert.equal(result.outputs, { wrote: 'README.md' });
  assert.match(result.runId, /^sha256:[0-9a-f]{64}$/);
  assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'changed');
  assert.equal(verifyJournal(result.journalPath).errors, []);
  assert.equal(types(result.journalPath), events);
  assert.is(events[0], 'run_started');
  assert.is(events.at(-1), 'run_finished');
  assert.ok(verifyBundle(result.bundlePath as string).ok);
  assert.not.ok(existsSync(join(repo, '.lifeos_run_lock')), 'lock released');
});

test('an escalating gate stops the run for the CEO with its writes in place; a rejection rolls every write back, verified, to the exact pre-run state', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const paused = await runMission(mission(TWO_WRITES), { repoRoot: repo, inputs: { pass: false }, handlers: [writeFileHandler] });
  assert.is(paused.status, 'awaiting_human');
  assert.match(paused.escalation?.reason ?? '', 'gate gate failed: condition is false');
  assert.equal(paused.awaiting, { request_id: paused.escalation?.escalation_id as string, node: 'gate', kind: 'escalation', retry_only: false });
  assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'changed', 'the writes wait for the decision');
  const rejected = await resumeMission(paused.runId, { repoRoot: repo, handlers: [writeFileHandler], decisions: [{ decision: 'rejected', by: 'CEO', note: 'not like this' }] });
  assert.is(rejected.status, 'failed');
  assert.match(rejected.error?.message ?? '', 'escalation rejected by CEO: not like this');
  assert.is(repoFingerprint(repo), before);
  const entries = readFileSync(rejected.journalPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const compensated = entries.filter((e) => e.type === 'compensated');
  assert.equal(compensated.map((e) => e.data.node), ['second', 'first'], 'reverse order');
  assert.ok(compensated.every((e) => e.data.compensation_verified === true));
  assert.ok(existsSync(join(rejected.evidencePath as string, 'changes.patch')));
  assert.match(readFileSync(join(rejected.evidencePath as string, 'changes.patch'), 'utf8'), '+changed');
  assert.equal(verifyJournal(rejected.journalPath).errors, []);
});

test('approving an escalation passes the step as a recorded CEO override, without running it again', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(TWO_WRITES), { repoRoot: repo, inputs: { pass: false }, handlers: [writeFileHandler] });
  const done = await resumeMission(paused.runId, { repoRoot: repo, handlers: [writeFileHandler], decisions: [{ decision: 'approved', by: 'CEO', note: 'known false alarm' }] });
  assert.is(done.status, 'completed');
  const entries = readFileSync(done.journalPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.is(entries.filter((e) => e.type === 'operation_started' && e.data.node === 'gate').length, 1, 'the gate ran once');
  const passed = entries.find((e) => e.type === 'step_finished' && e.data.node === 'gate');
  assert.equal(passed.data.ceo_override, { ceo_override: true, escalation_id: paused.escalation?.escalation_id, by: 'CEO', rationale: 'known false alarm' });
  assert.is(readFileSync(join(repo, 'README.md'), 'utf8'), 'changed');
});

test('a failing handler fails the run; its own partial write is undone too', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const half: OperationHandler = {
    ...writeFileHandler,
    type: 'half_write',
    execute: (params, context) => {
      writeFileSync(join(context.repo_root, 'partial.txt'), 'half');
      throw new Error(`disk full writing ${String(params.path)}`);
    },
  };
  const result = await runMission(
    mission(
      missionYaml('half', [
  '{id: ok, kind: runtime, operation: write_file, params: {path: a.txt, text: a}}',
  '{id: bad, kind: runtime, operation: half_write, params: {path: b.txt, text: b}}',
]),
      [writeFileHandler, half],
    ),
    { repoRoot: repo, handlers: [writeFileHandler, half] },
  );
  assert.is(result.status, 'failed');
  assert.equal(result.error, { message: 'step bad (half_write): disk full writing b.txt', node: 'bad' });
  assert.is(repoFingerprint(repo), before);
});

test('re-running a completed run skips its completed steps by idempotency key', async () => {
  const repo = makeRepo();
  let calls = 0;
  const counting: OperationHandler = { type: 'count', description: 'counts', writes: false, compensation: 'none', idempotent: true, execute: () => ++calls };
  const text = `mission: counted
version: "1.0"
inputs: []
outputs: [{name: n, type: int, value: "{{steps.c.output}}"}]
steps:
  - {id: c, kind: runtime, operation: count}
`;
  const first = await runMission(mission(text, [counting]), { repoRoot: repo, handlers: [counting] });
  const second = await runMission(mission(text, [counting]), { repoRoot: repo, handlers: [counting] });
  assert.is(calls, 1);
  assert.is(second.runId, first.runId);
  assert.equal(second.outputs, { n: 1 });
  assert.ok(types(second.journalPath).includes('step_skipped'));
  assert.equal(verifyJournal(second.journalPath).errors, []);
});

test('re-running a completed run whose writes were discarded writes them again instead of skipping them', async () => {
  const repo = makeRepo();
  const text = missionYaml('writes_then_reads', [
  '{id: write, kind: runtime, operation: write_file, params: {path: out.txt, text: made}}',
  '{id: look, kind: runtime, operation: noop, params: {}}',
]);
  const first = await runMission(mission(text), { repoRoot: repo, handlers: [writeFileHandler] });
  assert.is(first.status, 'completed');
  rmSync(join(repo, 'out.txt'));
  const second = await runMission(mission(text), { repoRoot: repo, handlers: [writeFileHandler] });
  assert.is(second.runId, first.runId, 'same mission, inputs and commit: the same run');
  assert.is(second.status, 'completed');
  assert.is(readFileSync(join(repo, 'out.txt'), 'utf8'), 'made', 'the write is in the repository again');
  const attempt2 = readFileSync(second.journalPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.seq > 0);
  const secondAttempt = attempt2.slice(attempt2.findLastIndex((e) => e.type === 'run_started'));
  assert.equal(secondAttempt.filter((e) => e.type === 'step_skipped').map((e) => e.data.node), ['look'], 'only the read-only step on the same state is skipped');
});

test('a repository that git-ignores the engine folders runs and rolls back like any other', async () => {
  const repo = makeRepo({ 'README.md': 'hello\n', '.gitignore': 'logs/\n.lifeos/\n.lifeos_run_lock*\n' });
  const before = repoFingerprint(repo);
  const failed = await runMission(mission(TWO_WRITES), { repoRoot: repo, inputs: { pass: false, on_fail: 'fail' }, handlers: [writeFileHandler] });
  assert.is(failed.status, 'failed');
  assert.is(repoFingerprint(repo), before);
  const done = await runMission(mission(TWO_WRITES), { repoRoot: repo, handlers: [writeFileHandler] });
  assert.is(done.status, 'completed');
});

test('the kill switch created mid-step: the next operation never starts, status halted, lock released', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const started: string[] = [];
  const pull: OperationHandler = {
    ...writeFileHandler,
    type: 'pull_switch',
    execute: (params, context) => {
      started.push(context.node_id);
      writeFileHandler.execute(params, context);
      symlinkSync('/nonexistent/target', join(context.repo_root, 'STOP_AUTONOMY')); // dangling: still counts
      return {};
    },
  };
  const result = await runMission(
    mission(
      missionYaml('halted', [
  '{id: one, kind: runtime, operation: pull_switch, params: {path: x.txt, text: x}}',
  '{id: two, kind: runtime, operation: write_file, params: {path: y.txt, text: y}}',
]),
      [writeFileHandler, pull],
    ),
    { repoRoot: repo, handlers: [writeFileHandler, pull] },
  );
  assert.is(result.status, 'halted');
  assert.equal(started, ['one']);
  assert.not.ok(types(result.journalPath).some((type, i, all) => type === 'operation_started' && all.indexOf('kill_switch') < i));
  assert.ok(result.escalation?.reason.includes('STOP_AUTONOMY'));
  assert.ok(existsSync(join(repo, 'logs/kill_switch_activations')));
  assert.not.ok(existsSync(join(repo, '.lifeos_run_lock')));
  assert.ok(lstatSync(join(repo, 'STOP_AUTONOMY')).isSymbolicLink(), "the rollback leaves the operator's kill switch in place");
  git(repo, 'status'); // the repo is usable
  const after = repoFingerprint(repo).split('\n').filter((line) => !line.startsWith('STOP_AUTONOMY')).join('\n');
  assert.is(after, before);
});

test('a dirty work tree refuses to start; the engine files do not count as dirty', async () => {
  const repo = makeRepo();
  const text = `mission: nothing
version: "1.0"
inputs: []
outputs: []
steps: [{id: n, kind: runtime, operation: noop}]
`;
  assert.is((await runMission(mission(text), { repoRoot: repo })).status, 'completed');
  writeFileSync(join(repo, 'stray.txt'), 'x');
  try {
    await runMission(mission(text.replace('nothing', 'nothing2')), { repoRoot: repo });
    assert.unreachable('should refuse');
  } catch (error) {
    assert.instance(error, RunPreconditionFailed);
    assert.match((error as Error).message, 'stray.txt');
  }
});

test('a human step stops the run awaiting_human; resume with an approval completes it', async () => {
  const repo = makeRepo();
  const text = `mission: approve_me
version: "1.0"
inputs: []
outputs: [{name: approval, type: any, value: "{{steps.ask.output}}"}]
steps:
  - {id: write, kind: runtime, operation: write_file, params: {path: out.txt, text: draft}}
  - {id: ask, kind: human, params: {question: ship it?}}
  - {id: after, kind: runtime, operation: noop}
`;
  const paused = await runMission(mission(text), { repoRoot: repo, handlers: [writeFileHandler] });
  assert.is(paused.status, 'awaiting_human');
  assert.is(readFileSync(join(repo, 'out.txt'), 'utf8'), 'draft', 'writes are kept while waiting');
  const request = paused.awaiting?.request_id as string;
  const done = await resumeMission(paused.runId, { repoRoot: repo, handlers: [writeFileHandler], decisions: [{ request_id: request, decision: 'approved', by: 'CEO' }] });
  assert.is(done.status, 'completed');
  assert.equal(done.outputs, { approval: { approved: true, by: 'CEO', note: null } });
  assert.equal(verifyJournal(done.journalPath).errors, []);
});

test('a step timeout aborts the handler and rolls back', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const slow: OperationHandler = {
    type: 'slow',
    description: 'waits',
    writes: false,
    compensation: 'none',
    idempotent: true,
    execute: (_params, context) => new Promise((resolve) => context.signal.addEventListener('abort', () => resolve('late'))),
  };
  const result = await runMission(
    mission(
      missionYaml('slow', [
  '{id: w, kind: runtime, operation: write_file, params: {path: a.txt, text: a}}',
  '{id: s, kind: runtime, operation: slow, timeout_seconds: 1}',
]),
      [writeFileHandler, slow],
    ),
    { repoRoot: repo, handlers: [writeFileHandler, slow] },
  );
  assert.is(result.status, 'failed');
  assert.match(result.error?.message ?? '', 'step timeout of 1 s exceeded');
  assert.is(repoFingerprint(repo), before);
});

test('a plan whose operation has no handler is refused before anything runs', async () => {
  const repo = makeRepo();
  const text = `mission: needs_tool
version: "1.0"
inputs: []
outputs: []
steps: [{id: read, kind: runtime, operation: spell_check, params: {file: README.md}}]
`;
  // The registry knows the operation (so the mission validates); no handler runs it.
  const spellCheck = { type: 'spell_check', description: 'a host operation', writes: false, compensation: 'none' as const, idempotent: true };
  const registry = createRegistry({ extend: defaultRegistry(), operations: [spellCheck] });
  try {
    await runMission(mission(text, [spellCheck as OperationHandler]), { repoRoot: repo, registry });
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, 'no handler for operation "spell_check" (first used by step read)');
  }
  assert.not.ok(existsSync(join(repo, 'logs')));
});

test.run();
