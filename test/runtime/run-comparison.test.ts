// What compareRuns counts as the same decision (runtime/run-comparison.ts): commits and
// run-derived ids pair by place, but only values shaped like them; a packet's own fields named
// like audit metadata are compared.
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import type { JournalEntry } from '../../lib/core/journal-chain.ts';
import { compareEntries } from '../../lib/runtime/run-comparison.ts';

const it = suite('run comparison');
const entry = (seq: number, type: string, data: Record<string, unknown>): JournalEntry => ({ seq, type, at: `2026-01-01T00:00:0${seq}Z`, run_id: 'sha256:x', data } as unknown as JournalEntry);
const hex = (c: string): string => c.repeat(40);

it('commits made by the runs pair one to one; the same commit standing for two is a divergence', () => {
  const run = (a: string, b: string) => [entry(1, 'operation_finished', { node: 'commit', output: { commit_hash: a } }), entry(2, 'run_finished', { final_state: { head: b } })];
  assert.equal(compareEntries(run(hex('a'), hex('a')), run(hex('b'), hex('b'))), { same: true });
  const crossed = compareEntries(run(hex('a'), hex('a')), run(hex('b'), hex('c')));
  assert.is(crossed.same, false);
});

it('a field named like a name but holding a plain value is compared as a value', () => {
  const run = (decision: string) => [entry(1, 'operation_finished', { node: 'decide', output: { commit: decision } })];
  const result = compareEntries(run('deploy'), run('hold'));
  assert.is(result.same, false);
  assert.match(result.same ? '' : result.message, /output\.commit differs at character 1: "deploy" recorded, "hold" replayed/);
});

it("run_started's mode is audit metadata; a packet's mode is a decision", () => {
  const start = (mode: string) => [entry(1, 'run_started', { mode, run_id_audit: mode })];
  assert.equal(compareEntries(start('record'), start('replay')), { same: true });
  const packet = (mode: string) => [entry(1, 'operation_finished', { node: 'decide', output: { mode } })];
  assert.is(compareEntries(packet('M1_STANDARD'), packet('M0_FAST')).same, false);
});

it.run();
