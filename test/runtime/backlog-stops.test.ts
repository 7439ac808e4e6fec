// Issue 15: why the backlog loop stops, each reason on its own, with small missions instead of
// the whole cycle (a noop, a step that fails, a step that reports a cost): --max-tasks, the
// clock, failures in a row, the kill switch thrown while the loop runs, the daily budget shared
// by the tasks; and the CLI's summary in text and as one JSON document.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite, tempDir } from '../temp.ts';
import * as assert from 'uvu/assert';
import { MissionValidationError } from '../../lib/core/errors.ts';
import type { OperationHandler } from '../../lib/operations/handler.ts';
import { runBacklog } from '../../lib/runtime/backlog/run-backlog.ts';
import { makeRepo, mission } from '../git-repo.ts';
import { cli, rejects } from '../helpers.ts';

const task = (step: string): string => `mission: task\nversion: "1.0"\ninputs: [{name: task_spec, type: str}]\noutputs: []\nsteps:\n  - ${step}\n`;
const NOOP_YAML = task('{id: n, kind: runtime, operation: noop, params: {}}');
const NOOP = mission(NOOP_YAML);
const FAILS = mission(task('{id: g, kind: runtime, operation: gate_check, params: {condition: "1 == 2", on_fail: fail}}'));
/** A step that reports what it cost, as an llm_call does. */
const spend: OperationHandler = { type: 'spend', description: 'reports a cost (test handler)', writes: false, compensation: 'none', idempotent: true, execute: () => ({ cost_usd: 0.6 }) };
const SPENDS = mission(task('{id: s, kind: runtime, operation: spend, params: {}}'), [spend]);

const backlogRepo = (count: number): string => makeRepo({ 'BACKLOG.md': `# Backlog\n\n${Array.from({ length: count }, (_, i) => `- [ ] task ${i + 1}\n`).join('\n')}` });
const outcomes = (report: Awaited<ReturnType<typeof runBacklog>>): string[] => report.tasks.map((t) => `${t.task}: ${t.outcome}`);

const it = suite('backlog loop stops (issue 15)');

it('--max-tasks N starts N tasks; the next run takes the rest', async () => {
  const repo = backlogRepo(3);
  const first = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, maxTasks: 2 });
  assert.equal([outcomes(first), first.stopped], [['task 1: committed', 'task 2: committed'], 'max_tasks']);
  const rest = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false });
  assert.equal([outcomes(rest), rest.stopped], [['task 3: committed'], 'backlog_empty']);
});

it('past --until no task starts', async () => {
  const repo = backlogRepo(2);
  const late = await runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, until: new Date(Date.now() - 60_000) });
  assert.equal([late.tasks, late.stopped], [[], 'until']);
  assert.match(late.reason, /^it is past .*, when no task may start$/);
});

it('failures in a row stop the loop: 3 by default, or the limit given', async () => {
  const repo = backlogRepo(5);
  const report = await runBacklog({ repoRoot: repo, mission: FAILS, fsync: false });
  assert.equal([outcomes(report), report.stopped, report.reason], [['task 1: failed', 'task 2: failed', 'task 3: failed'], 'consecutive_failures', '3 tasks failed in a row (the limit is 3)']);
  const once = await runBacklog({ repoRoot: backlogRepo(5), mission: FAILS, fsync: false, maxConsecutiveFailures: 1 });
  assert.equal([once.tasks.length, once.stopped], [1, 'consecutive_failures']);
  const all = await runBacklog({ repoRoot: backlogRepo(2), mission: FAILS, fsync: false });
  assert.equal([all.stopped, all.reason], ['backlog_empty', 'every open task was taken; 2 did not complete (a later backlog run tries them again)']);
});

it('an input every task gets that the mission does not take is refused before the first task', async () => {
  const repo = backlogRepo(2);
  await rejects(() => runBacklog({ repoRoot: repo, mission: NOOP, fsync: false, inputs: { review_mode: 'M9' } }), (e: unknown) => e instanceof MissionValidationError && /input "review_mode" is not declared/.test(e.message));
  assert.not.ok(existsSync(join(repo, '.lifeos/worktrees')), 'no worktree was made');
});

it('the kill switch thrown in the main checkout while a task runs stops the loop before the next task', async () => {
  const repo = backlogRepo(3);
  const report = await runBacklog({
    repoRoot: repo,
    mission: NOOP,
    fsync: false,
    onTask: (event) => {
      if (event.phase === 'ended') writeFileSync(join(repo, 'STOP_AUTONOMY'), 'stop\n');
    },
  });
  assert.equal([outcomes(report), report.stopped], [['task 1: committed'], 'kill_switch']);
});

it('the daily budget is shared: the spend of earlier tasks counts, and the loop stops once it is spent', async () => {
  const repo = backlogRepo(4);
  const report = await runBacklog({ repoRoot: repo, mission: SPENDS, handlers: [spend], fsync: false, dailyBudgetUsd: 1 });
  // Task 1 spends 0.6 (under 1); task 2 starts with 0.4 left, spends 0.6 and is stopped over the budget (its run escalates and fails).
  assert.equal(outcomes(report), ['task 1: committed', 'task 2: failed']);
  assert.match(report.tasks[1]?.error ?? '', /^daily budget exceeded: spent \$0\.6000 of \$0\.40 after step s/);
  assert.equal([report.stopped, /^\$1\.2000 spent today, the daily budget is \$1$/.test(report.reason)], ['daily_budget', true], report.reason);
});

it('the CLI ends with the summary table and why it stopped; --format json is one document with the same', async () => {
  const repo = backlogRepo(3);
  const file = join(tempDir('backlog-mission-'), 'noop.yaml');
  writeFileSync(file, NOOP_YAML);
  const text = await cli('backlog', 'run', '--repo', repo, '--mission', file, '--max-tasks', '1');
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /\ntask +outcome +branch \/ commit +cost +calls +escalation +wall\ntask 1 +committed +- +\$0\.0000 +0 +- +\d/);
  assert.match(text.stdout, /\nstopped: 1 task\(s\) run, as --max-tasks asked\n$/);
  const json = await cli('backlog', 'run', '--repo', repo, '--mission', file, '--format', 'json');
  assert.is(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { stopped: string; tasks: Array<{ task: string; outcome: string; worktree: string }> };
  assert.equal([parsed.stopped, parsed.tasks.map((t) => [t.task, t.outcome, t.worktree.startsWith('.lifeos/worktrees/')])], ['backlog_empty', [['task 2', 'committed', true], ['task 3', 'committed', true]]]);
});

it.run();
