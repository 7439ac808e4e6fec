/**
 * The rows of the state store (spec §6.1: mission_runs, step_logs, escalation_queue, the same
 * columns and status values) and their derivation from a run's journal. The journal is the
 * source of truth; the store is an index of it for queries, so the engine and `store rebuild`
 * write the same rows through the same function.
 */
import { hashCanonical, type Sha256 } from './canonical.ts';
import type { JournalEntry } from './journal-chain.ts';
import { foldJournal, type AttemptState, type RunStatus } from './run-state.ts';
import { stepRecords, type StepRecord } from './step-records.ts';

/** mission_runs.status values of §6.1. */
export type MissionRunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'escalated';

/** A mission_runs row without its `id` (one per attempt of a run). */
export interface MissionRunRecord {
  /** `<mission>@<first 12 hex of the run id>/<attempt>`. */
  mission_id: string;
  run_id_deterministic: Sha256;
  run_id_audit: string;
  mission_type: string;
  status: MissionRunStatus;
  started_at: string;
  completed_at: string | null;
  baseline_commit: string;
  result_commit: string | null;
  governance_baseline_hash: Sha256;
  escalation_reason: string | null;
  evidence_bundle_path: string | null;
  created_at: string;
}

/** A step_logs row without its `id`: a step record of one attempt (Appendix A.7). */
export type StepLogRecord = Omit<StepRecord, 'attempt' | 'skipped'> & { mission_id: string };

export type EscalationSeverity = 'info' | 'warning' | 'critical';
/** What a person decides on a queue item. */
export type QueueResolution = 'approved' | 'rejected' | 'deferred';
/** A queue item's resolution: a person's (`retry`: the step runs again), or `closed` by the engine when its run ended (the notes say how), as nothing waits for it any more. */
export type EscalationResolution = QueueResolution | 'closed' | 'retry';

/** An escalation_queue row without its `id`. Human approval requests are queued here too. */
export interface EscalationRecord {
  escalation_id: Sha256;
  mission_id: string | null;
  reason: string;
  severity: EscalationSeverity;
  created_at: string;
  resolved_at: string | null;
  resolution: EscalationResolution | null;
  resolved_by: string | null;
  notes: string | null;
}

export type WithId<T> = T & { id: number };

export function missionId(mission: string, runId: Sha256, attempt: number): string {
  return `${mission}@${runId.slice('sha256:'.length, 'sha256:'.length + 12)}/${attempt}`;
}

/** How a journal's runs appear in the store: one mission_runs row per attempt, with its step_logs. */
export interface RunRows {
  run: MissionRunRecord;
  steps: StepLogRecord[];
}

/**
 * The store rows of every attempt in a run's journal. `bundleFile(attempt)` names the completion
 * bundle of a finished attempt, as the store records it (relative to the repository).
 */
export function runRows(entries: readonly JournalEntry[], bundleFile: (attempt: number) => string): RunRows[] {
  const state = foldJournal(entries);
  const records = stepRecords(entries);
  const starts = entries.filter((entry) => entry.type === 'run_started');
  return state.attempts.map((attempt, index) => {
    const finished = attempt.finished ? entries.find((entry) => entry.seq === attempt.finished?.seq) : undefined;
    const run = runRow(starts[index] as JournalEntry, attempt, finished, state.escalations, bundleFile);
    const steps = records
      .filter((record) => record.attempt === attempt.attempt)
      .map((record) => stepLogRow(run.mission_id, record));
    return { run, steps };
  });
}

/** The mission_runs row of one attempt: its run_started entry, its state, and its run_finished entry once it ended. */
export function runRow(
  started: JournalEntry,
  attempt: AttemptState,
  finished: JournalEntry | undefined,
  escalations: ReadonlyArray<Record<string, unknown>>,
  bundleFile: (attempt: number) => string,
): MissionRunRecord {
  return {
    mission_id: missionId(String(started.data.mission), started.run_id, attempt.attempt),
    run_id_deterministic: started.run_id,
    run_id_audit: String(started.data.run_id_audit),
    mission_type: String(started.data.mission),
    ...statusOf(attempt, finished, escalations),
    started_at: started.at,
    completed_at: finished?.at ?? null,
    baseline_commit: attempt.baseline.head ?? '',
    result_commit: resultCommit(attempt, finished),
    // The manifest's hash when there is one, else the hash of the surfaces as they were.
    governance_baseline_hash: (started.data.governance_baseline_hash as Sha256 | null | undefined) ?? hashCanonical(started.data.governance_surface_hashes ?? {}),
    evidence_bundle_path: finished ? bundleFile(attempt.attempt) : null,
    created_at: started.at,
  };
}

/** A step record as a step_logs row of the attempt `missionId`. */
export function stepLogRow(mission: string, { attempt: _attempt, skipped: _skipped, ...record }: StepRecord): StepLogRecord {
  return { mission_id: mission, ...record };
}

/** §6.1 has no `halted` or `awaiting_human`: both need the CEO, so both are `escalated`, with the reason. */
function statusOf(
  attempt: AttemptState,
  finished: JournalEntry | undefined,
  escalations: ReadonlyArray<Record<string, unknown>>,
): { status: MissionRunStatus; escalation_reason: string | null } {
  if (!finished) {
    if (attempt.paused) return { status: 'escalated', escalation_reason: `awaiting a human decision on request ${attempt.paused.request_id}` };
    return { status: 'running', escalation_reason: null };
  }
  const status = finished.data.status as RunStatus;
  if (status === 'completed' || status === 'failed') return { status, escalation_reason: null };
  const escalationId = finished.data.escalation_id;
  const escalation = escalations.find((e) => e.escalation_id === escalationId);
  const message = (finished.data.error as { message?: string } | undefined)?.message;
  return { status: 'escalated', escalation_reason: `${status}: ${String(escalation?.reason ?? message ?? 'no reason recorded')}` };
}

function resultCommit(attempt: AttemptState, finished: JournalEntry | undefined): string | null {
  const head = (finished?.data.final_state as { head?: string | null } | undefined)?.head ?? null;
  return head !== null && head !== attempt.baseline.head ? head : null;
}
