/**
 * The unattended loop (spec §1.4: "the system can operate while the CEO sleeps"): take the open
 * tasks of BACKLOG.md in file order and run the build cycle for each in a worktree of its own
 * (task-worktree.ts), up to `parallel` at a time. A task that needs the CEO is parked (its run
 * waits in its worktree; `backlog resume` goes on with it) and the loop moves on. The loop
 * stops on the kill switch, the daily budget, the clock (`until`), a number of consecutive
 * failures, `maxTasks`, or when no open task is left, and says which.
 */
import { join } from 'node:path';
import { BACKLOG_FILE, parseBacklog, taskSlug, type BacklogItem } from '../../core/backlog.ts';
import { reportedCost } from '../../governance/step-guards.ts';
import { RunLockHeld, RunPreconditionFailed } from '../../core/run-errors.ts';
import type { Mission } from '../../core/types.ts';
import { spentOnDay } from '../daily-spend.ts';
import type { MissionResult } from '../engine/types.ts';
import { readJournal } from '../journal.ts';
import { killSwitchPresent } from '../kill-switch.ts';
import { defaultRegistry, planMission, resolveMission } from '../mission-library.ts';
import { createRegistry } from '../../core/registry.ts';
import { resolveRunPaths, type RunPaths } from '../run-paths.ts';
import { resumeMission, runMission, type ResumeOptions, type RunOptions } from '../runner.ts';
import { BacklogRecord, type TaskOutcome, type TaskRecord } from './backlog-record.ts';
import { withBacklogLock } from './backlog-lock.ts';
import { committedBacklog, currentBranch, existingTaskWorktree, requireBranch, taskWorktree, worktreeFolder } from './task-worktree.ts';

export interface BacklogOptions extends Omit<RunOptions, 'inputs'> {
  /** The mission run for each task (default: autonomous_build_cycle). */
  mission?: string | Mission;
  /** Inputs every task's run gets; the task's text goes in as `taskInput`. */
  inputs?: Record<string, unknown>;
  /** The input that takes the task's text (default: task_spec). */
  taskInput?: string;
  /** The branch tasks are cut from (default: the one the main checkout is on). */
  base?: string;
  /** Stop after this many tasks were run (default: no limit). */
  maxTasks?: number;
  /** Tasks run at once, each in its own worktree under its own run lock (default 1). */
  parallel?: number;
  /** Start no task after this moment. */
  until?: Date;
  /** Stop after this many failed tasks in a row (default 3). */
  maxConsecutiveFailures?: number;
  /** List what would run, run nothing. */
  dryRun?: boolean;
  /** Told when a task starts and when it ends. */
  onTask?: (event: { task: BacklogItem; slug: string; worktree: string } & ({ phase: 'started' } | { phase: 'ended'; record: TaskRecord })) => void;
}

export type StopReason = 'backlog_empty' | 'max_tasks' | 'kill_switch' | 'daily_budget' | 'until' | 'consecutive_failures' | 'dry_run';

export interface BacklogReport {
  /** The tasks this call ran (or, in a dry run, would run), in the order they were started. */
  tasks: TaskRecord[];
  /** In a dry run: the open tasks in the order they would run. */
  planned: BacklogItem[];
  /** Lines whose task is written earlier in the backlog too: run once, as the first. */
  duplicates: BacklogItem[];
  stopped: StopReason;
  /** What `stopped` means, in a sentence. */
  reason: string;
  base: string;
}

/** Outcomes a later `backlog run` leaves alone: a committed task waits for its merge, a parked one for the CEO, a rejected one is not wanted. */
const SETTLED: ReadonlySet<TaskOutcome> = new Set(['committed', 'parked', 'rejected']);
/** Outcomes after which a task is tried again, from the base branch's tip as it is then. */
const RETRIED: ReadonlySet<TaskOutcome> = new Set(['failed', 'halted']);

export async function runBacklog(options: BacklogOptions): Promise<BacklogReport> {
  const repoRoot = options.repoRoot;
  const paths = resolveRunPaths(options.paths);
  if (options.inputs?.branch_prefix !== undefined) throw new RunPreconditionFailed('branch_prefix is set per task by the backlog (backlog/<task>/, the branches its run owns); leave it out of the inputs');
  const base = options.base ? requireBranch(repoRoot, options.base) : currentBranch(repoRoot);
  const record = new BacklogRecord(repoRoot, paths);
  const mission = backlogMission(options);
  const { tasks: queue, duplicates } = distinct(openTasks(repoRoot, base));
  const waiting = queue.filter((item) => !SETTLED.has(record.get(taskSlug(item.text))?.outcome as TaskOutcome));
  // Inputs every task gets: one that does not fit the mission would fail every task, one by one.
  if (waiting[0]) {
    const registry = createRegistry({ extend: options.registry ?? defaultRegistry(), operations: options.handlers ?? [] });
    planMission(mission, { inputs: { ...options.inputs, [options.taskInput ?? 'task_spec']: waiting[0].text }, registry });
  }
  const report = (stopped: StopReason, reason: string, tasks: TaskRecord[] = [], planned: BacklogItem[] = []): BacklogReport => ({ tasks, planned, duplicates, stopped, reason, base });
  if (options.dryRun) {
    const blocked = stopBefore(options, repoRoot, paths, { started: 0, failures: 0, left: waiting.length });
    if (blocked && blocked.stopped !== 'backlog_empty') return report('dry_run', `dry run: no task would start: ${blocked.reason}`);
    return report('dry_run', `dry run: ${waiting.length} open task(s) would run, cut from ${base}`, [], waiting);
  }
  return withBacklogLock(repoRoot, paths, async () => {
    const done: TaskRecord[] = [];
    const running = new Set<Promise<void>>();
    let failures = 0;
    let started = 0;
    let stop: { stopped: StopReason; reason: string } | undefined;
    const limit = Math.max(1, options.parallel ?? 1);
    while (!stop) {
      stop = stopBefore(options, repoRoot, paths, { started, failures, left: waiting.length });
      if (stop) break;
      const item = waiting.shift() as BacklogItem;
      started += 1;
      const task = runTask({ ...options, mission }, item, base, paths, record).then((result) => {
        done.push(result);
        failures = result.outcome === 'failed' ? failures + 1 : 0;
        running.delete(task);
      });
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
    await Promise.all(running);
    // Tasks that were running when the switch was thrown ended halted: that is why the loop stopped.
    if (done.some((task) => task.outcome === 'halted') && killSwitchPresent(join(repoRoot, paths.killSwitch))) stop = { stopped: 'kill_switch', reason: `the kill switch ${paths.killSwitch} is present in ${repoRoot}` };
    const unfinished = done.filter((task) => RETRIED.has(task.outcome)).length;
    if (stop.stopped === 'backlog_empty' && unfinished > 0) stop = { stopped: 'backlog_empty', reason: `every open task was taken; ${unfinished} did not complete (a later backlog run tries ${unfinished === 1 ? 'it' : 'them'} again)` };
    return report(stop.stopped, stop.reason, done);
  });
}

/** The tasks with their first line of each text: a task written twice is one task (the others are reported). */
function distinct(items: BacklogItem[]): { tasks: BacklogItem[]; duplicates: BacklogItem[] } {
  const seen = new Set<string>();
  const tasks: BacklogItem[] = [];
  const duplicates: BacklogItem[] = [];
  for (const item of items) {
    const slug = taskSlug(item.text);
    (seen.has(slug) ? duplicates : tasks).push(item);
    seen.add(slug);
  }
  return { tasks, duplicates };
}

/** The mission each task runs, resolved once (a name or a file, as `run` takes it). */
function backlogMission(options: BacklogOptions): Mission {
  if (typeof options.mission === 'object') return options.mission;
  const { mission, diagnostics } = resolveMission(options.mission ?? 'autonomous_build_cycle', options.registry);
  if (!mission) throw new RunPreconditionFailed(`the backlog's mission cannot be loaded: ${diagnostics.map((d) => d.message).join('; ')}`);
  return mission;
}

/** The open tasks of the backlog as the base branch has it: what each worktree will hold. */
function openTasks(repoRoot: string, base: string): BacklogItem[] {
  const text = committedBacklog(repoRoot, base);
  if (text === null) {
    throw new RunPreconditionFailed(`${base} has no ${BACKLOG_FILE} committed: tasks run in worktrees cut from ${base}, so the backlog they take must be committed there (\`lifeos-mission init\` writes one)`);
  }
  return parseBacklog(text).filter((item) => !item.done);
}

/** Why no further task may start now, if it may not. */
function stopBefore(options: BacklogOptions, repoRoot: string, paths: RunPaths, at: { started: number; failures: number; left: number }): { stopped: StopReason; reason: string } | undefined {
  if (killSwitchPresent(join(repoRoot, paths.killSwitch))) return { stopped: 'kill_switch', reason: `the kill switch ${paths.killSwitch} is present in ${repoRoot}` };
  const maxFailures = options.maxConsecutiveFailures ?? 3;
  if (at.failures >= maxFailures) return { stopped: 'consecutive_failures', reason: `${at.failures} tasks failed in a row (the limit is ${maxFailures})` };
  if (options.maxTasks !== undefined && at.started >= options.maxTasks) return { stopped: 'max_tasks', reason: `${at.started} task(s) run, as --max-tasks asked` };
  const now = clock(options);
  if (options.until && now >= options.until) return { stopped: 'until', reason: `it is past ${options.until.toISOString()}, when no task may start` };
  if (options.dailyBudgetUsd !== undefined) {
    const spent = spentToday(repoRoot, paths, now);
    if (spent >= options.dailyBudgetUsd) return { stopped: 'daily_budget', reason: `$${spent.toFixed(4)} spent today, the daily budget is $${options.dailyBudgetUsd}` };
  }
  if (at.left === 0) return { stopped: 'backlog_empty', reason: 'no open task is left' };
  return undefined;
}

/** What the repository's runs spent today: the main checkout's and every task worktree's. */
function spentToday(repoRoot: string, paths: RunPaths, now: Date, except?: string): number {
  const day = now.toISOString().slice(0, 10);
  const record = new BacklogRecord(repoRoot, paths);
  const worktrees = [...new Set(record.all().map((task) => worktreeFolder(paths, task.slug)))].filter((worktree) => worktree !== except);
  return spentOnDay(repoRoot, paths, day) + worktrees.reduce((sum, worktree) => sum + spentOnDay(join(repoRoot, worktree), paths, day), 0);
}

/** The host's clock (audit timestamps, `until`), else the wall clock. */
function clock(options: Pick<RunOptions, 'now'>): Date {
  return options.now ? options.now() : new Date();
}

async function runTask(options: BacklogOptions & { mission: Mission }, item: BacklogItem, base: string, paths: RunPaths, record: BacklogRecord): Promise<TaskRecord> {
  const slug = taskSlug(item.text);
  const folder = worktreeFolder(paths, slug);
  options.onTask?.({ task: item, slug, worktree: folder, phase: 'started' });
  const begun = performance.now();
  const ended = (fields: Omit<TaskRecord, 'task' | 'slug' | 'worktree' | 'base' | 'wall_ms' | 'updated_at'>): TaskRecord => {
    const task: TaskRecord = { task: item.text, slug, worktree: folder, base, ...fields, wall_ms: Math.round(performance.now() - begun), updated_at: clock(options).toISOString() };
    record.set(task);
    options.onTask?.({ task: item, slug, worktree: folder, phase: 'ended', record: task });
    return task;
  };
  try {
    const worktree = taskWorktree(options.repoRoot, paths, slug, base, RETRIED.has(record.get(slug)?.outcome as TaskOutcome));
    const { mission, inputs = {}, taskInput = 'task_spec', dailyBudgetUsd, ...engine } = options;
    // Each task commits on a branch of its own (the cycle's steward names it from its prefix).
    const branch = mission.inputs.some((input) => input.name === 'branch_prefix') ? { branch_prefix: `backlog/${slug}/` } : {};
    const budget = dailyBudgetUsd === undefined ? {} : { dailyBudgetUsd: dailyBudgetUsd - spentToday(options.repoRoot, paths, clock(options), folder) };
    const result = await runMission(mission, { ...engine, ...taskScope(options, slug), ...budget, repoRoot: worktree.path, inputs: { ...inputs, ...branch, [taskInput]: item.text } });
    return ended(taskFields(result));
  } catch (error) {
    // Its run is another process's (someone ran it by hand in the worktree): what was recorded stands.
    if (error instanceof RunLockHeld) return { ...(record.get(slug) ?? failedRecord(item, slug, folder, base)), error: (error as Error).message };
    return ended({ outcome: 'failed', run_id: '', escalation_id: null, branch: null, commit: null, cost_usd: 0, model_calls: 0, error: (error as Error).message });
  }
}

/**
 * What a task's run is confined to besides its worktree: the branches under backlog/<task>/ (the
 * worktrees share the repository's branches, and a rollback must not undo another task's), and
 * the main checkout's kill switch as well as its own.
 */
function taskScope(options: Pick<BacklogOptions, 'repoRoot' | 'paths' | 'killSwitches'>, slug: string): Pick<RunOptions, 'paths' | 'killSwitches'> {
  const paths = resolveRunPaths(options.paths);
  return { paths: { ...options.paths, branches: `refs/heads/backlog/${slug}` }, killSwitches: [...(options.killSwitches ?? []), join(options.repoRoot, paths.killSwitch)] };
}

function failedRecord(item: BacklogItem, slug: string, folder: string, base: string): TaskRecord {
  return { task: item.text, slug, worktree: folder, base, outcome: 'failed', run_id: '', escalation_id: null, branch: null, commit: null, cost_usd: 0, model_calls: 0, wall_ms: 0, error: null, updated_at: new Date().toISOString() };
}

/** Resume a parked task in its worktree (with a decision, as `resume --approve/--reject`). */
export async function resumeBacklogTask(ref: string, options: Omit<ResumeOptions, 'repoRoot'> & { repoRoot: string }): Promise<TaskRecord> {
  const paths = resolveRunPaths(options.paths);
  const record = new BacklogRecord(options.repoRoot, paths);
  const task = findTask(record, ref);
  const worktree = existingTaskWorktree(options.repoRoot, paths, task.slug);
  if (task.outcome !== 'parked') throw new RunPreconditionFailed(`task "${task.task}" is ${task.outcome}, not parked: there is nothing to resume`);
  const begun = performance.now();
  // The worktree follows from the slug, never from the record's text (a record edited to name another folder is not followed).
  const result = await resumeMission(task.run_id, { ...options, ...taskScope(options, task.slug), repoRoot: worktree });
  const fields = taskFields(result);
  const rejected = result.status === 'failed' && (options.decisions ?? []).some((decision) => decision.decision === 'rejected');
  const resumed: TaskRecord = { ...task, ...fields, ...(rejected ? { outcome: 'rejected' as const } : {}), wall_ms: task.wall_ms + Math.round(performance.now() - begun), updated_at: clock(options).toISOString() };
  record.set(resumed);
  return resumed;
}

/** A recorded task by its slug, its text, or a unique prefix of either. */
export function findTask(record: BacklogRecord, ref: string): TaskRecord {
  const exact = record.all().filter((task) => task.slug === ref || task.task === ref);
  const matches = exact.length > 0 ? exact : record.all().filter((task) => task.slug.startsWith(ref) || task.task.startsWith(ref));
  if (matches.length === 1) return matches[0] as TaskRecord;
  if (matches.length === 0) throw new RunPreconditionFailed(`no task the backlog ran matches "${ref}"; \`lifeos-mission backlog list\` shows them`);
  throw new RunPreconditionFailed(`"${ref}" matches ${matches.length} tasks (${matches.map((task) => task.slug).join(', ')}); give more of it`);
}

/** The record fields a run's result gives: how it ended, what it made or waits on, what it cost. */
function taskFields(result: MissionResult): Omit<TaskRecord, 'task' | 'slug' | 'worktree' | 'base' | 'wall_ms' | 'updated_at'> {
  const outputs = result.outputs ?? {};
  const outcome: TaskOutcome = result.status === 'completed' ? 'committed' : result.status === 'awaiting_human' ? 'parked' : result.status === 'halted' ? 'halted' : 'failed';
  return {
    outcome,
    run_id: result.runId,
    escalation_id: result.awaiting?.request_id ?? (outcome === 'parked' ? (result.escalation?.escalation_id ?? null) : null),
    branch: typeof outputs.branch === 'string' ? outputs.branch : null,
    commit: typeof outputs.commit_hash === 'string' ? outputs.commit_hash : result.commit,
    ...callFigures(result.journalPath),
    error: result.error?.message ?? null,
  };
}

/** The model calls a run made and what they cost, from its journal (an llm_call skipped by its `when` made none). */
function callFigures(journalPath: string): { cost_usd: number; model_calls: number } {
  let operation: unknown;
  let cost = 0;
  let calls = 0;
  for (const entry of readJournal(journalPath).entries) {
    if (entry.type === 'operation_started') operation = entry.data.operation;
    if (entry.type !== 'operation_finished' || operation !== 'llm_call' || typeof (entry.data.output as { call_id?: unknown } | null)?.call_id !== 'string') continue;
    calls += 1;
    cost += reportedCost(entry.data.output);
  }
  return { cost_usd: cost, model_calls: calls };
}
