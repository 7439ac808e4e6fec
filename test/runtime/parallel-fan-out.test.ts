// A read-only fan-out runs its instances at once (four council seats asking their models
// together), against a real chat-completions server on 127.0.0.1 that counts the requests in
// flight; the journal is the one a one-at-a-time run writes.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { suite } from '../temp.ts';
import * as assert from 'uvu/assert';
import { writeGovernanceBaseline } from '../../lib/governance/baseline.ts';
import { readJournal } from '../../lib/runtime/journal.ts';
import { verifyRunFolder } from '../../lib/runtime/verify-run.ts';
import { runMission, type RunOptions } from '../../lib/runtime/runner.ts';
import type { ProgressEvent } from '../../lib/runtime/engine/types.ts';
import { replayMission } from '../../lib/testing.ts';
import { startFakeLlm, type FakeLlm } from '../fake-llm-server.ts';
import { git, makeRepo, mission } from '../git-repo.ts';

const SEATS = ['a', 'b', 'c', 'd'];
const MISSION = (maxParallel = '') => `mission: seats
version: "1.0"
inputs: []
outputs: [{name: verdicts, type: any, value: "{{steps.seats.outputs}}"}]
${maxParallel}
steps:
  - id: seats
    kind: runtime
    operation: llm_call
    params:
      role: seat_{{seat}}
      input_packet: {seat: "{{seat}}"}
      output_schema: SEAT_VERDICT
    for_each:
      seat: [${SEATS.join(', ')}]
`;

/** Each seat has its own model, so the server can answer each one its own way. */
function seatsRepo(): string {
  const files: Record<string, string> = { 'README.md': 'hello\n' };
  for (const seat of SEATS) files[`config/agent_roles/seat_${seat}.md`] = `You are seat ${seat}.\n`;
  files['config/models.yaml'] = `roles:\n${SEATS.map((seat) => `  seat_${seat}:\n    models: [vendor/model-${seat}]\n`).join('')}timeout_seconds: 5\n`;
  const repo = makeRepo(files);
  writeGovernanceBaseline({ repoRoot: repo, approvedBy: 'CEO', councilRulingRef: 'R1', now: () => new Date('2026-01-01T00:00:00Z') });
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'seats');
  return repo;
}

const verdict = (seat: string, value = 'approve'): string => `Reviewed.\n{"seat": "${seat}", "verdict": "${value}", "rationale": "fine"}\nDone.`;

const it = suite('parallel fan-out');
let llm: FakeLlm;
it.before(async () => {
  llm = await startFakeLlm();
});
it.after(async () => llm.close());

const options = (repo: string, extra: Partial<RunOptions> = {}): RunOptions => ({ repoRoot: repo, mode: 'live', fsync: false, agent: { baseURL: llm.url, apiKey: 'sk-test-parallel-key', backoffMs: 5 }, ...extra });
const bySeat = (reply: (seat: string) => object) => Object.fromEntries(SEATS.map((seat) => [`vendor/model-${seat}`, [reply(seat)]]));

/** The journal as decisions and order: every entry without its timestamps, audit ids and chain hashes (which cover the timestamps). */
function timeless(path: string): unknown[] {
  return readJournal(path).entries.map((entry) => {
    const { at: _at, entry_hash: _hash, prev_entry_hash: _prev, ...rest } = entry as unknown as Record<string, unknown>;
    const data = { ...(rest.data as Record<string, unknown>) };
    delete data.run_id_audit;
    return { ...rest, data: JSON.parse(JSON.stringify(data).replace(/"timestamp":"[^"]*"/g, '"timestamp":"-"')) };
  });
}

it('four seats of 200 ms each are in flight at once with the default max_parallel; the outputs stay in seat order', async () => {
  const repo = seatsRepo();
  llm.script([], bySeat((seat) => ({ content: verdict(seat), delayMs: 200 })));
  const progress: ProgressEvent[] = [];
  const result = await runMission(mission(MISSION()), options(repo, { onProgress: (event) => progress.push(event) }));
  assert.is(result.status, 'completed', result.error?.message);
  assert.is(llm.maxInFlight, 4);
  assert.equal(((result.outputs?.verdicts as Array<{ packet: { seat: string } }>) ?? []).map((o) => o.packet.seat), SEATS);
  assert.ok(progress.some((event) => event.kind === 'in_flight' && event.running.length === 4), 'progress showed the four calls in flight');
});

it('max_parallel 1 (mission field or maxParallel option) asks one seat at a time', async () => {
  const repo = seatsRepo();
  llm.script([], bySeat((seat) => ({ content: verdict(seat), delayMs: 50 })));
  assert.is((await runMission(mission(MISSION('max_parallel: 1')), options(repo))).status, 'completed');
  assert.is(llm.maxInFlight, 1);
  llm.script([], bySeat((seat) => ({ content: verdict(seat), delayMs: 50 })));
  assert.is((await runMission(mission(MISSION()), options(seatsRepo(), { maxParallel: 1 }))).status, 'completed');
  assert.is(llm.maxInFlight, 1);
});

it('replays of the same fixtures with maxParallel 4 and 1 write the same journal, timestamps aside', async () => {
  const repo = seatsRepo();
  llm.script([], bySeat((seat) => ({ content: verdict(seat), delayMs: 20 })));
  assert.is((await runMission(mission(MISSION()), options(repo, { mode: 'record' }))).status, 'completed');
  git(repo, 'add', '-f', 'logs/agent_calls/cache');
  git(repo, 'commit', '-qm', 'fixtures');
  const parallel = await replayMission(mission(MISSION()), { repoRoot: repo });
  const sequential = await replayMission(mission(MISSION()), { repoRoot: repo, maxParallel: 1 });
  assert.is(parallel.status, 'completed', parallel.error?.message);
  assert.is(sequential.status, 'completed', sequential.error?.message);
  assert.equal(timeless(parallel.journalPath), timeless(sequential.journalPath));
});

it('a seat that fails ends the fan-out at its turn: the seats after it leave nothing in the journal', async () => {
  const repo = seatsRepo();
  llm.script([], { ...bySeat((seat) => ({ content: verdict(seat), delayMs: 100 })), 'vendor/model-b': [{ status: 401 }] });
  const result = await runMission(mission(MISSION()), options(repo));
  assert.is(result.status, 'failed');
  assert.match(result.error?.message ?? '', /seats\[b\]/);
  const nodes = readJournal(result.journalPath).entries.map((entry) => `${entry.type} ${String(entry.data.node ?? '')}`);
  assert.ok(nodes.includes('operation_finished seats[a]'));
  assert.ok(nodes.includes('operation_failed seats[b]'));
  assert.not.ok(nodes.some((line) => /seats\[(c|d)\]/.test(line)), nodes.join('\n'));
  // Their calls were made (they started with the others) and are in the call log, written before
  // the bundle sealed it: the run verifies.
  const log = readFileSync(result.journalPath.replace(/mission_journals\/([0-9a-f]+)\/journal\.jsonl$/, 'agent_calls/$1.jsonl'), 'utf8');
  assert.ok(log.includes('seat_a'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(verifyRunFolder(dirname(result.journalPath)).errors, []);
});

it('a run with a budget asks one seat at a time, so no call is made after the budget is spent', async () => {
  const repo = seatsRepo();
  llm.script([], bySeat((seat) => ({ content: verdict(seat), delayMs: 50 })));
  const budgeted = MISSION().replace('steps:', 'envelope: {max_budget_usd: 5}\nsteps:');
  assert.is((await runMission(mission(budgeted), options(repo))).status, 'completed');
  assert.is(llm.maxInFlight, 1);
});

it.run();
