// The autonomous build cycle end to end, in replay mode, on real git repositories: the hello
// repository of examples/hello-cycle, the scripted model on 127.0.0.1 to record each scenario,
// then a replay in a fresh copy (asserted on), real `node --test` runs, real SIGKILL.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { createHelloRepo, FIXTURES, INPUTS } from '../../examples/hello-cycle/hello-repo.mjs';
import { startScriptedModel } from '../../examples/hello-cycle/scripted-model.mjs';
import type { MissionResult } from '../../lib/runtime/engine/types.ts';
import { verifyBundle } from '../../lib/runtime/bundle.ts';
import { initRepository } from '../../lib/runtime/init-repository.ts';
import { verifyJournal } from '../../lib/runtime/journal.ts';
import { listQueue } from '../../lib/runtime/queue.ts';
import { resumeMission, runMission, type RunOptions } from '../../lib/runtime/runner.ts';
import { git as gitIn, repoFingerprint } from '../git-repo.ts';
import { repoRoot } from '../helpers.ts';

const execFileAsync = promisify(execFile);
const inputs = parse(readFileSync(INPUTS, 'utf8')) as Record<string, unknown>;
const TASK = inputs.task_spec as string;

function helloRepo(): string {
  return createHelloRepo(tempDir('hello-e2e-'), { initRepository, withFixtures: false });
}

const git = (repo: string, ...args: string[]): string => gitIn(repo, ...args).trim();
/** `git status` without the engine's own files (journals, call logs, store). */
const status = (repo: string): string => git(repo, 'status', '--porcelain', '--', '.', ':!logs', ':!.lifeos');

/** HEAD, its branch, the work tree's files and `git status`: all a run may change. */
function repoState(repo: string): string {
  return JSON.stringify([git(repo, 'rev-parse', 'HEAD'), git(repo, 'symbolic-ref', 'HEAD'), status(repo), repoFingerprint(repo)]);
}

const options = (repo: string, extra: Partial<RunOptions> = {}): RunOptions => ({ repoRoot: repo, mode: 'replay', inputs, fsync: false, ...extra });

/** Record `scenario` against the scripted model in one copy; return a fresh copy holding its fixtures. */
async function recorded(scenario: string): Promise<{ repo: string; calls: string[] }> {
  const model = await startScriptedModel(scenario);
  const source = helloRepo();
  try {
    await runMission('autonomous_build_cycle', { ...options(source), mode: 'record', agent: { baseURL: model.url, apiKey: 'scripted' } });
  } finally {
    await model.close();
  }
  const repo = helloRepo();
  cpSync(join(source, 'logs/agent_calls/cache'), join(repo, 'logs/agent_calls/cache'), { recursive: true });
  return { repo, calls: model.calls };
}

function withCommittedFixtures(): string {
  const repo = helloRepo();
  cpSync(FIXTURES, join(repo, 'logs/agent_calls/cache'), { recursive: true });
  return repo;
}

const it = suite('autonomous_build_cycle (replay)');

it('happy path: a commit on a feature branch holding exactly the reviewed artifacts and the ticked task; clean repo; bundle verifies', async () => {
  // The committed fixtures: this fails when a mission or prompt changes without `node examples/hello-cycle/record.mjs`.
  const repo = withCommittedFixtures();
  const base = git(repo, 'rev-parse', 'HEAD');
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'completed', JSON.stringify(result.error ?? result.escalation));
  const commit = result.outputs?.commit_hash as string;
  assert.is(git(repo, 'rev-parse', 'HEAD'), commit);
  assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'lifeos/add-greet');
  assert.is(git(repo, 'rev-parse', 'main'), base, 'main is untouched');
  assert.equal(git(repo, 'diff-tree', '--no-commit-id', '--name-only', '-r', commit).split('\n'), ['BACKLOG.md', 'LIFEOS_STATE.md', 'src/greet.mjs', 'test/greet.test.mjs']);
  const report = result.outputs?.cycle_report as { review_packet: { payload: { artifacts_produced: string[]; test_result: { passed: boolean } } } };
  assert.equal(report.review_packet.payload.artifacts_produced, ['src/greet.mjs', 'test/greet.test.mjs']);
  assert.is(report.review_packet.payload.test_result.passed, true);
  assert.match(git(repo, 'show', `${commit}:BACKLOG.md`), `- [x] ${TASK}`);
  assert.match(git(repo, 'show', `${commit}:LIFEOS_STATE.md`), `- ${TASK}`);
  assert.is(status(repo), '');
  assert.ok(verifyJournal(result.journalPath).ok);
  assert.ok(verifyBundle(result.bundlePath as string).ok);
  // The committed test really passes.
  execFileSync(process.execPath, ['--test'], { cwd: repo, stdio: 'pipe' });
});

it('a seat Reject escalates to the CEO whatever the chair says: no commit, repo clean; the CEO upholding it ends the run', async () => {
  const { repo } = await recorded('seat_reject');
  const before = repoState(repo);
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'awaiting_human');
  assert.is(result.escalation?.node, 'gate_design_approval');
  assert.match(result.escalation?.reason ?? '', 'escalated_to_ceo');
  assert.match(result.escalation?.reason ?? '', 'Rejected by risk');
  assert.is(repoState(repo), before, 'nothing written, nothing committed');
  assert.ok(listQueue({ repoRoot: repo }).some((item) => item.severity === 'critical' && item.waiting));
  const upheld = await resumeMission(result.runId, { ...options(repo), decisions: [{ decision: 'rejected', by: 'ceo', note: 'the risk seat is right' }] });
  assert.is(upheld.status, 'failed');
  assert.is(repoState(repo), before);
});

it('issue 15, finding 2: the CEO approving a seat Reject lets the cycle go on to its commit; the build reads the decision as approved by override', async () => {
  const model = await startScriptedModel('design_seat_reject');
  const repo = helloRepo();
  try {
    const live = { ...options(repo), mode: 'record' as const, agent: { baseURL: model.url, apiKey: 'scripted' } };
    const paused = await runMission('autonomous_build_cycle', live);
    assert.is(paused.status, 'awaiting_human');
    assert.is(paused.escalation?.node, 'gate_design_approval');
    const note = 'the risk is accepted for this change';
    const done = await resumeMission(paused.runId, { ...live, decisions: [{ decision: 'approved', by: 'ceo', note }] });
    assert.is(done.status, 'completed', JSON.stringify(done.error ?? done.escalation));
    assert.match(git(repo, 'log', '-1', '--format=%s', done.outputs?.commit_hash as string), /greet/i);
    const decision = (done.outputs?.cycle_report as { design_decision: Record<string, unknown> }).design_decision;
    assert.equal(
      [decision.verdict, decision.ceo_override, decision.overridden_verdict, decision.override_escalation_id, decision.override_by, decision.override_rationale],
      ['approved', true, 'escalated_to_ceo', paused.escalation?.escalation_id, 'ceo', note],
    );
    const gate = readFileSync(done.journalPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> })
      .find((entry) => entry.type === 'step_finished' && entry.data.node === 'gate_design_approval');
    assert.equal((gate?.data.amended_decisions as Array<{ node: string }>).map((a) => a.node), ['review_design_2'], 'the journal records what the override amended');
  } finally {
    await model.close();
  }
});

it('fix_required twice: the design is revised once, reviewed again, then the run escalates', async () => {
  const { repo, calls } = await recorded('fix_required_twice');
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'awaiting_human');
  assert.is(result.escalation?.node, 'gate_design_approval');
  assert.match(result.escalation?.reason ?? '', 'fix_required');
  assert.match(result.escalation?.reason ?? '', 'after 2 cycles');
  assert.is(calls.filter((role) => role === 'designer').length, 2, 'one design, one revision');
  assert.is(calls.filter((role) => role === 'council_chair').length, 2, 'two review cycles');
  assert.is(status(repo), '');
});

it('fix_required once: the revised design passes the second review and the cycle completes', async () => {
  const { repo } = await recorded('fix_required_once');
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'completed', JSON.stringify(result.escalation ?? result.error));
  const report = result.outputs?.cycle_report as { build_packet: { summary: string }; design_decision: { cycle: number; verdict: string } };
  assert.match(report.build_packet.summary, '(revised)');
  assert.equal([report.design_decision.cycle, report.design_decision.verdict], [2, 'approved']);
});

it('a builder that writes a protected file: refused before writing, escalated, repo byte-identical', async () => {
  const { repo } = await recorded('protected_write');
  const before = repoState(repo);
  const models = readFileSync(join(repo, 'config/models.yaml'), 'utf8');
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'escalated');
  assert.is(result.escalation?.node, 'build/apply_changes');
  assert.match(result.escalation?.reason ?? '', 'config/models.yaml');
  assert.is(readFileSync(join(repo, 'config/models.yaml'), 'utf8'), models);
  assert.is(repoState(repo), before);
  assert.ok(listQueue({ repoRoot: repo, open: false }).some((item) => item.severity === 'critical' && item.resolution === 'closed'));
});

it('tests that fail again on retry escalate; the CEO rejecting it rolls the build back', async () => {
  const { repo } = await recorded('failing_tests');
  const before = repoState(repo);
  const result = await runMission('autonomous_build_cycle', options(repo));
  assert.is(result.status, 'awaiting_human');
  assert.is(result.escalation?.node, 'build/run_tests');
  assert.match(result.escalation?.reason ?? '', 'tests failed after 2 attempt(s)');
  const rejected = await resumeMission(result.runId, { ...options(repo), decisions: [{ decision: 'rejected', by: 'ceo', note: 'fix the test first' }] });
  assert.is(rejected.status, 'failed');
  assert.is(repoState(repo), before);
});

it('the kill switch mid-build halts the run and rolls back what the builder wrote', async () => {
  const repo = withCommittedFixtures();
  const before = repoState(repo);
  const result = await runMission('autonomous_build_cycle', {
    ...options(repo),
    onEvent: (entry) => {
      if (entry.type === 'operation_finished' && (entry.data as { node?: string }).node === 'build/apply_changes') writeFileSync(join(repo, 'STOP_AUTONOMY'), 'stop\n');
    },
  });
  assert.is(result.status, 'halted');
  assert.ok(existsSync(join(repo, 'STOP_AUTONOMY')), "the operator's kill switch stays");
  assert.not.ok(existsSync(join(repo, 'src/greet.mjs')));
  execFileSync('rm', [join(repo, 'STOP_AUTONOMY')]);
  assert.is(repoState(repo), before);
});

const crashRun = (...args: string[]): string =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/processes/cycle-crash.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' }).stdout;

for (const [type, when] of [
  ['operation_started', 'before the commit ran'],
  ['operation_finished', 'after the commit, before the steward finished'],
] as const) {
  it(`SIGKILL during the steward commit (${when}): recovery leaves the repo clean and every journal verifies`, () => {
    const repo = withCommittedFixtures();
    const before = repoState(repo);
    assert.is(crashRun('run', repo, 'steward/commit', type), '', 'the process was killed');
    const reports = JSON.parse(crashRun('recover', repo)) as Array<{ action: string; status: MissionResult['status'] }>;
    assert.is(reports.length, 1);
    const outcome = reports[0]?.status;
    assert.is(status(repo), '', 'repo clean on exit');
    if (outcome === 'completed') assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'lifeos/add-greet');
    else assert.is(repoState(repo), before, `recovery ended ${outcome}: back to the pre-run state`);
    const journals = join(repo, 'logs/mission_journals');
    for (const run of execFileSync('ls', [journals], { encoding: 'utf8' }).trim().split('\n')) assert.ok(verifyJournal(join(journals, run, 'journal.jsonl')).ok);
  });
}

it('issue 14, finding 10: `run` again after a crash recovers the crashed run first and returns it, rather than a second attempt under a stale id', async () => {
  const repo = withCommittedFixtures();
  try {
    assert.is(crashRun('run', repo, 'steward/commit', 'operation_started'), '', 'the process was killed');
    const crashed = execFileSync('ls', [join(repo, 'logs/mission_journals')], { encoding: 'utf8' }).trim();
    const result = await runMission('autonomous_build_cycle', options(repo));
    assert.is(result.status, 'completed', JSON.stringify(result.error));
    assert.is(result.runId, `sha256:${crashed}`);
    assert.is(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'lifeos/add-greet');
    assert.is(git(repo, 'rev-list', '--count', 'main..HEAD'), '1');
    assert.is(status(repo), '');
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

it('issue 14, finding 9: a replay run recovered with a key and a live endpoint at hand stays in replay: no request', async () => {
  const repo = withCommittedFixtures();
  assert.is(crashRun('run', repo, 'review_design/synthesize', 'operation_started'), '', 'the process was killed');
  const model = await startScriptedModel('happy');
  try {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/processes/cycle-crash.ts'), 'recover', repo, 'live', model.url], { cwd: repoRoot, encoding: 'utf8' });
    const reports = JSON.parse(stdout) as Array<{ action: string; status: MissionResult['status'] }>;
    assert.equal(reports.map((r) => [r.action, r.status]), [['resumed', 'completed']]);
    assert.equal(model.calls, [], 'the live endpoint was never called');
  } finally {
    await model.close();
    rmSync(repo, { recursive: true, force: true });
  }
});

it.run();
