/**
 * Keeps the state store in step with the journal: the attempt's mission_runs row and step logs,
 * and the approval queue. The journal is the source of truth, so a store that fails is reported
 * once (the caller journals it) and then left alone for the rest of the run (`lifeos-mission
 * store rebuild` re-derives it), never fatal.
 */
import { dirname } from 'node:path';
import type { Sha256 } from '../../core/canonical.ts';
import type { JournalEntry } from '../../core/journal-chain.ts';
import type { RunState } from '../../core/run-state.ts';
import { StepRecordFold } from '../../core/step-records.ts';
import { missionId, runRow, stepLogRow, type EscalationRecord } from '../../core/store-rows.ts';
import { bundlePath } from '../bundle.ts';
import { isOpen, type StateStore } from '../store/state-store.ts';
import { relativeTo } from './paths.ts';
import type { Escalation } from './types.ts';

/** Entries that change the run's mission_runs row or step_logs. */
const INDEXED: ReadonlySet<string> = new Set([
  'run_started',
  'recovery',
  'step_started',
  'step_skipped',
  'step_finished',
  'operation_failed',
  'compensated',
  'human_requested',
  'run_paused',
  'run_resumed',
  'run_finished',
]);

/** Of those, the ones saved at once; the others at most every STORE_INTERVAL_MS. */
const SAVED_AT_ONCE: ReadonlySet<string> = new Set(['run_started', 'recovery', 'run_paused', 'run_resumed', 'run_finished']);

/**
 * Each save writes the attempt's row and the step rows that changed since the last one; saving
 * after every step would still be a store write per step, so step rows lag by at most this.
 */
const STORE_INTERVAL_MS = 250;

/** The run being indexed, as the journal-backed record holds it (run-record.ts). */
export interface IndexedRun {
  readonly mission: string;
  readonly runId: Sha256;
  readonly journal: { readonly path: string; readonly opened: readonly JournalEntry[] };
  readonly state: RunState;
}

export class StoreIndex {
  private failed = false;
  private dirty = false;
  private savedAt = 0;
  /** The latest attempt's step records, kept up to date entry by entry. */
  private readonly steps = new StepRecordFold({ latestAttemptOnly: true });
  private started: JournalEntry | undefined;
  private finished: JournalEntry | undefined;
  /** Store row ids of the attempt's step records, by their place in the fold. */
  private rowIds = new Map<number, number>();
  /** The next save writes the attempt whole: its first in this process, or the store lost it. */
  private whole = true;

  constructor(
    private readonly store: StateStore,
    private readonly repoRoot: string,
    private readonly run: IndexedRun,
  ) {
    for (const entry of run.journal.opened) this.fold(entry);
  }

  get path(): string {
    return this.store.path;
  }

  /** Index one new entry; the error when the store failed on it (it is off from then on). */
  add(entry: JournalEntry): { failed: Error } | undefined {
    if (this.failed) return undefined;
    try {
      this.fold(entry);
      this.queue(entry);
      if (INDEXED.has(entry.type)) this.dirty = true;
      if (this.dirty && (SAVED_AT_ONCE.has(entry.type) || performance.now() - this.savedAt >= STORE_INTERVAL_MS)) {
        this.save();
        this.dirty = false;
        this.savedAt = performance.now();
      }
      return undefined;
    } catch (error) {
      this.failed = true;
      return { failed: error as Error };
    }
  }

  private fold(entry: JournalEntry): void {
    if (entry.type === 'run_started') {
      this.started = entry;
      this.finished = undefined;
      this.rowIds = new Map();
      this.whole = true;
    } else if (entry.type === 'run_finished') {
      this.finished = entry;
    }
    this.steps.apply(entry);
  }

  /** The attempt's row and its changed step rows (all of them when it is saved whole). */
  private save(): void {
    const attempt = this.run.state.attempts[this.run.state.attempts.length - 1];
    if (!attempt || !this.started) return;
    const run = runRow(this.started, attempt, this.finished, this.run.state.escalations, (n) => relativeTo(this.repoRoot, bundlePath(dirname(this.run.journal.path), n)));
    if (!this.whole) {
      const changed = this.steps.takeChanged();
      const ids = this.store.updateRun(
        run,
        changed.map(({ ordinal, record }) => ({ id: this.rowIds.get(ordinal) ?? null, step: stepLogRow(run.mission_id, record) })),
      );
      if (ids) {
        changed.forEach(({ ordinal }, i) => this.rowIds.set(ordinal, ids[i] as number));
        return;
      }
    }
    const all = this.steps.takeAll();
    const ids = this.store.saveRun({ run, steps: all.map(({ record }) => stepLogRow(run.mission_id, record)) });
    this.rowIds = new Map(all.map(({ ordinal }, i) => [ordinal, ids[i] as number]));
    this.whole = false;
  }

  /** The approval queue: escalations and human requests in, decisions resolving them. */
  private queue(entry: JournalEntry): void {
    const run = this.run;
    const attempt = run.state.attempts[run.state.attempts.length - 1];
    const mission = attempt ? missionId(run.mission, run.runId, attempt.attempt) : null;
    const data = entry.data;
    if (entry.type === 'escalated' && data.delivery_error === undefined) {
      this.store.queueEscalation(queued(data.escalation_id as Sha256, mission, String(data.reason), data.severity as Escalation['severity'], entry.at));
    } else if (entry.type === 'human_requested') {
      this.store.queueEscalation(queued(data.request_id as Sha256, mission, `step ${String(data.node)} asks for a human decision`, 'info', entry.at));
    } else if (entry.type === 'human_decided') {
      const row = this.store.findEscalation(String(data.request_id));
      if (row && isOpen(row)) {
        this.store.resolveEscalation(row.escalation_id, { resolution: data.decision as 'approved' | 'rejected' | 'retry', resolved_by: String(data.by), resolved_at: entry.at, notes: (data.note as string | null) ?? null });
      }
    } else if (entry.type === 'run_finished' && mission) {
      // A run that ended waits for nothing: what it raised and nobody decided is closed, with how
      // the run ended, so the open queue lists only what a decision can still move.
      const message = (data.error as { message?: string } | undefined)?.message;
      const notes = `the run ended ${String(data.status)}${message ? `: ${message}` : ''}`;
      for (const row of this.store.escalations({ open: true })) {
        if (row.mission_id === mission) this.store.resolveEscalation(row.escalation_id, { resolution: 'closed', resolved_by: 'lifeos-mission', resolved_at: entry.at, notes });
      }
    }
  }
}

function queued(escalationId: Sha256, mission: string | null, reason: string, severity: Escalation['severity'], at: string): EscalationRecord {
  return { escalation_id: escalationId, mission_id: mission, reason, severity, created_at: at, resolved_at: null, resolution: null, resolved_by: null, notes: null };
}
