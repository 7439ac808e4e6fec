// Issue 15, finding 3: what a run can be told is wrong before its first step (and its first paid
// call) is found then: a task that is not an open backlog item, a test command that is not
// installed, no API key for a live run. A step that will not run (its `when` decided false by
// the inputs) is not checked.
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
import type { MissionResult } from '../../lib/runtime/engine/types.ts';
import { detectTestCommand } from '../../lib/tools/test-command.ts';
import { git } from '../git-repo.ts';

const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const it = suite('pre-flight (issue 15, finding 3)');

/** The hello cycle, its repository changed by `prepare`, in record mode against the scripted model; the result and the model's calls. */
async function cycleWith(given: Record<string, unknown>, prepare: (repo: string) => string): Promise<{ error: unknown; calls: number; result?: MissionResult }> {
  const model = await startScriptedModel('happy');
  const repo = prepare(createHelloRepo(tempDir('hello-preflight-'), { initRepository, withFixtures: false }));
  try {
    const result = await runMission('autonomous_build_cycle', { repoRoot: repo, inputs: given, fsync: false, mode: 'record', agent: { baseURL: model.url, apiKey: 'scripted' } });
    return { error: undefined, calls: model.calls.length, result };
  } catch (error) {
    return { error, calls: model.calls.length };
  } finally {
    await model.close();
  }
}

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
  assert.match(String((error as Error)?.message), /steps build\/run_tests and fix_build\/run_tests: the test command starts "no-such-test-runner", which is not installed here \(not on PATH\); give one that is/);
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
      /the run was not resumed, no decision was recorded, nothing was called: steps build\/invoke_builder, review_output\/run_seats\[architect\] and 12 more: mode record calls the model, and there is no API key/,
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

it('an unknown builder is refused before the first model call; opencode is another name for coding_agent (its agent is then checked)', async () => {
  const unknown = await cycle({ builder: 'claude' });
  assert.match(String((unknown.error as Error)?.message), /steps build\/check_builder and fix_build\/check_builder: the gate's condition is false with the inputs given: builder must be llm, coding_agent or opencode/);
  assert.is(unknown.calls, 0);
  const alias = await cycle({ builder: 'opencode', agent_command: ['no-such-agent', 'run'] });
  assert.match(String((alias.error as Error)?.message), /steps build\/invoke_coding_agent and fix_build\/invoke_coding_agent: the coding agent starts "no-such-agent", which is not installed here/);
  assert.not.match(String((alias.error as Error)?.message), /check_builder/);
  assert.is(alias.calls, 0);
});

it('test_command [auto] (the default) is detected from the repository: npm test from package.json; nothing to detect is refused before the first call', async () => {
  const { test_command: _given, ...withoutTests } = inputs;
  const detected = await cycleWith(withoutTests, (repo) => repo);
  assert.is(detected.error, undefined, String(detected.error));
  const report = (detected.result?.outputs?.cycle_report as { review_packet: { payload: { test_result: { command: string; passed: boolean } } } }).review_packet.payload.test_result;
  assert.equal([report.command, report.passed], ['npm test', true]);
  assert.match(readFileSync(detected.result?.journalPath as string, 'utf8'), '"detected_from":"package.json"');
  const none = await cycleWith(withoutTests, (repo) => {
    writeFileSync(join(repo, 'package.json'), '{"name": "hello", "type": "module"}\n');
    git(repo, 'commit', '-qam', 'no test script');
    return repo;
  });
  assert.match(String((none.error as Error)?.message), /steps build\/run_tests and fix_build\/run_tests: the test command is \[auto\], and no test command could be detected/);
  assert.is(none.calls, 0);
});

it('test commands detected from each kind of project, first match wins', () => {
  const project = (files: Record<string, string>): string => {
    const dir = tempDir('detect-');
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const detect = (files: Record<string, string>) => detectTestCommand(project(files));
  assert.equal(detect({ 'package.json': '{"scripts":{"test":"vitest"}}', 'pytest.ini': '' }), { command: ['npm', 'test'], from: 'package.json' });
  assert.equal(detect({ 'package.json': '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}', 'pyproject.toml': '[tool.pytest.ini_options]\n' }), { command: ['pytest'], from: 'pyproject.toml' });
  assert.equal(detect({ 'pyproject.toml': '[tool.black]\n', 'setup.cfg': '[tool:pytest]\n' }), { command: ['pytest'], from: 'setup.cfg' });
  assert.equal(detect({ 'Cargo.toml': '[package]\n' }), { command: ['cargo', 'test'], from: 'Cargo.toml' });
  assert.equal(detect({ 'go.mod': 'module x\n' }), { command: ['go', 'test', './...'], from: 'go.mod' });
  assert.equal(detect({ Makefile: 'build:\n\ttrue\ntest: build\n\ttrue\n' }), { command: ['make', 'test'], from: 'Makefile' });
  assert.is(detect({ 'package.json': 'not json', Makefile: 'all:\n' }), null);
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

it('an empty test command or coding agent command is refused before the first model call', async () => {
  for (const extra of [{ test_command: [] }, { test_command: [''] }, { builder: 'opencode', agent_command: [] }]) {
    const { error, calls } = await cycle(extra);
    assert.match(String((error as Error)?.message), /the (test command|coding agent) is \[(""|)\]: it must start with the program to run/, JSON.stringify(extra));
    assert.is(calls, 0, JSON.stringify(extra));
  }
});

it('a BACKLOG.md committed as a symbolic link (out of the repository) is refused before the first model call', async () => {
  const outside = join(tempDir('outside-backlog-'), 'BACKLOG.md');
  writeFileSync(outside, `# Backlog\n\n- [ ] ${String(inputs.task_spec)}\n`);
  const { error, calls } = await cycleWith(inputs, (repo) => {
    rmSync(join(repo, 'BACKLOG.md'));
    symlinkSync(outside, join(repo, 'BACKLOG.md'));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'the backlog as a link');
    return repo;
  });
  assert.match(String((error as Error)?.message), /step steward\/record_completion: BACKLOG\.md is not a regular file \(a symbolic link\), so the steward cannot tick the task in it/);
  assert.is(calls, 0);
});

it.run();
