/**
 * The state store (spec §6.1): mission_runs, step_logs and escalation_queue, behind one
 * interface with two back ends (lowdb-store.ts, the default, and sqlite-store.ts). The journal
 * stays the source of truth for runs and steps; the store indexes them for queries and holds
 * the approval queue.
 */
import type { Sha256 } from '../../core/canonical.ts';
import type { EscalationRecord, EscalationResolution, MissionRunRecord, MissionRunStatus, RunRows, StepLogRecord, WithId } from '../../core/store-rows.ts';

export type StoreBackend = 'lowdb' | 'sqlite';

export interface RunQuery {
  /** At most this many, newest first (default: all). */
  limit?: number;
  status?: MissionRunStatus;
  run_id?: Sha256;
}

export interface EscalationQuery {
  /** Only those still to decide: unresolved or deferred (default: all). */
  open?: boolean;
}

export interface Resolution {
  resolution: EscalationResolution;
  resolved_by: string;
  resolved_at: string;
  notes: string | null;
}

/** A step row to write: `id` from an earlier save replaces that row, null adds one. */
export interface StepRowUpdate {
  id: number | null;
  step: StepLogRecord;
}

export interface StateStore {
  readonly backend: StoreBackend;
  /** The store file. */
  readonly path: string;
  /** Insert or replace one attempt's mission_runs row, and replace its step_logs; the step rows' ids, in order. */
  saveRun(rows: RunRows): number[];
  /**
   * Update the row of an attempt saved before, and write only the step rows given (replacing
   * those with an id, adding the others), so a long run's save costs what changed, not the run
   * so far. The steps' ids in order, or null when the attempt is not in the store (rebuilt or
   * moved aside meanwhile: save it whole).
   */
  updateRun(run: MissionRunRecord, steps: readonly StepRowUpdate[]): number[] | null;
  /** Replace every mission_runs and step_logs row (store rebuild); the queue is kept. */
  replaceRuns(all: readonly RunRows[]): void;
  /** Add an escalation; one with the same escalation_id already queued is returned unchanged. */
  queueEscalation(record: EscalationRecord): WithId<EscalationRecord>;
  /** Record a decision. Throws StoreConflict if it is unknown or decided already (a deferral can be decided). */
  resolveEscalation(escalationId: Sha256, resolution: Resolution): WithId<EscalationRecord>;
  /** Ordered by created_at, then id. */
  escalations(query?: EscalationQuery): WithId<EscalationRecord>[];
  /** By queue id (`12`, up to 5 digits) or escalation id (`sha256:…`, or a unique prefix of its hex of at least 6). */
  findEscalation(ref: string): WithId<EscalationRecord> | undefined;
  /** Newest first. */
  runs(query?: RunQuery): WithId<MissionRunRecord>[];
  stepLogs(missionId: string): WithId<StepLogRecord>[];
  close(): void;
}

/** The store file cannot be read as a store. It is never reset: move it aside, or rebuild. */
export class StoreCorrupt extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`state store ${path} is corrupt (${reason}); it was left as it is: move it aside and run \`lifeos-mission store rebuild\` to re-derive runs and steps from the journals`);
    this.name = 'StoreCorrupt';
  }
}

/** A queue action that does not fit the queue's state (unknown id, decided already). */
export class StoreConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConflict';
  }
}

/** The SQLite back end was asked for, but better-sqlite3 is not installed. */
export class StoreUnavailable extends Error {
  constructor(reason: string) {
    super(`the sqlite state store needs the optional dependency better-sqlite3 (${reason}); install it with \`npm install better-sqlite3\`, or use the default lowdb store`);
    this.name = 'StoreUnavailable';
  }
}

/**
 * Matching an escalation reference against queue rows: up to 5 digits is a queue id (`12`);
 * anything else is an escalation id (`sha256:…`) or a prefix of its hex of at least 6 digits.
 */
export function matchEscalation<T extends { id: number; escalation_id: string }>(rows: readonly T[], ref: string): T | undefined {
  if (/^\d{1,5}$/.test(ref)) return rows.find((row) => row.id === Number(ref));
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  if (!/^[0-9a-f]{6,64}$/.test(hex)) return undefined;
  const matches = rows.filter((row) => row.escalation_id.slice(7).startsWith(hex));
  if (matches.length > 1) throw new StoreConflict(`escalation id prefix ${hex} is ambiguous (${matches.map((m) => m.id).join(', ')}); give more digits or the queue id`);
  return matches[0];
}

/** Whether a queued escalation may still be decided. */
export function isOpen(row: Pick<EscalationRecord, 'resolution'>): boolean {
  return row.resolution === null || row.resolution === 'deferred';
}

/** The conflict message for deciding an escalation that was decided already, or is unknown. */
export function checkResolvable(row: WithId<EscalationRecord> | undefined, escalationId: string): WithId<EscalationRecord> {
  if (!row) throw new StoreConflict(`no escalation ${escalationId} in the queue`);
  if (!isOpen(row)) throw new StoreConflict(`escalation ${row.id} was ${String(row.resolution)} by ${String(row.resolved_by)} at ${String(row.resolved_at)}; a decision is final`);
  return row;
}
