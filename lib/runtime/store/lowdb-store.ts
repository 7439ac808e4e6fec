/**
 * The default state store: one JSON file (lowdb) holding the three §6.1 tables as arrays. Two
 * processes writing one lowdb file lose updates and can leave unparseable JSON, so every
 * read-modify-write holds a cross-process mutex (file-mutex.ts), and lowdb writes a temporary
 * file renamed into place, so a reader always sees a whole file. A file that does not parse or
 * has the wrong shape is reported with its path and never reset.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LowSync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import type { Sha256 } from '../../core/canonical.ts';
import type { EscalationRecord, MissionRunRecord, RunRows, StepLogRecord, WithId } from '../../core/store-rows.ts';
import { withFileMutex } from './file-mutex.ts';
import { checkResolvable, isOpen, matchEscalation, StoreCorrupt, type EscalationQuery, type Resolution, type RunQuery, type StateStore } from './state-store.ts';

const FORMAT = 'lifeos-mission/state/v1';

interface Tables {
  format: typeof FORMAT;
  /** The last id given in each table (ids are never reused). */
  last_id: { mission_runs: number; step_logs: number; escalation_queue: number };
  mission_runs: Array<WithId<MissionRunRecord>>;
  step_logs: Array<WithId<StepLogRecord>>;
  escalation_queue: Array<WithId<EscalationRecord>>;
}

function emptyTables(): Tables {
  return { format: FORMAT, last_id: { mission_runs: 0, step_logs: 0, escalation_queue: 0 }, mission_runs: [], step_logs: [], escalation_queue: [] };
}

export class LowdbStore implements StateStore {
  readonly backend = 'lowdb' as const;
  private readonly db: LowSync<Tables>;
  private readonly lockPath: string;
  /** lowdb hands back this object when the file does not exist yet. */
  private readonly defaults = emptyTables();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new LowSync<Tables>(new JSONFileSync<Tables>(path), this.defaults);
    this.lockPath = `${path}.lock`;
    this.read();
  }

  saveRun(rows: RunRows): void {
    this.update((t) => putRun(t, rows));
  }

  replaceRuns(all: readonly RunRows[]): void {
    this.update((t) => {
      t.mission_runs = [];
      t.step_logs = [];
      for (const rows of all) putRun(t, rows);
    });
  }

  queueEscalation(record: EscalationRecord): WithId<EscalationRecord> {
    return this.update((t) => {
      const existing = t.escalation_queue.find((row) => row.escalation_id === record.escalation_id);
      if (existing) return existing;
      const row = { id: ++t.last_id.escalation_queue, ...record };
      t.escalation_queue.push(row);
      return row;
    });
  }

  resolveEscalation(escalationId: Sha256, resolution: Resolution): WithId<EscalationRecord> {
    return this.update((t) => {
      const row = checkResolvable(
        t.escalation_queue.find((r) => r.escalation_id === escalationId),
        escalationId,
      );
      Object.assign(row, resolution);
      return row;
    });
  }

  escalations(query: EscalationQuery = {}): WithId<EscalationRecord>[] {
    const rows = this.read().escalation_queue.filter((row) => !query.open || isOpen(row));
    return rows.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
  }

  findEscalation(ref: string): WithId<EscalationRecord> | undefined {
    return matchEscalation(this.read().escalation_queue, ref);
  }

  runs(query: RunQuery = {}): WithId<MissionRunRecord>[] {
    const rows = this.read()
      .mission_runs.filter((row) => (!query.status || row.status === query.status) && (!query.run_id || row.run_id_deterministic === query.run_id))
      .sort((a, b) => (a.created_at > b.created_at ? -1 : a.created_at < b.created_at ? 1 : b.id - a.id));
    return query.limit === undefined ? rows : rows.slice(0, query.limit);
  }

  stepLogs(missionId: string): WithId<StepLogRecord>[] {
    return this.read().step_logs.filter((row) => row.mission_id === missionId);
  }

  close(): void {
    // Nothing is held open between calls.
  }

  /** A read-modify-write under the mutex; the file is written only if `change` returns normally. */
  private update<T>(change: (tables: Tables) => T): T {
    return withFileMutex(this.lockPath, () => {
      const tables = this.read();
      const result = change(tables);
      this.db.write();
      return result;
    });
  }

  private read(): Tables {
    try {
      this.db.read();
    } catch (error) {
      throw new StoreCorrupt(this.path, (error as Error).message);
    }
    // No file yet: start from fresh tables, never from defaults an earlier failed write changed.
    if (this.db.data === this.defaults) this.db.data = emptyTables();
    const problem = shapeProblem(this.db.data);
    if (problem) throw new StoreCorrupt(this.path, problem);
    return this.db.data;
  }
}

function putRun(t: Tables, { run, steps }: RunRows): void {
  const existing = t.mission_runs.find((row) => row.mission_id === run.mission_id);
  if (existing) Object.assign(existing, run);
  else t.mission_runs.push({ id: ++t.last_id.mission_runs, ...run });
  t.step_logs = t.step_logs.filter((row) => row.mission_id !== run.mission_id);
  for (const step of steps) t.step_logs.push({ id: ++t.last_id.step_logs, ...step });
}

function shapeProblem(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const t = data as Partial<Tables>;
  if (t.format !== FORMAT) return `format is ${JSON.stringify(t.format)}, expected "${FORMAT}"`;
  for (const table of ['mission_runs', 'step_logs', 'escalation_queue'] as const) {
    if (!Array.isArray(t[table])) return `${table} is not a list`;
    if (typeof t.last_id?.[table] !== 'number') return `last_id.${table} is missing`;
  }
  return undefined;
}
