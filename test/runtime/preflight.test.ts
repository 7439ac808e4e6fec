// Issue 15, finding 3: what a run can be told is wrong before its first step (and its first paid
// call) is found then: a task that is not an open backlog item, a test command that is not
// installed, no API key for a live run. A step that will not run (its `when` decided false by
// the inputs) is not checked.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { evaluateKnown } from '../../lib/core/condition-eval.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { rejects } from '../helpers.ts';
import { markDone } from '../../lib/core/backlog.ts';

const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const it = suite('pre-flight (issue 15, finding 3)');

/** The hello cycle in record mode against the scripted model; the model's calls are counted. */
async function cycle(extra: Record<string, unknown>, options: { apiKey?: string; mode?: 'record' | 'live' } = {}): Promise<{ error: unknown; calls: number; repo: string }> {
  const model = await startScriptedModel('happy');
  const repo = createHelloRepo(tempDir('hello-preflight-'), { initRepository, withFixtures: false });
  try {
    await runMission('autonomous_build_cycle', { repoRoot: repo, inputs: { ...inputs, ...extra }, fsync: false, mode: options.mode ?? 'record', agent: { baseURL: model.url, ...(options.apiKey === '' ? {} : { apiKey: options.apiKey ?? 'scripted' }) } });
    return { error: undefined, calls: model.calls.length, repo };
  } catch (error) {
    return { error, calls: model.calls.length, repo };
  } finally {
    await model.close();
  }
}

it('a task that is not an open BACKLOG.md item is refused before the first model call, naming the step and what to pass', async () => {
  const { error, calls, repo } = await cycle({ task_spec: 'Add a shout(name) function' });
  assert.match(String((error as Error)?.message), /the run was not started, nothing was called: step steward\/record_completion: the task "Add a shout\(name\) function" is not an open item of BACKLOG\.md/);
  assert.is(calls, 0, 'no model call');
  assert.not.ok(existsSync(join(repo, 'logs/mission_journals')), 'no run was journaled');
});

it('a test command that is not installed is refused before the first model call', async () => {
  const { error, calls } = await cycle({ test_command: ['no-such-test-runner', '-q'] });
  assert.match(String((error as Error)?.message), /step build\/run_tests: the test command starts "no-such-test-runner", which is not installed here \(not on PATH\); give one that is/);
  assert.is(calls, 0);
});

it('a live run without an API key is refused before the first model call; the coding agent of a builder=llm run is not checked', async () => {
  const saved = process.env.OPENROUTER_API_KEY;
  delete process.env.OPENROUTER_API_KEY;
  try {
    const { error, calls } = await cycle({ agent_command: ['no-such-agent'] }, { apiKey: '', mode: 'live' });
    const message = String((error as Error)?.message);
    assert.match(message, /mode live calls the model, and there is no API key: set OPENROUTER_API_KEY/);
    assert.not.match(message, /no-such-agent/, 'the coding agent step will not run (builder is llm)');
    assert.is(calls, 0);
  } finally {
    if (saved !== undefined) process.env.OPENROUTER_API_KEY = saved;
  }
});

it('the same cycle with a listed task, an installed test command and a key runs to its commit', async () => {
  const { error, calls } = await cycle({});
  assert.is(error, undefined);
  assert.ok(calls > 0);
});

it('a paused cycle resumed without the API key its remaining calls need is refused before the approval is recorded; with the key it goes on', async () => {
  const model = await startScriptedModel('design_seat_reject');
  const repo = createHelloRepo(tempDir('hello-preflight-'), { initRepository, withFixtures: false });
  const saved = process.env.OPENROUTER_API_KEY;
  delete process.env.OPENROUTER_API_KEY;
  try {
    const options = { repoRoot: repo, inputs, fsync: false, mode: 'record' as const };
    const paused = await runMission('autonomous_build_cycle', { ...options, agent: { baseURL: model.url, apiKey: 'scripted' } });
    assert.is(paused.status, 'awaiting_human');
    const calls = model.calls.length;
    const approve = [{ decision: 'approved' as const, by: 'ceo', note: 'the risk is accepted' }];
    await rejects(
      () => resumeMission(paused.runId, { ...options, agent: { baseURL: model.url }, decisions: approve }),
      /the run was not resumed, no decision was recorded, nothing was called: step build\/invoke_builder: mode record calls the model, and there is no API key/,
    );
    assert.is(model.calls.length, calls);
    assert.not.match(readFileSync(paused.journalPath, 'utf8'), '"human_decided"');
    const done = await resumeMission(paused.runId, { ...options, agent: { baseURL: model.url, apiKey: 'scripted' }, decisions: approve });
    assert.is(done.status, 'completed', JSON.stringify(done.error));
  } finally {
    if (saved !== undefined) process.env.OPENROUTER_API_KEY = saved;
    await model.close();
  }
});

it('backlog items: "- [ ]" and "* [ ]" checkboxes and "TODO:" lines are open; they are marked "- [x]" and "DONE:"', () => {
  assert.is(markDone('# Backlog\n- [ ] one\n  * [ ] two\nTODO: three\n- [x] four\n', 'two'), '# Backlog\n- [ ] one\n  * [x] two\nTODO: three\n- [x] four\n');
  assert.is(markDone('TODO: three\n', 'three'), 'DONE: three\n');
  assert.is(markDone('- [x] four\nDONE: five\n', 'four'), null);
  assert.is(markDone('DONE: five\n', 'five'), null);
});

it('a condition is decided before the run when its known values decide it, whatever the unknown ones are', () => {
  const and = { and: [{ '==': [{ var: '0' }, 'coding_agent'] }, { in: [{ var: '1' }, ['none', 'fix_required']] }] };
  assert.is(evaluateKnown(and, [{ value: 'llm' }, undefined]), false);
  assert.is(evaluateKnown(and, [{ value: 'coding_agent' }, undefined]), undefined);
  assert.is(evaluateKnown(and, [{ value: 'coding_agent' }, { value: 'none' }]), true);
  assert.is(evaluateKnown({ or: [{ var: '0' }, { '==': [{ var: '1' }, 1] }] }, [undefined, { value: 1 }]), true);
  assert.is(evaluateKnown({ '!': [{ '==': [{ var: '0' }, 1] }] }, [{ value: 1 }]), false);
});

it.run();
