import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { stepRecords, type StepRecord } from '../../lib/core/step-records.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { failingOnce, makeRepo, mission, missionYaml, writeFileHandler } from '../git-repo.ts';

const test = suite();

const WRITE_THEN_GATE = `mission: write_then_gate
version: "1.0"
inputs: [{name: pass, type: bool, default: true}]
outputs: []
steps:
  - {id: first, kind: runtime, operation: write_file, params: {path: a.txt, text: a}}
  - {id: second, kind: runtime, operation: write_file, params: {path: b.txt, text: b}}
  - id: gate
    kind: runtime
    operation: gate_check
    params: {condition: "{{pass}} == true", on_fail: fail}
`;

const records = (journalPath: string): StepRecord[] => stepRecords(readJournal(journalPath).entries);
const summary = (list: StepRecord[]): string[] => list.map((r) => `${r.step_id}:${r.operation_type}:${r.status}:${r.compensation_status}`);

test('a completed run gives one completed record per step, with chained state hashes and kept writes', async () => {
  const result = await runMission(mission(WRITE_THEN_GATE), { repoRoot: makeRepo(), handlers: [writeFileHandler], fsync: false });
  const list = records(result.journalPath);
  assert.equal(summary(list), ['first:write_file:completed:not_needed', 'second:write_file:completed:not_needed', 'gate:gate_check:completed:not_needed']);
  const [first, second, gate] = list as [StepRecord, StepRecord, StepRecord];
  assert.is(second.pre_state_hash, first.post_state_hash);
  assert.is.not(first.pre_state_hash, first.post_state_hash);
  assert.is(gate.pre_state_hash, gate.post_state_hash, 'a read-only step does not change the state');
  assert.ok(list.every((r) => r.completed_at !== null && r.error_message === null && r.attempt === 1 && !r.skipped));
  const hashes = new Set(readJournal(result.journalPath).entries.map((e) => e.entry_hash));
  assert.ok(list.every((r) => hashes.has(r.entry_hash)), 'each record cites a real journal entry');
});

test('a failed run marks the failing step failed and every undone write compensated', async () => {
  const result = await runMission(mission(WRITE_THEN_GATE), { repoRoot: makeRepo(), inputs: { pass: false }, handlers: [writeFileHandler], fsync: false });
  assert.is(result.status, 'failed');
  const list = records(result.journalPath);
  assert.equal(summary(list), ['first:write_file:compensated:completed', 'second:write_file:compensated:completed', 'gate:gate_check:failed:not_needed']);
  assert.match(list[2]?.error_message ?? '', 'gate');
});

test('a human step is pending while the run waits and completed once approved', async () => {
  const text = missionYaml('ask', ['{id: ask, kind: human, params: {question: ship it?}}']);
  const repo = makeRepo();
  const paused = await runMission(mission(text), { repoRoot: repo, fsync: false });
  assert.equal(summary(records(paused.journalPath)), ['ask:human:pending:not_needed']);
  const request = paused.awaiting?.request_id as string;
  const done = await resumeMission(paused.runId, { repoRoot: repo, fsync: false, decisions: [{ request_id: request, decision: 'approved', by: 'CEO' }] });
  assert.equal(summary(records(done.journalPath)), ['ask:human:completed:not_needed']);
});

test('a second attempt skips the read-only step the first completed, citing its hashes', async () => {
  const flaky = failingOnce('flaky', 'transient');
  const text = missionYaml('retry', [
  '{id: look, kind: runtime, operation: noop, params: {}}',
  '{id: try, kind: runtime, operation: flaky, params: {}}',
]);
  const repo = makeRepo();
  const m = mission(text, [flaky]);
  const failed = await runMission(m, { repoRoot: repo, handlers: [flaky], fsync: false });
  assert.is(failed.status, 'failed');
  const done = await runMission(m, { repoRoot: repo, handlers: [flaky], fsync: false });
  assert.is(done.status, 'completed');
  const list = records(done.journalPath);
  assert.equal(
    list.map((r) => `${r.attempt}:${r.step_id}:${r.status}:${r.skipped}`),
    ['1:look:completed:false', '1:try:failed:false', '2:look:completed:true', '2:try:completed:false'],
  );
  assert.is(list[2]?.operation_type, 'noop');
  assert.is(list[2]?.evidence_hash, list[0]?.evidence_hash);
});

test.run();
