/**
 * What the backlog loop did with each task, kept beside the state store
 * (`.lifeos/backlog.json`): the task's worktree, its run, how the run ended, the branch and
 * commit it made or the escalation it waits on, and its cost. The journals stay the evidence;
 * this record only says which run in which worktree belongs to which task, so that `backlog
 * list` and `backlog resume` find them. Written whole, through a temporary file renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readEvidenceFile } from '../journal-lines.ts';
import { requireEngineFolders } from '../engine-folders.ts';
import type { RunPaths } from '../run-paths.ts';
import { withFileMutex } from '../store/file-mutex.ts';

export const BACKLOG_RECORD_FORMAT = 'lifeos-mission/backlog/v1';
/** A task slug as taskSlug makes it: it names a folder and a branch, so nothing else is taken. */
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** How a task's last run ended, as the loop sees it. */
export type TaskOutcome = 'committed' | 'parked' | 'failed' | 'halted' | 'rejected';

export interface TaskRecord {
  task: string;
  slug: string;
  /** The worktree, relative to the repository. */
  worktree: string;
  base: string;
  outcome: TaskOutcome;
  run_id: string;
  /** The escalation (or approval request) a parked task waits on. */
  escalation_id: string | null;
  branch: string | null;
  commit: string | null;
  cost_usd: number;
  model_calls: number;
  wall_ms: number;
  /** Why the run did not complete. */
  error: string | null;
  updated_at: string;
}

export class BacklogRecord {
  private readonly path: string;
  private readonly tasks: Map<string, TaskRecord>;

  constructor(repoRoot: string, paths: RunPaths) {
    requireEngineFolders(repoRoot, paths);
    this.path = join(repoRoot, paths.store, 'backlog.json');
    this.tasks = new Map(readTasks(this.path).map((task) => [task.slug, task]));
  }

  get(slug: string): TaskRecord | undefined {
    return this.tasks.get(slug);
  }

  all(): TaskRecord[] {
    return [...this.tasks.values()];
  }

  /**
   * Record one task: read again, changed, written whole under the record's mutex (a `backlog
   * resume` may record while a loop runs), through a new temporary file of a random name (never
   * one found there, which could be a link to elsewhere) renamed into place.
   */
  set(record: TaskRecord): void {
    mkdirSync(dirname(this.path), { recursive: true });
    withFileMutex(`${this.path}.lock`, () => {
      // What is on disk wins for every other task: another process may have recorded it since.
      const disk = readTasks(this.path);
      this.tasks.clear();
      for (const task of disk) this.tasks.set(task.slug, task);
      this.tasks.set(record.slug, record);
      const temporary = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}`;
      const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
      try {
        writeSync(fd, `${JSON.stringify({ format: BACKLOG_RECORD_FORMAT, tasks: this.all() }, null, 2)}\n`);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    });
  }
}

const OUTCOMES: ReadonlySet<string> = new Set(['committed', 'parked', 'failed', 'halted', 'rejected']);
const nullableString = (value: unknown): boolean => value === null || typeof value === 'string';

/** A task as the loop writes it, field by field: a record edited by hand to hold anything else is refused. */
function wellFormed(value: unknown): value is TaskRecord {
  const task = value as Record<string, unknown> | null;
  if (task === null || typeof task !== 'object') return false;
  return (
    typeof task.slug === 'string' && SLUG.test(task.slug) &&
    typeof task.task === 'string' && typeof task.run_id === 'string' && typeof task.worktree === 'string' && typeof task.base === 'string' &&
    typeof task.outcome === 'string' && OUTCOMES.has(task.outcome) &&
    nullableString(task.escalation_id) && nullableString(task.branch) && nullableString(task.error) && typeof task.updated_at === 'string' &&
    (task.commit === null || (typeof task.commit === 'string' && /^[0-9a-f]{40,64}$/.test(task.commit))) &&
    [task.cost_usd, task.model_calls, task.wall_ms].every((n) => typeof n === 'number' && Number.isFinite(n))
  );
}

function readTasks(path: string): TaskRecord[] {
  if (!existsSync(path)) return [];
  let parsed: { format?: unknown; tasks?: unknown };
  try {
    parsed = JSON.parse(readEvidenceFile(path).toString('utf8')) as typeof parsed;
  } catch (error) {
    throw new Error(`${path} cannot be read (${(error as Error).message}); move it aside: the tasks' runs stay in their worktrees' journals`);
  }
  if (parsed.format !== BACKLOG_RECORD_FORMAT || !Array.isArray(parsed.tasks)) throw new Error(`${path} is not a backlog record (format ${BACKLOG_RECORD_FORMAT}); move it aside`);
  const bad = (parsed.tasks as unknown[]).find((task) => !wellFormed(task));
  if (bad) throw new Error(`${path} holds a task that is not one the loop writes (${JSON.stringify(bad).slice(0, 120)}); move it aside`);
  return parsed.tasks as TaskRecord[];
}
