/**
 * Step records (spec Appendix A.7, the `step_logs` rows of §6.1) derived from a journal: one
 * record per step execution, with the status and hashes the journal proves. The journal stays
 * the source of truth; these are a view of it, so the state store can be rebuilt from journals
 * and a progress display or dashboard never keeps its own bookkeeping.
 */
import { hashCanonical, type Sha256 } from './canonical.ts';
import type { JournalEntry } from './journal-chain.ts';
import type { JournalEntryType, OperationReceipt } from './run-state.ts';

/** The step_logs status values of spec §6.1. `pending` is a human step waiting for a decision. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'compensated';

/** The step_logs compensation values of spec §6.1. */
export type CompensationStatus = 'not_needed' | 'pending' | 'completed' | 'failed';

/** Appendix A.7 (same field names), plus where it ran and how it ended. */
export interface StepRecord {
  /** The plan node (`review_design/run_seats[risk]`). */
  step_id: string;
  /** The operation; `human`, `mission` or `fan_out` for the other step kinds. */
  operation_type: string;
  status: StepStatus;
  started_at: string;
  completed_at: string | null;
  /** State hash before the operation; null for steps that are not operations. */
  pre_state_hash: Sha256 | null;
  post_state_hash: Sha256 | null;
  /** Hash of the operation's output (§6.1 evidence_hash). */
  evidence_hash: Sha256 | null;
  error_message: string | null;
  /**
   * not_needed: read-only, or a write the completed run kept. pending: a write an unfinished
   * attempt could still undo. completed / failed: compensated, and verified or not.
   */
  compensation_status: CompensationStatus;
  /** Chain fields of the last journal entry that changed this record. */
  prev_entry_hash: Sha256;
  entry_hash: Sha256;
  attempt: number;
  /** The step was completed by an earlier execution with the same idempotency key. */
  skipped: boolean;
}

interface Draft extends StepRecord {
  writes: boolean;
  /** Its place among the records the fold has made (stable: a store row can be keyed by it). */
  ordinal: number;
}

/** A step record and its place in the order the steps started. */
export interface NumberedStepRecord {
  ordinal: number;
  record: StepRecord;
}

/** Every step execution in the journal, in the order the steps started. */
export function stepRecords(entries: readonly JournalEntry[]): StepRecord[] {
  const fold = new StepRecordFold();
  for (const entry of entries) fold.apply(entry);
  return fold.records();
}

/**
 * The step records of a journal kept up to date one entry at a time, so an engine that indexes
 * a long run pays for each new entry once, never for the whole journal again. With
 * `latestAttemptOnly`, the records of an attempt are dropped when the next one starts (a running
 * engine indexes only its own attempt; memory then stays bounded by one attempt's steps).
 */
export class StepRecordFold {
  private drafts: Draft[] = [];
  private current = new Map<string, Draft>();
  private attempt = 0;
  private made = 0;
  // The evidence hash of each completed operation, by the seq of its operation_started entry (what
  // step_skipped cites); hashes, not outputs, so a long run does not hold every output twice.
  private readonly completedBySeq = new Map<number, { operation: string; receipt: OperationReceipt; evidenceHash: Sha256 }>();
  private started = { seq: 0, operation: '' };
  private changed = new Set<Draft>();

  constructor(private readonly options: { latestAttemptOnly?: boolean } = {}) {}

  apply(entry: JournalEntry): void {
    const data = entry.data;
    switch (entry.type as JournalEntryType) {
      case 'run_started':
        this.attempt = data.attempt as number;
        this.current = new Map();
        if (this.options.latestAttemptOnly) {
          this.drafts = [];
          this.changed = new Set();
        }
        return;
      case 'step_started':
        this.open(entry, { operation_type: stepType(data) });
        return;
      case 'step_skipped': {
        const done = this.completedBySeq.get(data.completed_seq as number);
        this.open(entry, {
          operation_type: done?.operation ?? 'unknown',
          status: 'completed',
          completed_at: entry.at,
          skipped: true,
          pre_state_hash: done?.receipt.pre_state_hash ?? null,
          post_state_hash: done?.receipt.post_state_hash ?? null,
          evidence_hash: done?.evidenceHash ?? null,
        });
        return;
      }
      case 'operation_started':
        this.started = { seq: entry.seq, operation: data.operation as string };
        break;
      case 'operation_finished':
        this.completedBySeq.set(this.started.seq, { operation: this.started.operation, receipt: data.receipt as OperationReceipt, evidenceHash: hashCanonical(data.output ?? null) });
        break;
      case 'run_finished':
        for (const draft of closeAttempt(this.current, entry)) this.changed.add(draft);
        return;
      default:
        break;
    }
    const draft = typeof data.node === 'string' ? this.current.get(data.node) : undefined;
    if (draft && applyStepEntry(draft, entry, this.completedBySeq.get(this.started.seq)?.evidenceHash ?? null)) {
      draft.prev_entry_hash = entry.prev_entry_hash;
      draft.entry_hash = entry.entry_hash;
      this.changed.add(draft);
    }
  }

  /** Every record kept, in the order the steps started. */
  records(): StepRecord[] {
    return this.drafts.map(publicRecord);
  }

  /** The records changed since the last call (or since the fold began), in the order they started. */
  takeChanged(): NumberedStepRecord[] {
    const changed = [...this.changed].sort((a, b) => a.ordinal - b.ordinal).map((draft) => ({ ordinal: draft.ordinal, record: publicRecord(draft) }));
    this.changed = new Set();
    return changed;
  }

  /** Every record kept, numbered; what was changed counts as taken. */
  takeAll(): NumberedStepRecord[] {
    this.changed = new Set();
    return this.drafts.map((draft) => ({ ordinal: draft.ordinal, record: publicRecord(draft) }));
  }

  private open(entry: JournalEntry, fields: Partial<Draft>): void {
    const draft: Draft = {
      step_id: entry.data.node as string,
      operation_type: 'unknown',
      status: 'running',
      started_at: entry.at,
      completed_at: null,
      pre_state_hash: null,
      post_state_hash: null,
      evidence_hash: null,
      error_message: null,
      compensation_status: 'not_needed',
      prev_entry_hash: entry.prev_entry_hash,
      entry_hash: entry.entry_hash,
      attempt: this.attempt,
      skipped: false,
      writes: false,
      ordinal: this.made++,
      ...fields,
    };
    this.drafts.push(draft);
    this.current.set(draft.step_id, draft);
    this.changed.add(draft);
  }
}

function publicRecord({ writes: _writes, ordinal: _ordinal, ...record }: Draft): StepRecord {
  return record;
}

/** Apply an entry about one step to its record (`evidenceHash`: of the output an operation_finished carries); false when the entry does not change it. */
function applyStepEntry(draft: Draft, entry: JournalEntry, evidenceHash: Sha256 | null): boolean {
  const data = entry.data;
  switch (entry.type as JournalEntryType) {
    case 'operation_started':
      draft.pre_state_hash = data.pre_state_hash as Sha256;
      draft.writes = data.writes === true;
      return true;
    case 'operation_finished':
      draft.post_state_hash = (data.receipt as OperationReceipt).post_state_hash;
      draft.evidence_hash = evidenceHash;
      if (draft.writes) draft.compensation_status = 'pending';
      return true;
    case 'operation_failed':
      draft.status = 'failed';
      draft.completed_at = entry.at;
      draft.error_message = (data.error as { message: string }).message;
      return true;
    case 'compensated':
      draft.status = 'compensated';
      draft.compensation_status = data.compensation_verified === true ? 'completed' : 'failed';
      draft.completed_at ??= entry.at;
      return true;
    case 'human_requested':
      draft.status = 'pending';
      return true;
    case 'step_finished':
      draft.status = 'completed';
      draft.completed_at = entry.at;
      return true;
    default:
      return false;
  }
}

/** At the end of an attempt, steps still running failed with the run, and kept writes need no undo; returns the records it changed. */
function closeAttempt(current: ReadonlyMap<string, Draft>, entry: JournalEntry): Draft[] {
  const error = entry.data.error as { message?: string; node?: string | null } | undefined;
  const changed: Draft[] = [];
  for (const draft of current.values()) {
    let change = false;
    if (draft.status === 'running' || draft.status === 'pending') {
      draft.status = 'failed';
      draft.completed_at = entry.at;
      draft.error_message ??= error?.message ?? `the run ended ${String(entry.data.status)}`;
      draft.prev_entry_hash = entry.prev_entry_hash;
      draft.entry_hash = entry.entry_hash;
      change = true;
    }
    if (entry.data.status === 'completed' && draft.compensation_status === 'pending') {
      draft.compensation_status = 'not_needed';
      change = true;
    }
    if (change) changed.push(draft);
  }
  return changed;
}

/** What a `step_started` entry says the step is: its operation, or `human`, `mission`, `fan_out`. */
export function stepType(data: Record<string, unknown>): string {
  return String(data.kind === 'runtime' ? data.operation : data.kind);
}
