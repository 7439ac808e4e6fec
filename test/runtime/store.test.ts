// The state store: one suite, run against both back ends (lowdb and SQLite).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import type { Sha256 } from '../../lib/core/canonical.ts';
import type { EscalationRecord, MissionRunRecord, RunRows, StepLogRecord } from '../../lib/core/store-rows.ts';
import { openStateStore } from '../../lib/runtime/store/open-store.ts';
import { StoreConflict, StoreCorrupt, type StateStore, type StoreBackend } from '../../lib/runtime/store/state-store.ts';

const hash = (n: number): Sha256 => `sha256:${n.toString(16).padStart(64, '0')}`;

function runRows(missionId: string, at: string, status: MissionRunRecord['status'], steps: string[]): RunRows {
  const run: MissionRunRecord = {
    mission_id: missionId,
    run_id_deterministic: hash(1),
    run_id_audit: 'uuid',
    mission_type: missionId.split('@')[0] as string,
    status,
    started_at: at,
    completed_at: null,
    baseline_commit: 'abc',
    result_commit: null,
    governance_baseline_hash: hash(2),
    escalation_reason: null,
    evidence_bundle_path: null,
    created_at: at,
  };
  const stepRows: StepLogRecord[] = steps.map((step) => ({
    mission_id: missionId,
    step_id: step,
    operation_type: 'noop',
    status: 'completed',
    started_at: at,
    completed_at: at,
    pre_state_hash: hash(3),
    post_state_hash: hash(3),
    evidence_hash: null,
    error_message: null,
    compensation_status: 'not_needed',
    prev_entry_hash: hash(4),
    entry_hash: hash(5),
  }));
  return { run, steps: stepRows };
}

function escalation(n: number, at: string): EscalationRecord {
  return { escalation_id: `sha256:${String(n).repeat(64).slice(0, 64)}`, mission_id: 'm@1/1', reason: `reason ${n}`, severity: 'critical', created_at: at, resolved_at: null, resolution: null, resolved_by: null, notes: null };
}

const decide = (resolution: 'approved' | 'rejected' | 'deferred') => ({ resolution, resolved_by: 'CEO', resolved_at: '2026-01-02T00:00:00.000Z', notes: null });

function storeSuite(backend: StoreBackend): void {
  const it = suite(`state store (${backend})`);
  const fresh = (): { store: StateStore; repo: string } => {
    const repo = tempDir('lifeos-store-');
    return { store: openStateStore({ repoRoot: repo, backend }), repo };
  };

  it('saveRun inserts a run once and replaces its row and step logs on each save', () => {
    const { store } = fresh();
    store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a']));
    store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['a', 'b']));
    const runs = store.runs();
    assert.is(runs.length, 1);
    assert.is(runs[0]?.status, 'completed');
    assert.equal(store.stepLogs('m@1/1').map((s) => s.step_id), ['a', 'b']);
    store.close();
  });

  it('updateRun rewrites the run row and only the step rows given: those with an id replaced, the others added', () => {
    const { store } = fresh();
    const first = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a', 'b']);
    const [a, b] = store.saveRun(first) as [number, number];
    const done = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['b', 'c']);
    const changedB = { ...(done.steps[0] as StepLogRecord), status: 'failed' as const };
    const ids = store.updateRun(done.run, [
      { id: b, step: changedB },
      { id: null, step: done.steps[1] as StepLogRecord },
    ]);
    assert.is(ids?.[0], b);
    assert.ok(ids?.[1] !== undefined && ids[1] > b, 'a new row gets a new id');
    assert.is(store.runs()[0]?.status, 'completed');
    const steps = store.stepLogs('m@1/1');
    assert.equal(steps.map((s) => [s.id, s.step_id, s.status]), [[a, 'a', 'completed'], [b, 'b', 'failed'], [ids?.[1], 'c', 'completed']]);
    store.close();
  });

  it('updateRun of an attempt the store does not hold returns null and writes nothing', () => {
    const { store } = fresh();
    const rows = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a']);
    assert.is(store.updateRun(rows.run, [{ id: null, step: rows.steps[0] as StepLogRecord }]), null);
    assert.equal(store.runs(), []);
    assert.equal(store.stepLogs('m@1/1'), []);
    store.close();
  });

  it('runs are listed newest first, filtered by status or run id, and limited', () => {
    const { store } = fresh();
    store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'failed', []));
    store.saveRun(runRows('m@1/2', '2026-01-03T00:00:00.000Z', 'completed', []));
    store.saveRun(runRows('m@1/3', '2026-01-02T00:00:00.000Z', 'failed', []));
    assert.equal(store.runs().map((r) => r.mission_id), ['m@1/2', 'm@1/3', 'm@1/1']);
    assert.equal(store.runs({ status: 'failed' }).map((r) => r.mission_id), ['m@1/3', 'm@1/1']);
    assert.equal(store.runs({ limit: 1 }).map((r) => r.mission_id), ['m@1/2']);
    assert.is(store.runs({ run_id: hash(1) }).length, 3);
    assert.is(store.runs({ run_id: hash(9) }).length, 0);
    store.close();
  });

  it('the queue keeps one row per escalation id, ordered by time; open means undecided or deferred', () => {
    const { store } = fresh();
    const second = store.queueEscalation(escalation(2, '2026-01-02T00:00:00.000Z'));
    const first = store.queueEscalation(escalation(1, '2026-01-01T00:00:00.000Z'));
    assert.is(store.queueEscalation(escalation(2, '2026-01-09T00:00:00.000Z')).id, second.id, 'queued again: unchanged');
    store.queueEscalation(escalation(3, '2026-01-03T00:00:00.000Z'));
    assert.equal(store.escalations().map((e) => e.reason), ['reason 1', 'reason 2', 'reason 3']);
    store.resolveEscalation(first.escalation_id, decide('approved'));
    store.resolveEscalation(second.escalation_id, decide('deferred'));
    assert.equal(store.escalations({ open: true }).map((e) => e.reason), ['reason 2', 'reason 3']);
    store.close();
  });

  it('a decision is final; a deferral can still be decided; an unknown escalation is a conflict', () => {
    const { store } = fresh();
    const row = store.queueEscalation(escalation(1, '2026-01-01T00:00:00.000Z'));
    assert.is(store.resolveEscalation(row.escalation_id, decide('deferred')).resolution, 'deferred');
    const approved = store.resolveEscalation(row.escalation_id, decide('approved'));
    assert.equal([approved.resolution, approved.resolved_by, approved.resolved_at], ['approved', 'CEO', '2026-01-02T00:00:00.000Z']);
    assert.throws(() => store.resolveEscalation(row.escalation_id, decide('rejected')), (e: unknown) => e instanceof StoreConflict && /was approved by CEO/.test((e as Error).message));
    assert.throws(() => store.resolveEscalation(hash(77), decide('approved')), (e: unknown) => e instanceof StoreConflict);
    store.close();
  });

  it('findEscalation takes the queue id, the escalation id, or a unique hex prefix', () => {
    const { store } = fresh();
    const row = store.queueEscalation(escalation(1, '2026-01-01T00:00:00.000Z'));
    // 123123123… and 1231231123…: the same first 7 hex digits.
    store.queueEscalation(escalation(123, '2026-01-01T00:00:00.000Z'));
    store.queueEscalation(escalation(1231231, '2026-01-01T00:00:00.000Z'));
    assert.is(store.findEscalation(String(row.id))?.escalation_id, row.escalation_id);
    assert.is(store.findEscalation(row.escalation_id)?.id, row.id);
    assert.is(store.findEscalation('111111')?.id, row.id);
    assert.throws(() => store.findEscalation('123123'), (e: unknown) => e instanceof StoreConflict && /ambiguous/.test((e as Error).message));
    assert.is(store.findEscalation('999'), undefined);
    assert.is(store.findEscalation('abcdef'), undefined);
    store.close();
  });

  it('replaceRuns replaces every run and step and keeps the queue', () => {
    const { store } = fresh();
    store.saveRun(runRows('old@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['x']));
    store.queueEscalation(escalation(1, '2026-01-01T00:00:00.000Z'));
    store.replaceRuns([runRows('new@1/1', '2026-01-02T00:00:00.000Z', 'completed', ['y'])]);
    assert.equal(store.runs().map((r) => r.mission_id), ['new@1/1']);
    assert.equal(store.stepLogs('old@1/1'), []);
    assert.is(store.escalations().length, 1);
    store.close();
  });

  it('everything persists across a reopen', () => {
    const { store, repo } = fresh();
    store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['a']));
    store.queueEscalation(escalation(1, '2026-01-01T00:00:00.000Z'));
    store.close();
    const again = openStateStore({ repoRoot: repo });
    assert.is(again.backend, backend, 'the existing back end is found without being named');
    assert.is(again.runs().length, 1);
    assert.is(again.stepLogs('m@1/1').length, 1);
    assert.is(again.escalations().length, 1);
    again.close();
  });

  it('a corrupt store file is reported with its path and left untouched', () => {
    const { store, repo } = fresh();
    store.close();
    const path = store.path;
    writeFileSync(path, 'this is not a store {');
    assert.throws(
      () => openStateStore({ repoRoot: repo, backend }).runs(),
      (e: unknown) => e instanceof StoreCorrupt && (e as Error).message.includes(path),
    );
    assert.is(readFileSync(path, 'utf8'), 'this is not a store {');
  });

  it.run();
}

storeSuite('lowdb');
storeSuite('sqlite');

const lowdb = suite('state store (lowdb layout)');

lowdb('a version 1 state.json (runs and steps inside) is moved to run files on open, ids and queue kept', () => {
  const repo = tempDir('lifeos-store-v1-');
  const { run, steps } = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['a', 'b']);
  const v1 = {
    format: 'lifeos-mission/state/v1',
    last_id: { mission_runs: 7, step_logs: 12, escalation_queue: 3 },
    mission_runs: [{ id: 7, ...run }],
    step_logs: steps.map((step, i) => ({ id: 11 + i, ...step })),
    escalation_queue: [{ id: 3, ...escalation(1, '2026-01-01T00:00:00.000Z') }],
  };
  mkdirSync(join(repo, '.lifeos'), { recursive: true });
  writeFileSync(join(repo, '.lifeos', 'state.json'), JSON.stringify(v1));
  const store = openStateStore({ repoRoot: repo });
  assert.equal(store.runs().map((r) => [r.id, r.mission_id]), [[7, 'm@1/1']]);
  assert.equal(store.stepLogs('m@1/1').map((s) => [s.id, s.step_id]), [[11, 'a'], [12, 'b']]);
  assert.equal(store.escalations().map((e) => e.id), [3]);
  const after = JSON.parse(readFileSync(join(repo, '.lifeos', 'state.json'), 'utf8')) as Record<string, unknown>;
  assert.is(after.format, 'lifeos-mission/state/v2');
  assert.is(after.mission_runs, undefined, 'the rows moved out of state.json');
  const next = store.saveRun(runRows('m@1/2', '2026-01-02T00:00:00.000Z', 'running', ['c']));
  assert.equal(next, [13], 'ids go on from the old counters');
  store.close();
});

lowdb("a step file's last line cut short by a crash is left out, and cut off before the next save appends", () => {
  const repo = tempDir('lifeos-store-torn-');
  const store = openStateStore({ repoRoot: repo });
  const rows = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a']);
  const [a] = store.saveRun(rows) as [number];
  const folder = join(repo, '.lifeos', 'runs', '2026-01-01');
  const stepsFile = join(folder, readdirSync(folder).find((name) => name.endsWith('.steps.jsonl')) as string);
  appendFileSync(stepsFile, '{"id":99,"step_id":"tor');
  assert.equal(store.stepLogs('m@1/1').map((s) => s.id), [a]);
  const more = runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'completed', ['b']);
  store.updateRun(more.run, [{ id: null, step: more.steps[0] as StepLogRecord }]);
  assert.equal(store.stepLogs('m@1/1').map((s) => s.step_id), ['a', 'b']);
  assert.not.match(readFileSync(stepsFile, 'utf8'), 'tor');
  store.close();
});

lowdb('a step file damaged before its last line is reported as corrupt, with its path', () => {
  const repo = tempDir('lifeos-store-damaged-');
  const store = openStateStore({ repoRoot: repo });
  store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a', 'b']));
  const folder = join(repo, '.lifeos', 'runs', '2026-01-01');
  const stepsFile = join(folder, readdirSync(folder).find((name) => name.endsWith('.steps.jsonl')) as string);
  writeFileSync(stepsFile, readFileSync(stepsFile, 'utf8').replace('"step_id":"a"', '"step_id":'));
  assert.throws(() => store.stepLogs('m@1/1'), (e: unknown) => e instanceof StoreCorrupt && (e as Error).message.includes(stepsFile) && /line 1/.test((e as Error).message));
  store.close();
});

lowdb('a FIFO or a device where a run file belongs, or a file where a day folder belongs, is reported as corrupt with its path, never a hang or a crash', () => {
  const cases: Array<[string, (folder: string, name: string) => string]> = [
    ['a FIFO as the run row', (folder, name) => {
      const path = join(folder, name);
      rmSync(path);
      execFileSync('mkfifo', [path]);
      return path;
    }],
    ['/dev/zero linked as the step log', (folder, name) => {
      const path = join(folder, name.replace('.run.json', '.steps.jsonl'));
      rmSync(path);
      symlinkSync('/dev/zero', path);
      return path;
    }],
  ];
  for (const [what, damage] of cases) {
    const repo = tempDir('lifeos-store-hostile-');
    const store = openStateStore({ repoRoot: repo });
    store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a']));
    const folder = join(repo, '.lifeos', 'runs', '2026-01-01');
    const path = damage(folder, readdirSync(folder).find((name) => name.endsWith('.run.json')) as string);
    const corrupt = (e: unknown) => e instanceof StoreCorrupt && (e as Error).message.includes(path) && /not a regular file/.test((e as Error).message);
    assert.throws(() => (what.includes('step') ? store.stepLogs('m@1/1') : store.runs()), corrupt, what);
    store.close();
  }
  const repo = tempDir('lifeos-store-hostile-');
  const store = openStateStore({ repoRoot: repo });
  store.saveRun(runRows('m@1/1', '2026-01-01T00:00:00.000Z', 'running', ['a']));
  const day = join(repo, '.lifeos', 'runs', '2026-01-02');
  writeFileSync(day, 'not a folder');
  const corrupt = (e: unknown) => e instanceof StoreCorrupt && (e as Error).message.includes(day) && /where a day folder of runs belongs/.test((e as Error).message);
  assert.throws(() => store.runs(), corrupt);
  assert.throws(() => store.saveRun(runRows('m@1/2', '2026-01-02T00:00:00.000Z', 'running', ['b'])), corrupt);
  store.close();
});

lowdb.run();
