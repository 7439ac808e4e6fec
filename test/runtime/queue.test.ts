// The approval queue: items joined with their runs, decisions bound to what they approve.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { sha256, type Sha256 } from '../../lib/core/canonical.ts';
import { MissionValidationError } from '../../lib/core/errors.ts';
import { RunPreconditionFailed } from '../../lib/core/run-errors.ts';
import { missionId } from '../../lib/core/store-rows.ts';
import type { Escalation } from '../../lib/runtime/engine/types.ts';
import { JournalWriter, readJournal } from '../../lib/runtime/journal.ts';
import { decideQueueItem, listQueue, pausedChanges, queueItem } from '../../lib/runtime/queue.ts';
import { DEFAULT_RUN_PATHS } from '../../lib/runtime/run-paths.ts';
import { resumeMission, runMission } from '../../lib/runtime/runner.ts';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import { failingOnce, git, makeRepo, mission, missionYaml, PACKET_THEN_ASK, repoFingerprint, writeFileHandler } from '../git-repo.ts';
import { cli, rejects } from '../helpers.ts';

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

test('resuming under the kill switch is refused before anything is recorded: the run stays waiting with its work; rejecting still ends it', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
  const entries = readJournal(paused.journalPath).entries.length;
  writeFileSync(join(repo, 'STOP_AUTONOMY'), 'stop\n');
  await rejects(
    () => resumeMission(paused.runId, { repoRoot: repo, ...options, decisions: [{ decision: 'approved', by: 'CEO' }] }),
    /^the kill switch STOP_AUTONOMY is present: run sha256:[0-9a-f]{64} stays waiting as it was, nothing was recorded; remove the kill switch to go on, or reject the request to end the run$/,
  );
  assert.is(readJournal(paused.journalPath).entries.length, entries, 'nothing journaled');
  assert.equal(listQueue({ repoRoot: repo }).map((item) => item.waiting), [true]);
  assert.ok(existsSync(join(repo, 'packet.json')), 'the work it waits with is kept');
  rmSync(join(repo, 'STOP_AUTONOMY'));
  assert.is((await resumeMission(paused.runId, { repoRoot: repo, ...options, decisions: [{ decision: 'approved', by: 'CEO' }] })).status, 'completed');

  const other = makeRepo();
  const waiting = await runMission(mission(PACKET_THEN_ASK), { repoRoot: other, ...options });
  writeFileSync(join(other, 'STOP_AUTONOMY'), 'stop\n');
  const ended = await resumeMission(waiting.runId, { repoRoot: other, ...options, decisions: [{ decision: 'rejected', by: 'CEO' }] });
  assert.ok(['failed', 'halted'].includes(ended.status), ended.status);
  assert.not.ok(existsSync(join(other, 'packet.json')), 'rejected: rolled back');
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

test('approving an escalation needs a rationale (blank is none) and is recorded as ceo_override; the run then completes past the gate', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(GATE), { repoRoot: repo, ...options });
  const [item] = listQueue({ repoRoot: repo });
  assert.equal([item?.kind, item?.node, item?.severity, item?.waiting], ['escalation', 'gate', 'critical', true]);
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: repo, ...options }), /give the rationale/);
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO', note: ' \n\t ' }, { repoRoot: repo, ...options }), /give the rationale/);
  await rejects(() => resumeMission(paused.runId, { repoRoot: repo, ...options, decisions: [{ decision: 'approved', by: 'CEO', note: '   ' }] }), /give the rationale/);
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

test('issue 15, finding 4: an escalation of a run that ended (the kill switch) is closed in the queue with how the run ended; it cannot be decided', async () => {
  const repo = makeRepo();
  writeFileSync(join(repo, 'STOP_AUTONOMY'), '');
  const halted = await runMission(mission(GATE), { repoRoot: repo, ...options });
  assert.is(halted.status, 'halted');
  assert.equal(listQueue({ repoRoot: repo }), [], 'nothing open');
  const [item] = listQueue({ repoRoot: repo, open: false });
  assert.equal([item?.kind, item?.waiting, item?.resolution, item?.resolved_by], ['escalation', false, 'closed', 'lifeos-mission']);
  assert.match(item?.notes ?? '', /^the run ended halted: .*STOP_AUTONOMY/);
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO', note: 'seen; I stopped it' }, { repoRoot: repo, ...options }), /was closed by lifeos-mission/);
  assert.is(readJournal(halted.journalPath).entries.filter((e) => e.type === 'human_decided').length, 0);
  assert.is(queueItem(item?.escalation_id as string, { repoRoot: repo }).id, item?.id);
  assert.match(readFileSync(halted.journalPath, 'utf8'), /"kill_switch"/);
});

test('a decision binds to the attempt that asked: the same run started again pauses at the same human step and at the same gate, with new open items', async () => {
  for (const [gated, step] of [[PACKET_THEN_ASK, 'ask'], [GATE, 'gate']] as const) {
    const repo = makeRepo();
    const flaky = { ...options, handlers: [writeFileHandler, failingOnce('flaky')] };
    const text = `${gated.trimEnd()}\n  - {id: after, kind: runtime, operation: flaky, params: {}}\n`;
    const first = await runMission(mission(text, flaky.handlers), { repoRoot: repo, ...flaky });
    const [asked] = listQueue({ repoRoot: repo });
    await decideQueueItem(String(asked?.id), { resolution: 'approved', by: 'CEO', note: 'go' }, { repoRoot: repo, ...flaky });
    assert.is((await resumeMission(first.runId, { repoRoot: repo, ...flaky })).status, 'failed', 'attempt 1 fails after the approval');

    const second = await runMission(mission(text, flaky.handlers), { repoRoot: repo, ...flaky });
    assert.equal([second.runId, second.status, second.awaiting?.node], [first.runId, 'awaiting_human', step], `${step}: attempt 2 asks again`);
    const [again] = listQueue({ repoRoot: repo });
    assert.ok(again && again.id !== asked?.id && again.waiting, `${step}: a new open item, waiting`);
    await decideQueueItem(String(again.id), { resolution: 'approved', by: 'CEO', note: 'go again' }, { repoRoot: repo, ...flaky });
    assert.is((await resumeMission(second.runId, { repoRoot: repo, ...flaky })).status, 'completed');
  }
});

test('issue 15, finding 4: a dirty work tree halts the run before it starts and escalates, once per state; the sink gets it too', async () => {
  const repo = makeRepo();
  writeFileSync(join(repo, 'stray.txt'), 'not committed');
  const sunk: string[] = [];
  const dirty = { ...options, escalations: (e: { reason: string }) => void sunk.push(e.reason) };
  for (let i = 0; i < 2; i++) {
    await rejects(() => runMission(mission(GATE), { repoRoot: repo, ...dirty }), (e: unknown) => e instanceof RunPreconditionFailed && /is not clean \(1 change: \?\? stray\.txt\).*\(escalated: queue item 1\)$/.test((e as Error).message));
  }
  const items = listQueue({ repoRoot: repo });
  assert.equal(items.map((item) => [item.severity, item.waiting]), [['critical', false]], 'one item for one state');
  assert.match(items[0]?.reason ?? '', /^mission gated halted before it started: the work tree .* is not clean/);
  assert.is(sunk.length, 2);
});

test('a change hidden from git status by skip-worktree or assume-unchanged is a dirty work tree too; a marked file left as it is is not', async () => {
  for (const mark of ['--skip-worktree', '--assume-unchanged']) {
    const repo = makeRepo();
    git(repo, 'update-index', mark, 'README.md');
    const clean = await runMission(mission(GATE), { repoRoot: repo, ...options });
    assert.is(clean.status, 'awaiting_human', `${mark}, unchanged: the run starts`);
    const other = makeRepo();
    git(other, 'update-index', mark, 'README.md');
    writeFileSync(join(other, 'README.md'), 'a local edit git status does not show\n');
    await rejects(() => runMission(mission(GATE), { repoRoot: other, ...options }), new RegExp(`is not clean \\(1 change: README\\.md \\(hidden by ${mark.slice(2)}: modified\\)\\)`));
    assert.is(readFileSync(join(other, 'README.md'), 'utf8'), 'a local edit git status does not show\n');
  }
});

test('an anchor log that does not verify stops a run before its first step, not after its commit; resume too', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
  writeFileSync(join(repo, 'logs/anchors.jsonl'), `${readFileSync(join(repo, 'logs/anchors.jsonl'), 'utf8')}not an anchor\n`);
  const refused = /^the anchor log logs\/anchors\.jsonl does not verify \(line 2: .*\); nothing was run/;
  await rejects(() => resumeMission(paused.runId, { repoRoot: repo, ...options, decisions: [{ decision: 'approved', by: 'CEO' }] }), refused);
  await rejects(() => runMission(mission(GATE), { repoRoot: repo, ...options }), refused);
});

test('issue 15, finding 4: a mission file that does not validate halts before it starts and escalates (spec §5.3.1), once per content; the sink gets it with no run id; the CLI names the item', async () => {
  const repo = makeRepo();
  const file = join(tempDir('invalid-mission-'), 'broken.yaml');
  writeFileSync(file, 'mission: broken\nversion: "1.0"\ninputs: []\noutputs: []\nsteps:\n  - id: a\n    kind: runtime\n    operation: tool_invok\n    params: {}\n');
  const sunk: Escalation[] = [];
  const invalid = { ...options, escalations: (e: Escalation) => void sunk.push(e) };
  for (let i = 0; i < 2; i++) {
    await rejects(() => runMission(file, { repoRoot: repo, ...invalid }), (e: unknown) => e instanceof MissionValidationError && e.queueItem === 1 && /^mission file .*broken\.yaml is invalid \(1 error\)/.test(e.message));
  }
  assert.equal(listQueue({ repoRoot: repo }).map((item) => [item.severity, item.run_id, item.waiting]), [['critical', null, false]], 'one item for one content');
  assert.equal([sunk.length, sunk[0]?.run_id, (sunk[0]?.evidence.diagnostics as Array<{ code: string }>).map((d) => d.code)], [2, null, ['E_UNKNOWN_OPERATION']]);
  const { code, stderr } = await cli('run', file, '--repo', repo);
  assert.is(code, 1);
  assert.match(stderr, /broken\.yaml:8:16: error steps\[0\]\.operation: unknown operation "tool_invok" \[E_UNKNOWN_OPERATION\][\s\S]*the mission is invalid: halted before it started and escalated \(queue item 1\)\n$/);
  writeFileSync(file, readFileSync(file, 'utf8').replace('tool_invok', 'tool_invoc'));
  await rejects(() => runMission(file, { repoRoot: repo, ...options }), (e: unknown) => e instanceof MissionValidationError && e.queueItem === 2);
  assert.ok(!existsSync(join(repo, DEFAULT_RUN_PATHS.journals)), 'no run was started');
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

test('a run_resumed appended by hand (chain correct) does not turn an approval into a queue-only acknowledgement: it is refused and the item stays open', async () => {
  const repo = makeRepo();
  const paused = await runMission(mission(PACKET_THEN_ASK), { repoRoot: repo, ...options });
  const writer = JournalWriter.open(paused.journalPath, paused.runId, { fsync: false });
  writer.append('run_resumed', { forged: true });
  writer.close();
  const [item] = listQueue({ repoRoot: repo });
  assert.is(item?.waiting, false, 'the unverified listing believes the line');
  await rejects(() => decideQueueItem(String(item?.id), { resolution: 'approved', by: 'CEO' }, { repoRoot: repo, ...options }), /is not waiting for a decision/);
  assert.is(listQueue({ repoRoot: repo })[0]?.resolution, null, 'still open, undecided');
});

test('issue 18: among many runs, each queued row is joined with its own run, read from its journal; a row whose run is gone or whose short id is ambiguous is shown without one', () => {
  const repo = makeRepo();
  const store = openStateStore({ repoRoot: repo });
  const at = '2026-01-01T00:00:00.000Z';
  const queue = (escalation: Sha256, run: Sha256): void =>
    void store.queueEscalation({ escalation_id: escalation, mission_id: missionId('gated', run, 1), reason: `gate failed in ${run.slice(7, 19)}`, severity: 'critical', created_at: at, resolved_at: null, resolution: null, resolved_by: null, notes: null });
  /** A run that escalated and paused on it; `finished`: it was ended since (rejected and rolled back). */
  const run = (name: string, finished = false, hex = sha256(name).slice(7)): { run: Sha256; escalation: Sha256 } => {
    const id = `sha256:${hex}` as Sha256;
    const escalation = sha256(`escalation of ${name}`);
    mkdirSync(join(repo, DEFAULT_RUN_PATHS.journals, hex), { recursive: true });
    const writer = JournalWriter.open(join(repo, DEFAULT_RUN_PATHS.journals, hex, 'journal.jsonl'), id, { fsync: false });
    writer.append('run_started', { attempt: 1, mission: 'gated', baseline: {} });
    writer.append('operation_finished', { node: 'look', output: { big: 'x'.repeat(2000) } });
    writer.append('escalated', { escalation_id: escalation, node: `gate_${name}`, reason: 'gate failed', severity: 'critical', evidence: { run: name } });
    writer.append('human_requested', { request_id: escalation, node: `gate_${name}`, kind: 'escalation', reason: 'gate failed', severity: 'critical', evidence: { run: name } });
    writer.append('run_paused', { request_id: escalation, node: `gate_${name}`, state: {} });
    if (finished) writer.append('run_finished', { status: 'failed' });
    writer.close();
    return { run: id, escalation };
  };
  try {
    const runs = Array.from({ length: 30 }, (_, i) => run(`run ${i}`, i % 5 === 4));
    for (const { run: id, escalation } of runs) queue(escalation, id);
    const gone = sha256('a run whose folder was removed');
    queue(sha256('escalation of the removed run'), gone);
    // Two folders share the 12 digits a row keeps of its run id: the row cannot tell which is its run.
    const twin = run('twin a', false, `${'ab'.repeat(6)}${sha256('twin a').slice(19)}`);
    run('twin b', false, `${'ab'.repeat(6)}${sha256('twin b').slice(19)}`);
    queue(twin.escalation, twin.run);
    const items = listQueue({ repoRoot: repo, store });
    assert.is(items.length, 32);
    for (const [i, { run: id }] of runs.entries()) {
      const item = items[i];
      assert.equal([item?.run_id, item?.node, item?.kind, item?.waiting, item?.request], [id, `gate_run ${i}`, 'escalation', i % 5 !== 4, { reason: 'gate failed', severity: 'critical', evidence: { run: `run ${i}` } }], `run ${i}`);
    }
    for (const unjoined of items.slice(30)) assert.equal([unjoined.run_id, unjoined.node, unjoined.waiting, unjoined.request], [null, null, false, null], unjoined.mission_id ?? '');
    assert.equal(queueItem(String(items[3]?.id), { repoRoot: repo, store }), items[3], 'one item is joined as in the list');
  } finally {
    store.close();
  }
});

test.run();
