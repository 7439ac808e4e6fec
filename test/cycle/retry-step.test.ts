// Issue 15, finding 2 (second half): an escalation raised by a model reply that stayed invalid
// has nothing a CEO override could let stand. Approving it is refused with the way out; `retry`
// runs the step again (a new call), and the cycle goes on to its commit. The real cycle, the
// scripted model on 127.0.0.1 in record mode.
import { readFileSync } from 'node:fs';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { decideQueueItem, listQueue } from '../../lib/runtime/queue.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { resultText } from '../../lib/cli/run-report.ts';
import { cli, rejects } from '../helpers.ts';

const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
/** The scripted model in `scenario`, the hello repository, and the options of a record-mode cycle between them. */
async function helloCycle(scenario: string) {
  const model = await startScriptedModel(scenario);
  const repo = createHelloRepo(tempDir('hello-retry-'), { initRepository, withFixtures: false });
  return { model, repo, options: { repoRoot: repo, inputs, fsync: false, mode: 'record' as const, agent: { baseURL: model.url, apiKey: 'scripted' } } };
}

const it = suite('retrying a step whose model reply stayed invalid');

it('approving is refused and names --retry; retry calls the model again and the cycle commits; the item is resolved retry', async () => {
  const { model, repo, options } = await helloCycle('design_invalid_twice');
  try {
    const paused = await runMission('autonomous_build_cycle', options);
    assert.is(paused.status, 'awaiting_human');
    assert.is(paused.escalation?.node, 'design/design');
    const [item] = listQueue({ repoRoot: repo });
    await rejects(
      () => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'ceo', note: 'go on' }, options),
      /cannot be approved: its step produced nothing a CEO override could let stand; run the step again \(`lifeos-mission resume [0-9a-f]{12} --retry`\) or reject it/,
    );
    await rejects(() => resumeMission(paused.runId, { ...options, decisions: [{ decision: 'approved', by: 'ceo', note: 'go on' }] }), /cannot be approved/);
    const designerCalls = (): number => model.calls.filter((role) => role === 'designer').length;
    assert.is(designerCalls(), 2);
    const done = await resumeMission(paused.runId, { ...options, decisions: [{ decision: 'retry', by: 'ceo' }] });
    assert.is(done.status, 'completed', JSON.stringify(done.error ?? done.escalation));
    assert.is(designerCalls(), 3, 'the step ran again: one more call');
    const decided = listQueue({ repoRoot: repo, open: false }).find((row) => row.escalation_id === item?.escalation_id);
    assert.equal([decided?.resolution, decided?.resolved_by], ['retry', 'ceo']);
  } finally {
    await model.close();
  }
});

it('`queue show` offers retry, not approve; `queue retry` records it and `resume` runs the step again to the commit', async () => {
  const { model, repo, options } = await helloCycle('design_invalid_twice');
  try {
    const paused = await runMission('autonomous_build_cycle', options);
    assert.equal(paused.awaiting, { request_id: paused.escalation?.escalation_id as string, node: 'design/design', kind: 'escalation', retry_only: true });
    assert.match(resultText(paused, repo), /\n {2}next +lifeos-mission queue show [0-9a-f]{12}, then queue retry \(its step produced nothing to approve\) or reject, then lifeos-mission resume /);
    const shown = await cli('queue', 'show', '1', '--repo', repo);
    assert.match(shown.stdout, /\nDecide: lifeos-mission queue retry 1 \| reject 1 \| defer 1\n$/);
    const retried = await cli('queue', 'retry', '1', '--by', 'ceo', '--repo', repo);
    assert.is(retried.code, 0, retried.stderr);
    assert.is(retried.stdout, `queue item 1 retried by ceo; the run can go on: lifeos-mission resume ${paused.runId.slice(7, 19)}\n`);
    const done = await resumeMission(paused.runId, options);
    assert.is(done.status, 'completed', JSON.stringify(done.error ?? done.escalation));
    assert.is(model.calls.filter((role) => role === 'designer').length, 3);
    assert.is((await cli('queue', 'retry', '1', '--repo', repo)).code, 1, 'a decision is final');
  } finally {
    await model.close();
  }
});

it('a human step, or an escalation a CEO may override, cannot be retried', async () => {
  const { model, options } = await helloCycle('design_seat_reject');
  try {
    const paused = await runMission('autonomous_build_cycle', options);
    assert.is(paused.escalation?.node, 'gate_design_approval');
    await rejects(() => resumeMission(paused.runId, { ...options, decisions: [{ decision: 'retry', by: 'ceo' }] }), /cannot be retried: only an escalation whose step produced nothing/);
    const refused = await cli('queue', 'retry', '1', '--repo', options.repoRoot);
    assert.equal([refused.code, /cannot be retried: only an escalation whose step produced nothing/.test(refused.stderr)], [2, true]);
  } finally {
    await model.close();
  }
});

it.run();
