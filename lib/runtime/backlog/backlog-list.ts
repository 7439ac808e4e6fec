/**
 * `backlog list`: each task of the base branch's BACKLOG.md with where it stands, joined with
 * what the loop recorded (backlog-record.ts). A task is done when the base branch marks it done
 * or has its commit (the human merged its branch: the backlog follows the merge).
 */
import { parseBacklog, taskSlug } from '../../core/backlog.ts';
import { resolveRunPaths, type RunPaths } from '../run-paths.ts';
import { BacklogRecord, type TaskRecord } from './backlog-record.ts';
import { queueItem } from '../queue.ts';
import { committedBacklog, currentBranch, existingTaskWorktree, mergedInto, requireBranch } from './task-worktree.ts';

export type TaskState = 'open' | 'parked' | 'committed' | 'failed' | 'halted' | 'rejected' | 'done';

export interface BacklogEntry {
  line: number;
  text: string;
  slug: string;
  state: TaskState;
  /** What to know or do next, in a line. */
  detail: string;
  record: TaskRecord | null;
}

export function listBacklog(options: { repoRoot: string; base?: string; paths?: Partial<RunPaths> }): BacklogEntry[] {
  const base = options.base ? requireBranch(options.repoRoot, options.base) : currentBranch(options.repoRoot);
  const paths = resolveRunPaths(options.paths);
  const record = new BacklogRecord(options.repoRoot, paths);
  const text = committedBacklog(options.repoRoot, base);
  if (text === null) return [];
  return parseBacklog(text).map((item) => {
    const slug = taskSlug(item.text);
    const task = record.get(slug) ?? null;
    const entry = (state: TaskState, detail: string): BacklogEntry => ({ line: item.line, text: item.text, slug, state, detail, record: task });
    if (item.done) return entry('done', task?.commit ? `committed ${task.commit.slice(0, 12)}` : `marked done in ${base}`);
    if (!task) return entry('open', '');
    switch (task.outcome) {
      case 'committed':
        if (!task.commit) return entry('done', 'completed; its mission made no commit');
        if (mergedInto(options.repoRoot, task.commit, base)) return entry('done', `${task.branch ?? ''} ${task.commit.slice(0, 12)} merged into ${base}`.trim());
        return entry('committed', `${task.branch ?? '?'} ${task.commit.slice(0, 12)}: merge it into ${base}`);
      case 'parked':
        return entry('parked', `escalation ${task.escalation_id?.slice(7, 19) ?? '?'}: lifeos-mission backlog resume ${slug} ${decisionFlags(options.repoRoot, task, paths)} (or --reject)`);
      case 'rejected':
        return entry('rejected', `the CEO rejected it${task.error ? ` (${task.error})` : ''}; it is not run again: reword the task to make it a new one`);
      default:
        return entry(task.outcome, `${task.error ?? 'see its journal'} (worktree ${task.worktree}); the next backlog run tries it again`);
    }
  });
}

/**
 * How to go on with a parked task: `--approve --note "…"`, or `--retry` when it waits on an
 * escalation whose step produced nothing to approve, as its worktree's queue says.
 */
export function decisionFlags(repoRoot: string, task: TaskRecord, paths: RunPaths = resolveRunPaths()): string {
  const approve = '--approve --note "…"';
  if (!task.escalation_id) return approve;
  try {
    return queueItem(task.escalation_id, { repoRoot: existingTaskWorktree(repoRoot, paths, task.slug) }).retry_only ? '--retry' : approve;
  } catch {
    // A worktree or queue that is gone is reported by resume, which refuses with the reason.
    return approve;
  }
}
