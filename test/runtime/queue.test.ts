// The approval queue: items joined with their runs, decisions bound to what they approve.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { RunPreconditionFailed } from '../../lib/core/run-errors.ts';
import { JournalWriter, readJournal } from '../../lib/runtime/journal.ts';
import { decideQueueItem, listQueue, pausedChanges, queueItem } from '../../lib/runtime/queue.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { makeRepo, mission, missionYaml, PACKET_THEN_ASK, repoFingerprint, writeFileHandler } from '../git-repo.ts';
import { rejects } from '../helpers.ts';

const test = suite();

const GATE = missionYaml('gated', [
  '{id: write, kind: runtime, operation: write_file, params: {path: out.txt, text: made}}',
  '{id: gate, kind: runtime, operation: gate_check, params: {condition: "1 == 2", on_fail: escalate}}',
]);

const options = { handlers: [writeFileHandler], fsync: false };

test('a paused human step is queued, waiting, with its step and params; approving it lets resume complete the run', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
  const [item] = listQueue({ repoRoot: repo });
  assert.ok(item);
  assert.equal([item.kind, item.node, item.waiting, item.run_id, item.severity], ['human', 'ask', true, paused.runId, 'info']);
  assert.equal(item.request, { params: { question: 'ship packet.json?', packet: { wrote: 'packet.json' } } });
  assert.match(pausedChanges(item, { repoRoot: repo }) ?? '', '+{"plan": "v1"}');
  const decided = await decideQueueItem(String(item.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: repo, ...options });
  assert.equal([decided.resolution, decided.resolved_by], ['approved', 'CEO']);
  assert.equal(listQueue({ repoRoot: repo }), [], 'decided items leave the open queue');
  const decision = readJournal(paused.journalPath).entries.find((e) => e.type === 'human_decided');
  assert.match(String(decision?.data.content_hash), /^sha256:/);
  const done = await resumeMission(paused.runId, { repoRoot: repo, ...options });
  assert.is(done.status, 'completed');
});

test('editing the packet after approval makes resume refuse, naming the file; editing it before makes the approval refuse', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
  const [item] = listQueue({ repoRoot: repo });
  await decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: repo, ...options });
  writeFileSync(join(repo, 'packet.json'), '{"plan": "v2, not what was approved"}');
  await rejects(() => resumeMission(paused.runId, { repoRoot: repo, ...options }), (e: unknown) => e instanceof RunPreconditionFailed && /changed: packet\.json/.test((e as Error).message));

  const other = makeRepo();
  const again = await runMission(mission(PACKET_THEN_ASK), { repoRoot: other, ...options });
  writeFileSync(join(other, 'packet.json'), '{"plan": "edited while waiting"}');
  const [waiting] = listQueue({ repoRoot: other });
  await rejects(
    () => decideQueueItem(String(waiting?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: other, ...options }),
    (e: unknown) => e instanceof RunPreconditionFailed && /cannot record a decision .*\(changed: packet\.json\)/.test((e as Error).message),
  );
  assert.is(readJournal(again.journalPath).entries.filter((e) => e.type === 'human_decided').length, 0);
});

test('approving an escalation needs a rationale and is recorded as ceo_override; the run then completes past the gate', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(GATE), { repoRoot: repo, ...options });
  const [item] = listQueue({ repoRoot: repo });
  assert.equal([item?.kind, item?.node, item?.severity, item?.waiting], ['escalation', 'gate', 'critical', true]);
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: repo, ...options }), /give the rationale/);
  await decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO', note: 'the gate is wrong here' }, { repoRoot: repo, ...options });
  const decision = readJournal(paused.journalPath).entries.find((e) => e.type === 'human_decided');
  assert.equal([decision?.data.ceo_override, decision?.data.note], [true, 'the gate is wrong here']);
  const done = await resumeMission(paused.runId, { repoRoot: repo, ...options });
  assert.is(done.status, 'completed');
});

test('a deferred item stays open; rejecting it later ends the run on resume with everything rolled back', async () => {
  const repo = makeRepo();
  const before = repoFingerprint(repo);
  const paused = await runMission(mission(GATE), { repoRoot: repo, ...options });
  const [item] = listQueue({ repoRoot: repo });
  const deferred = await decideQueueItem(String(item?.id), { resolution: 'deferred', by: 'CEO', note: 'next week' }, { repoRoot: repo, ...options });
  assert.is(deferred.resolution, 'deferred');
  assert.is(listQueue({ repoRoot: repo }).length, 1, 'still open');
  await decideQueueItem(String(item?.id), { resolution: 'rejected', by: 'CEO', note: 'no' }, { repoRoot: repo, ...options });
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO', note: 'changed my mind' }, { repoRoot: repo, ...options }), /a decision is final/);
  const ended = await resumeMission(paused.runId, { repoRoot: repo, ...options });
  assert.is(ended.status, 'failed');
  assert.is(repoFingerprint(repo), before);
});

test('an escalation no run waits for (the kill switch) is acknowledged in the queue only', async () => {
  const repo = makeRepo();
  writeFileSync(join(repo, 'STOP_AUTONOMY'), '');
  const halted = await runMission(mission(GATE), { repoRoot: repo, ...options });
  assert.is(halted.status, 'halted');
  const [item] = listQueue({ repoRoot: repo });
  assert.equal([item?.kind, item?.waiting], ['escalation', false]);
  const acknowledged = await decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO', note: 'seen; I stopped it' }, { repoRoot: repo, ...options });
  assert.is(acknowledged.resolution, 'approved');
  assert.is(readJournal(halted.journalPath).entries.filter((e) => e.type === 'human_decided').length, 0);
  assert.is(queueItem(item?.escalation_id as string, { repoRoot: repo }).id, item?.id);
  assert.match(readFileSync(halted.journalPath, 'utf8'), /"kill_switch"/);
});

test('issue 14, finding 4: a forged approval appended with a correct chain is refused at resume: the run halts with a critical escalation naming the mismatch', async () => {
  for (const forge of ['wrong content hash', 'no queue decision']) {
    const repo = makeRepo();
    const made = [repo];
    try {
      const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
      const before = readJournal(paused.journalPath).entries;
      const request = before.find((e) => e.type === 'human_requested');
      let contentHash = `sha256:${'0'.repeat(64)}`;
      if (forge === 'no queue decision') {
        // The right content hash, computed as the engine does, but nothing decided in the queue.
        const other = makeRepo();
        made.push(other);
        const twin = await runMission(mission(PACKET_THEN_ASK), { repoRoot: other, ...options });
        const [item] = listQueue({ repoRoot: other });
        await decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: other, ...options });
        contentHash = String(readJournal(twin.journalPath).entries.find((e) => e.type === 'human_decided')?.data.content_hash);
      }
      const writer = JournalWriter.open(paused.journalPath, paused.runId, { fsync: false });
      writer.append('human_decided', { request_id: request?.data.request_id, decision: 'approved', by: 'CEO', note: null, content_hash: contentHash, ceo_override: false });
      writer.close();
      const result = await resumeMission(paused.runId, { repoRoot: repo, ...options });
      assert.is(result.status, 'halted', forge);
      assert.is(result.escalation?.severity, 'critical', forge);
      assert.match(result.escalation?.reason ?? '', forge === 'wrong content hash' ? /is bound to sha256:0{64}, but the request and the state it paused in hash to sha256:/ : /has no matching decision in the queue/, forge);
      assert.not.ok(existsSync(join(repo, 'packet.json')), `${forge}: rolled back`);
    } finally {
      for (const folder of made) rmSync(folder, { recursive: true, force: true });
    }
  }
});

test.run();
