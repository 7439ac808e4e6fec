// `lifeos-mission queue | status | store rebuild` against real repositories, on both store back ends.
import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import { makeRepo, missionYaml } from '../git-repo.ts';
import { cli } from '../helpers.ts';

const GATED = join(tempDir('lifeos-mission-'), 'gated.yaml');
writeFileSync(
  GATED,
  missionYaml('gated', [
  '{id: look, kind: runtime, operation: noop, params: {}}',
  '{id: gate, kind: runtime, operation: gate_check, params: {condition: "1 == 2", on_fail: escalate}}',
]),
);

for (const backend of ['lowdb', 'sqlite'] as const) {
  const it = suite(`lifeos-mission queue (${backend})`);

  it('list, show, approve with a rationale, then resume completes the run; status shows each stage', async () => {
    const repo = makeRepo();
    const paused = await cli('run', GATED, '--repo', repo, '--store', backend);
    assert.is(paused.code, 1);
    assert.match(paused.stdout, /… gate +escalation +awaiting the CEO's decision/);
    const list = await cli('queue', 'list', '--repo', repo);
    assert.is(list.code, 0);
    assert.match(list.stdout, /^id +raised +severity +run +step +state +reason\n1 +\S+ \S+ +critical +[0-9a-f]{12} +gate +open, run waits +gate gate failed: condition is false\n$/);
    const show = await cli('queue', 'show', '1', '--repo', repo);
    assert.match(show.stdout, /run +sha256:[0-9a-f]{64} \(paused: it waits for this decision\)/);
    assert.match(show.stdout, /Evidence:\n[\s\S]*"detail": "condition is false"/);
    const status = await cli('status', '--repo', repo, '--format', 'json');
    const parsed = JSON.parse(status.stdout) as { lock: { state: string }; kill_switch: { present: boolean }; store: { backend: string }; open_escalations: unknown[]; runs: Array<{ status: string }> };
    assert.equal([parsed.lock.state, parsed.kill_switch.present, parsed.store.backend, parsed.open_escalations.length, parsed.runs[0]?.status], ['free', false, backend, 1, 'escalated']);
    const noRationale = await cli('queue', 'approve', '1', '--repo', repo);
    assert.is(noRationale.code, 2);
    assert.match(noRationale.stderr, /give the rationale/);
    const approved = await cli('queue', 'approve', '1', '--by', 'ceo', '--note', 'the gate is wrong here', '--repo', repo);
    assert.is(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /^queue item 1 approved by ceo; the run can go on: lifeos-mission resume ([0-9a-f]{12})\n$/);
    const again = await cli('queue', 'reject', '1', '--repo', repo);
    assert.is(again.code, 1);
    assert.match(again.stderr, /a decision is final/);
    const runId = /resume ([0-9a-f]{12})/.exec(approved.stdout)?.[1] as string;
    const done = await cli('resume', runId, '--repo', repo);
    assert.is(done.code, 0, done.stdout + done.stderr);
    assert.match(done.stdout, /✓ gate +ceo override +passed by ceo: the gate is wrong here\n/);
    const after = await cli('status', '--repo', repo);
    assert.match(after.stdout, /nothing waits for a decision\n/);
    assert.match(after.stdout, /last runs:\n {2}gated@[0-9a-f]{12}\/1 +completed/);
    assert.is((await cli('queue', 'list', '--repo', repo)).stdout, 'nothing waits for a decision\n');
    assert.match((await cli('queue', 'list', '--all', '--repo', repo)).stdout, /approved +gate gate failed/);
  });

  it('store rebuild re-derives the same runs and step logs from the journals', async () => {
    const repo = makeRepo();
    await cli('run', GATED, '--repo', repo, '--store', backend);
    await cli('resume', (await cli('status', '--repo', repo, '--format', 'json')).stdout.match(/"run_id_deterministic": "sha256:([0-9a-f]{12})/)?.[1] as string, '--reject', '--by', 'ceo', '--repo', repo);
    const snapshot = () => {
      const store = openStateStore({ repoRoot: repo });
      const runs = store.runs().map(({ id: _id, ...run }) => run);
      const steps = runs.flatMap((run) => store.stepLogs(run.mission_id).map(({ id: _id, ...step }) => step));
      store.close();
      return { runs, steps };
    };
    const before = snapshot();
    assert.is(before.runs[0]?.status, 'failed');
    assert.ok(before.steps.length >= 2);
    const path = openStateStore({ repoRoot: repo }).path;
    renameSync(path, `${path}.lost`);
    const rebuilt = await cli('store', 'rebuild', '--repo', repo, '--store', backend);
    assert.is(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, /from 1 journals: 1 runs, \d+ step logs\n$/);
    assert.equal(snapshot(), before);
  });

  it.run();
}

const usage = suite('queue, status and store usage errors');

usage('unknown action, a missing id, an unknown item, a bad --store', async () => {
  const repo = makeRepo();
  assert.is((await cli('queue', 'frobnicate', '--repo', repo)).code, 2);
  assert.is((await cli('queue', 'show', '--repo', repo)).code, 2);
  const unknown = await cli('queue', 'show', '42', '--repo', repo);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /no item 42 in the queue/);
  assert.is((await cli('status', '--store', 'mongo', '--repo', repo)).code, 2);
  assert.is((await cli('store', 'compact', '--repo', repo)).code, 2);
  assert.is((await cli('status', '--repo', tmpdir())).code, 2);
});

usage.run();
