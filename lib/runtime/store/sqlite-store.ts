/**
 * The SQLite state store: exactly the schema and indexes of spec §6.1, in WAL mode, through
 * better-sqlite3, an optional dependency loaded only when this back end is chosen (so a default
 * install compiles nothing native). Writes run in immediate transactions with a busy timeout,
 * so several processes can share the file.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Sha256 } from '../../core/canonical.ts';
import type { EscalationRecord, MissionRunRecord, RunRows, StepLogRecord, WithId } from '../../core/store-rows.ts';
import { checkResolvable, matchEscalation, StoreCorrupt, StoreUnavailable, type EscalationQuery, type Resolution, type RunQuery, type StateStore, type StepRowUpdate } from './state-store.ts';

/** Spec §6.1, verbatim. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS mission_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id TEXT NOT NULL,
    run_id_deterministic TEXT NOT NULL,
    run_id_audit TEXT NOT NULL,
    mission_type TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    baseline_commit TEXT NOT NULL,
    result_commit TEXT,
    governance_baseline_hash TEXT NOT NULL,
    escalation_reason TEXT,
    evidence_bundle_path TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS step_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mission_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    operation_type TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    pre_state_hash TEXT,
    post_state_hash TEXT,
    evidence_hash TEXT,
    error_message TEXT,
    compensation_status TEXT,
    prev_entry_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    FOREIGN KEY (mission_id) REFERENCES mission_runs(mission_id)
);
CREATE TABLE IF NOT EXISTS escalation_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    escalation_id TEXT NOT NULL UNIQUE,
    mission_id TEXT,
    reason TEXT NOT NULL,
    severity TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT,
    resolved_by TEXT,
    notes TEXT
);
CREATE INDEX IF NOT EXISTS idx_mission_runs_status ON mission_runs(status);
CREATE INDEX IF NOT EXISTS idx_step_logs_mission_id ON step_logs(mission_id);
CREATE INDEX IF NOT EXISTS idx_escalation_queue_resolved ON escalation_queue(resolved_at);
`;

/**
 * Beyond §6.1: every save finds its attempt's row by mission_id, which §6.1 does not index, so
 * without this a save would scan the whole history.
 */
const EXTRA_INDEXES_SQL = 'CREATE INDEX IF NOT EXISTS idx_mission_runs_mission_id ON mission_runs(mission_id);';

const RUN_COLUMNS = ['mission_id', 'run_id_deterministic', 'run_id_audit', 'mission_type', 'status', 'started_at', 'completed_at', 'baseline_commit', 'result_commit', 'governance_baseline_hash', 'escalation_reason', 'evidence_bundle_path', 'created_at'] as const;
const STEP_COLUMNS = ['mission_id', 'step_id', 'operation_type', 'status', 'started_at', 'completed_at', 'pre_state_hash', 'post_state_hash', 'evidence_hash', 'error_message', 'compensation_status', 'prev_entry_hash', 'entry_hash'] as const;
const ESCALATION_COLUMNS = ['escalation_id', 'mission_id', 'reason', 'severity', 'created_at', 'resolved_at', 'resolution', 'resolved_by', 'notes'] as const;

const insertSql = (table: string, columns: readonly string[]): string => `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`;

export class SqliteStore implements StateStore {
  readonly backend = 'sqlite' as const;
  private readonly db: SqliteDatabase;

  constructor(readonly path: string) {
    const Database = loadDriver();
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.db = new Database(path, { timeout: 10_000 });
      this.db.pragma('journal_mode = WAL');
      // §6.1's step_logs foreign key names mission_runs(mission_id), which the schema does not make
      // UNIQUE, so SQLite cannot enforce it ("foreign key mismatch"). The schema is kept verbatim and
      // saveRun keeps the relation: a run's row and its steps are written in one transaction.
      this.db.pragma('foreign_keys = OFF');
      this.db.exec(SCHEMA_SQL + EXTRA_INDEXES_SQL);
    } catch (error) {
      throw new StoreCorrupt(path, (error as Error).message);
    }
  }

  saveRun(rows: RunRows): number[] {
    return this.db.transaction(() => this.putRun(rows)).immediate();
  }

  updateRun(run: MissionRunRecord, steps: readonly StepRowUpdate[]): number[] | null {
    return this.db
      .transaction(() => {
        const updated = this.db.prepare(`UPDATE mission_runs SET ${RUN_COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE mission_id = @mission_id`).run(run);
        if (updated.changes === 0) return null;
        const insert = this.db.prepare(insertSql('step_logs', STEP_COLUMNS));
        const replace = this.db.prepare(`UPDATE step_logs SET ${STEP_COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
        return steps.map(({ id, step }) => {
          if (id === null) return Number(insert.run(step).lastInsertRowid);
          replace.run({ ...step, id });
          return id;
        });
      })
      .immediate();
  }

  replaceRuns(all: readonly RunRows[]): void {
    this.db
      .transaction(() => {
        this.db.exec('DELETE FROM step_logs; DELETE FROM mission_runs;');
        for (const rows of all) this.putRun(rows);
      })
      .immediate();
  }

  queueEscalation(record: EscalationRecord): WithId<EscalationRecord> {
    return this.db
      .transaction(() => {
        this.db.prepare(`${insertSql('escalation_queue', ESCALATION_COLUMNS)} ON CONFLICT(escalation_id) DO NOTHING`).run(record);
        return this.db.prepare('SELECT * FROM escalation_queue WHERE escalation_id = ?').get(record.escalation_id) as WithId<EscalationRecord>;
      })
      .immediate();
  }

  resolveEscalation(escalationId: Sha256, resolution: Resolution): WithId<EscalationRecord> {
    return this.db
      .transaction(() => {
        const row = checkResolvable(this.db.prepare('SELECT * FROM escalation_queue WHERE escalation_id = ?').get(escalationId) as WithId<EscalationRecord> | undefined, escalationId);
        this.db.prepare('UPDATE escalation_queue SET resolution = @resolution, resolved_by = @resolved_by, resolved_at = @resolved_at, notes = @notes WHERE id = @id').run({ ...resolution, id: row.id });
        return { ...row, ...resolution };
      })
      .immediate();
  }

  escalations(query: EscalationQuery = {}): WithId<EscalationRecord>[] {
    const where = query.open ? "WHERE resolution IS NULL OR resolution = 'deferred'" : '';
    return this.db.prepare(`SELECT * FROM escalation_queue ${where} ORDER BY created_at, id`).all() as WithId<EscalationRecord>[];
  }

  findEscalation(ref: string): WithId<EscalationRecord> | undefined {
    return matchEscalation(this.db.prepare('SELECT * FROM escalation_queue').all() as WithId<EscalationRecord>[], ref);
  }

  runs(query: RunQuery = {}): WithId<MissionRunRecord>[] {
    const conditions: string[] = [];
    if (query.status) conditions.push('status = @status');
    if (query.run_id) conditions.push('run_id_deterministic = @run_id');
    const sql = `SELECT * FROM mission_runs ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC ${query.limit === undefined ? '' : 'LIMIT @limit'}`;
    return this.db.prepare(sql).all({ status: query.status, run_id: query.run_id, limit: query.limit }) as WithId<MissionRunRecord>[];
  }

  stepLogs(missionId: string): WithId<StepLogRecord>[] {
    return this.db.prepare('SELECT * FROM step_logs WHERE mission_id = ? ORDER BY id').all(missionId) as WithId<StepLogRecord>[];
  }

  close(): void {
    this.db.close();
  }

  private putRun({ run, steps }: RunRows): number[] {
    const existing = this.db.prepare('SELECT id FROM mission_runs WHERE mission_id = ?').get(run.mission_id) as { id: number } | undefined;
    if (existing) {
      this.db.prepare(`UPDATE mission_runs SET ${RUN_COLUMNS.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({ ...run, id: existing.id });
    } else {
      this.db.prepare(insertSql('mission_runs', RUN_COLUMNS)).run(run);
    }
    this.db.prepare('DELETE FROM step_logs WHERE mission_id = ?').run(run.mission_id);
    const insert = this.db.prepare(insertSql('step_logs', STEP_COLUMNS));
    return steps.map((step) => Number(insert.run(step).lastInsertRowid));
  }
}

type DriverConstructor = new (path: string, options: { timeout: number }) => SqliteDatabase;

function loadDriver(): DriverConstructor {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as DriverConstructor;
  } catch (error) {
    throw new StoreUnavailable((error as Error).message.split('\n')[0] ?? 'not found');
  }
}
