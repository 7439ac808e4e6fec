/**
 * `lifeos-mission backlog list | run | resume <task>`: the unattended loop over BACKLOG.md
 * (runtime/backlog/): each open task through the build cycle in a worktree of its own, parked
 * when it needs the CEO, with a summary table at the end.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { decisionFlags, listBacklog, type BacklogEntry } from '../runtime/backlog/backlog-list.ts';
import { resumeBacklogTask, runBacklog, type BacklogReport } from '../runtime/backlog/run-backlog.ts';
import type { TaskRecord } from '../runtime/backlog/backlog-record.ts';
import { ENGINE_ARGS, ENGINE_OPTIONS_HELP, engineOptions } from './engine-options.ts';
import { readInputs } from './inputs.ts';
import { EXIT, parseFormat, UsageError, type CliIO, type Command } from './io.ts';
import { repositoryOption } from './repo-options.ts';
import { runErrorExit } from './run-report.ts';

export const BACKLOG_USAGE = `Usage: lifeos-mission backlog <list | run | resume TASK> [options]

Works through BACKLOG.md (\`- [ ] task\` / \`- [x] task\`, or \`TODO: task\` / \`DONE: task\`
lines) while nobody watches. \`run\` takes the open tasks of the base branch's BACKLOG.md in file
order and runs the build cycle for each in a git worktree of its own (.lifeos/worktrees/<task>),
cut from the base branch: tasks never stack, the main checkout is never touched. A task that
needs the CEO is parked, its run waiting in its worktree, and the loop goes on. Each commit is
on its own branch; the task is marked done there, and \`list\` shows it done once that branch is
merged into the base branch. See docs/backlog.md.

  list                 the tasks: open, parked (with the escalation to decide), committed
                       (branch and commit, waiting for a merge), failed, done
  run                  run the open tasks (not the parked or committed ones)
  resume TASK          go on with a parked task in its worktree (TASK: its name as \`list\`
                       shows it, its text, or a unique prefix), with --approve or --reject

Options of run:
  --max-tasks N        start at most N tasks
  --parallel N         run up to N tasks at once (default 1)
  --until HH:MM        start no task after this local time (today, or tomorrow if it is past)
  --max-failures N     stop after N failed tasks in a row (default 3)
  --base BRANCH        the branch tasks are cut from (default: the one checked out)
  --mission NAME       the mission each task runs (default: autonomous_build_cycle)
  --daily-budget USD   stop starting tasks once the repository's runs spent this today; each
                       run gets what is left
  --dry-run            list the tasks that would run, in order, and run nothing
  --input NAME=VALUE   an input every task's run gets (repeatable; the task's text is task_spec)
  --inputs FILE        inputs from a YAML or JSON mapping
Options of resume:
  --approve | --reject | --retry, --by NAME, --note TEXT   the decision, as \`resume\` takes it
${ENGINE_OPTIONS_HELP}

Exit codes: 0 every task run was committed (or nothing was left to run), 1 a task was parked or
failed, 2 usage or environment error.
`;

const RUN_ARGS = {
  ...ENGINE_ARGS,
  'max-tasks': { type: 'string' },
  parallel: { type: 'string' },
  until: { type: 'string' },
  'max-failures': { type: 'string' },
  base: { type: 'string' },
  mission: { type: 'string' },
  'daily-budget': { type: 'string' },
  'dry-run': { type: 'boolean' },
  input: { type: 'string', multiple: true },
  inputs: { type: 'string' },
  approve: { type: 'boolean' },
  reject: { type: 'boolean' },
  retry: { type: 'boolean' },
  by: { type: 'string' },
  note: { type: 'string' },
} as const;

export async function backlogCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: RUN_ARGS });
  if (values.help) {
    io.stdout.write(BACKLOG_USAGE);
    return EXIT.ok;
  }
  const format = parseFormat(values.format, ['text', 'json']);
  const [action, ...rest] = positionals;
  // `--until=` would otherwise mean no deadline, `--daily-budget=` a budget of $0.
  const empty = Object.entries(values).find(([, value]) => typeof value === 'string' && value.trim() === '');
  if (empty) throw new UsageError(`option --${empty[0]} needs a value`);
  if (action === 'list' || action === 'run' || action === 'resume') requireFlagsOf(action, values);
  const json = (value: unknown): void => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  try {
    if (action === 'list') {
      if (rest.length > 0) throw new UsageError('backlog list takes no arguments');
      const entries = listBacklog({ repoRoot: repositoryOption(values.repo), ...(values.base ? { base: values.base } : {}) });
      if (format === 'json') json(entries);
      else io.stdout.write(listText(entries));
      return EXIT.ok;
    }
    if (action === 'run') {
      if (rest.length > 0) throw new UsageError('backlog run takes no arguments (the tasks come from BACKLOG.md)');
      const options = await engineOptions(values, io);
      const report = await runBacklog({
        ...options,
        repoRoot: repositoryOption(values.repo),
        inputs: readInputs(values.inputs, values.input),
        ...numberOption('max-tasks', values['max-tasks'], 'maxTasks'),
        ...numberOption('parallel', values.parallel, 'parallel'),
        ...numberOption('max-failures', values['max-failures'], 'maxConsecutiveFailures'),
        ...(values['daily-budget'] === undefined ? {} : { dailyBudgetUsd: budgetOption(values['daily-budget']) }),
        ...(values.until !== undefined ? { until: untilOption(values.until, new Date()) } : {}),
        ...(values.base ? { base: values.base } : {}),
        ...(values.mission ? { mission: values.mission } : {}),
        ...(values['dry-run'] ? { dryRun: true } : {}),
        ...(format === 'text' ? { onTask: (event) => void io.stdout.write(event.phase === 'started' ? `▶ ${event.task.text}  (${event.worktree})\n` : `${MARK[event.record.outcome]} ${event.task.text}: ${event.record.outcome}\n`) } : {}),
      });
      if (format === 'json') json(report);
      else io.stdout.write(reportText(report, repositoryOption(values.repo)));
      return report.tasks.every((task) => task.outcome === 'committed') ? EXIT.ok : EXIT.failed;
    }
    if (action === 'resume') {
      if (rest.length !== 1) throw new UsageError('name exactly one task to resume');
      if ([values.approve, values.reject, values.retry].filter(Boolean).length > 1) throw new UsageError('give one of --approve, --reject and --retry');
      const decide = values.approve ? 'approved' : values.reject ? 'rejected' : values.retry ? 'retry' : undefined;
      const options = await engineOptions(values, io);
      const task = await resumeBacklogTask(rest[0] as string, {
        ...options,
        repoRoot: repositoryOption(values.repo),
        decisions: decide ? [{ decision: decide, by: values.by ?? userInfo().username, ...(values.note ? { note: values.note } : {}) }] : [],
      });
      if (format === 'json') json(task);
      else io.stdout.write(reportText({ tasks: [task], planned: [], duplicates: [], stopped: 'backlog_empty', reason: 'resumed', base: task.base }, repositoryOption(values.repo), false));
      return task.outcome === 'committed' ? EXIT.ok : EXIT.failed;
    }
    throw new UsageError(action === undefined ? 'name an action: list, run or resume' : `unknown action "${action}"; use list, run or resume`);
  } catch (error) {
    return runErrorExit('backlog', error, io);
  }
}

/** Flags of one action only: given to another, they would be ignored silently. */
const ONLY: Readonly<Record<string, 'run' | 'resume'>> = {
  'max-tasks': 'run', parallel: 'run', until: 'run', 'max-failures': 'run', mission: 'run', 'daily-budget': 'run', 'dry-run': 'run', input: 'run', inputs: 'run',
  approve: 'resume', reject: 'resume', retry: 'resume', by: 'resume', note: 'resume',
};
const LIST_FLAGS: ReadonlySet<string> = new Set(['repo', 'base', 'format', 'help']);

function requireFlagsOf(action: 'list' | 'run' | 'resume', values: Record<string, unknown>): void {
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const owner = ONLY[flag];
    if ((owner && owner !== action) || (action === 'list' && !LIST_FLAGS.has(flag))) throw new UsageError(`--${flag} does not go with backlog ${action}${owner ? ` (it is an option of backlog ${owner})` : ''}`);
  }
}

const MARK: Readonly<Record<TaskRecord['outcome'], string>> = { committed: '✓', parked: '⏸', failed: '✗', halted: '■', rejected: '⊘' };

function numberOption<K extends string>(flag: string, value: string | undefined, key: K): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number of at least 1; got "${value}"`);
  return { [key]: n } as Partial<Record<K, number>>;
}

function budgetOption(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--daily-budget must be an amount in USD such as 2.50; got "${value}"`);
  return n;
}

/** HH:MM local time: today, or tomorrow when that moment has passed. */
export function untilOption(value: string, now: Date): Date {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (!match) throw new UsageError(`--until must be a local time HH:MM such as 06:30; got "${value}"`);
  const at = new Date(now);
  at.setHours(Number(match[1]), Number(match[2]), 0, 0);
  if (at <= now) at.setDate(at.getDate() + 1);
  return at;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] as number))).join('  ').trimEnd()).join('\n');
}

function reportText(report: BacklogReport, repoRoot: string, withStop = true): string {
  const lines: string[] = [];
  if (report.stopped === 'dry_run') {
    lines.push(`would run, cut from ${report.base}:`, ...report.planned.map((item, i) => `  ${i + 1}. ${item.text}  (BACKLOG.md:${item.line})`));
  }
  if (report.tasks.length > 0) {
    const rows = [['task', 'outcome', 'branch / commit', 'cost', 'calls', 'escalation', 'wall']];
    for (const task of report.tasks) {
      rows.push([
        shorten(task.task, 40),
        task.outcome,
        task.commit ? `${task.branch ?? '?'} ${task.commit.slice(0, 12)}` : '-',
        `$${task.cost_usd.toFixed(4)}`,
        String(task.model_calls),
        task.escalation_id ? task.escalation_id.slice(7, 19) : '-',
        `${(task.wall_ms / 1000).toFixed(1)} s`,
      ]);
    }
    lines.push('', table(rows));
    for (const task of report.tasks.filter((t) => t.outcome === 'parked')) {
      lines.push(`\nparked: ${task.task}\n  decide:  lifeos-mission backlog resume ${task.slug} ${decisionFlags(repoRoot, task)}   (or --reject)\n  look:    lifeos-mission queue show ${task.escalation_id?.slice(7, 19) ?? ''} --repo ${task.worktree}`);
    }
    for (const task of report.tasks.filter((t) => t.outcome === 'failed' || t.outcome === 'halted')) lines.push(`\n${task.outcome}: ${task.task}: ${task.error ?? 'see its journal'} (worktree ${task.worktree})`);
  }
  for (const item of report.duplicates) lines.push(`\nBACKLOG.md:${item.line}: "${shorten(item.text, 60)}" is written earlier in the backlog too; it is one task, run once`);
  if (withStop) lines.push('', `stopped: ${report.reason}`);
  return `${lines.join('\n').replace(/^\n/, '')}\n`;
}

function listText(entries: BacklogEntry[]): string {
  if (entries.length === 0) return 'BACKLOG.md has no tasks\n';
  const rows = [['#', 'state', 'task', 'detail']];
  for (const [i, entry] of entries.entries()) rows.push([String(i + 1), entry.state, shorten(entry.text, 50), entry.detail]);
  return `${table(rows)}\n`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Loaded lazily by main.ts. */
export const command: Command = { run: backlogCommand, usage: BACKLOG_USAGE };
