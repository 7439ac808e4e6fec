/**
 * The default state store. The approval queue and the id counters are one JSON file (lowdb,
 * `state.json`); runs and step logs are files of their own per attempt (run-files.ts), so a
 * run's saves cost what it changed however long the history is. Two processes writing one lowdb
 * file lose updates and can leave unparseable JSON, so every write holds a cross-process mutex
 * (file-mutex.ts), and files are written beside and renamed into place, so a reader always sees
 * a whole file. A file that does not parse or has the wrong shape is reported with its path and
 * never reset. A version 1 file (runs and steps inside state.json) is moved to the new layout
 * the first time it is opened.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LowSync } from 'lowdb';
import { JSONFileSync } from 'lowdb/node';
import type { Sha256 } from '../../core/canonical.ts';
import type { EscalationRecord, MissionRunRecord, RunRows, StepLogRecord, WithId } from '../../core/store-rows.ts';
import { withFileMutex } from './file-mutex.ts';
import { RunFiles } from './run-files.ts';
import { checkResolvable, isOpen, matchEscalation, StoreCorrupt, type EscalationQuery, type Resolution, type RunQuery, type StateStore, type StepRowUpdate } from './state-store.ts';

const FORMAT = 'lifeos-mission/state/v2';
const FORMAT_V1 = 'lifeos-mission/state/v1';

interface Tables {
  format: typeof FORMAT;
  /** The last id given in each table (ids are never reused). */
  last_id: { mission_runs: number; step_logs: number; escalation_queue: number };
  escalation_queue: Array<WithId<EscalationRecord>>;
}

/** Version 1 also held every run and step row. */
interface TablesV1 extends Omit<Tables, 'format'> {
  format: typeof FORMAT_V1;
  mission_runs: Array<WithId<MissionRunRecord>>;
  step_logs: Array<WithId<StepLogRecord>>;
}

function emptyTables(): Tables {
  return { format: FORMAT, last_id: { mission_runs: 0, step_logs: 0, escalation_queue: 0 }, escalation_queue: [] };
}

export class LowdbStore implements StateStore {
  readonly backend = 'lowdb' as const;
  private readonly db: LowSync<Tables>;
  private readonly lockPath: string;
  private readonly files: RunFiles;
  /** lowdb hands back this object when the file does not exist yet. */
  private readonly defaults = emptyTables();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new LowSync<Tables>(new JSONFileSync<Tables>(path), this.defaults);
    this.lockPath = `${path}.lock`;
    this.files = new RunFiles(join(dirname(path), 'runs'));
    if ((this.load() as Tables | TablesV1).format === FORMAT_V1) withFileMutex(this.lockPath, () => this.migrate());
    this.read();
  }

  saveRun(rows: RunRows): number[] {
    return this.update((t) => {
      const id = this.files.read(rows.run)?.id ?? ++t.last_id.mission_runs;
      const steps = rows.steps.map((step) => ({ id: ++t.last_id.step_logs, ...step }));
      // The counters are written first (by update, below, before the files): a crash in between
      // leaves a gap in the ids, never an id given twice.
      return { after: () => this.files.writeWhole({ id, ...rows.run }, steps), result: steps.map((step) => step.id) };
    });
  }

  updateRun(run: MissionRunRecord, steps: readonly StepRowUpdate[]): number[] | null {
    return withFileMutex(this.lockPath, () => {
      const saved = this.files.read(run);
      if (!saved) return null;
      // New rows take ids from the counter, which is written before the rows are.
      const t = steps.some((s) => s.id === null) ? this.read() : undefined;
      const rows = steps.map((s) => ({ id: s.id ?? ++(t as Tables).last_id.step_logs, ...s.step }));
      if (t) this.db.write();
      this.files.append({ id: saved.id, ...run }, rows);
      return rows.map((row) => row.id);
    });
  }

  replaceRuns(all: readonly RunRows[]): void {
    this.update((t) => {
      const rows = all.map(({ run, steps }) => ({ run: { id: ++t.last_id.mission_runs, ...run }, steps: steps.map((step) => ({ id: ++t.last_id.step_logs, ...step })) }));
      return {
        after: () => {
          this.files.clear();
          for (const { run, steps } of rows) this.files.writeWhole(run, steps);
        },
        result: undefined,
      };
    });
  }

  queueEscalation(record: EscalationRecord): WithId<EscalationRecord> {
    return this.update((t) => {
      const existing = t.escalation_queue.find((row) => row.escalation_id === record.escalation_id);
      if (existing) return { result: existing };
      const row = { id: ++t.last_id.escalation_queue, ...record };
      t.escalation_queue.push(row);
      return { result: row };
    });
  }

  resolveEscalation(escalationId: Sha256, resolution: Resolution): WithId<EscalationRecord> {
    return this.update((t) => {
      const row = checkResolvable(
        t.escalation_queue.find((r) => r.escalation_id === escalationId),
        escalationId,
      );
      Object.assign(row, resolution);
      return { result: row };
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
    return this.files.runs(query.limit, (row) => (!query.status || row.status === query.status) && (!query.run_id || row.run_id_deterministic === query.run_id));
  }

  stepLogs(missionId: string): WithId<StepLogRecord>[] {
    return this.files.steps(missionId);
  }

  close(): void {
    // Nothing is held open between calls.
  }

  /**
   * A read-modify-write of state.json under the mutex; the file is written only if `change`
   * returns normally, and `after` (the run files) runs once it is written.
   */
  private update<T>(change: (tables: Tables) => { result: T; after?: () => void }): T {
    return withFileMutex(this.lockPath, () => {
      const { result, after } = change(this.read());
      this.db.write();
      after?.();
      return result;
    });
  }

  /** Move a version 1 file's runs and steps into run files, then drop them from state.json. */
  private migrate(): void {
    const old = this.load() as Tables | TablesV1;
    if (old.format !== FORMAT_V1) return;
    const problem = shapeProblem(old, FORMAT_V1, ['mission_runs', 'step_logs', 'escalation_queue']);
    if (problem) throw new StoreCorrupt(this.path, problem);
    const steps = new Map<string, Array<WithId<StepLogRecord>>>();
    for (const row of old.step_logs) {
      const list = steps.get(row.mission_id);
      if (list) list.push(row);
      else steps.set(row.mission_id, [row]);
    }
    for (const run of old.mission_runs) this.files.writeWhole(run, steps.get(run.mission_id) ?? []);
    this.db.data = { format: FORMAT, last_id: old.last_id, escalation_queue: old.escalation_queue };
    this.db.write();
  }

  private load(): Tables {
    try {
      this.db.read();
    } catch (error) {
      throw new StoreCorrupt(this.path, (error as Error).message);
    }
    // No file yet: start from fresh tables, never from defaults an earlier failed write changed.
    if (this.db.data === this.defaults) this.db.data = emptyTables();
    return this.db.data;
  }

  private read(): Tables {
    const data = this.load();
    const problem = shapeProblem(data, FORMAT, ['escalation_queue']);
    if (problem) throw new StoreCorrupt(this.path, problem);
    return data;
  }
}

function shapeProblem(data: unknown, format: string, tables: readonly string[]): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const t = data as Record<string, unknown> & { last_id?: Record<string, unknown> };
  if (t.format !== format) return `format is ${JSON.stringify(t.format)}, expected "${format}"`;
  for (const table of tables) if (!Array.isArray(t[table])) return `${table} is not a list`;
  for (const table of ['mission_runs', 'step_logs', 'escalation_queue']) {
    if (typeof t.last_id?.[table] !== 'number') return `last_id.${table} is missing`;
  }
  return undefined;
}
