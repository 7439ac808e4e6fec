/**
 * What a journal says about its run, as a pure fold over its entries: the run's attempts, which
 * operations completed (by idempotency key) and were not undone, which operation was in flight
 * when the journal stops, human requests and decisions, escalations. The runner uses it to skip
 * completed steps, recovery uses it to choose its action (spec §5.6.4), and the state store
 * derives step records (Appendix A.7) from it.
 */
import { hashCanonical, type Sha256 } from './canonical.ts';
import type { CompensationType } from './compensation.ts';
import type { JournalEntry } from './journal-chain.ts';

/** The journal entry types the engine writes. */
export type JournalEntryType =
  | 'run_started'
  | 'recovery'
  | 'step_started'
  | 'step_finished'
  | 'step_skipped'
  | 'operation_started'
  | 'operation_finished'
  | 'operation_failed'
  | 'compensated'
  | 'escalated'
  | 'kill_switch'
  | 'human_requested'
  | 'human_decided'
  | 'rollback_started'
  | 'rollback_finished'
  | 'run_paused'
  | 'run_resumed'
  | 'run_finished'
  | 'store_failed';

export type RunStatus = 'completed' | 'failed' | 'escalated' | 'halted' | 'awaiting_human';

/** A git state recorded in the journal (runtime/git-state.ts RepoSnapshot). */
export interface RecordedSnapshot {
  head: string | null;
  ref: string | null;
  index_tree: string;
  worktree_tree: string;
  /** Every branch's tip (absent in journals written before branches were recorded). */
  branches?: Record<string, string>;
}

export interface InFlightOperation {
  node: string;
  operation: string;
  operation_id: string;
  idempotency_key: Sha256;
  writes: boolean;
  compensation_type: CompensationType;
  compensation_command: string;
  /** The resolved params (a custom compensation needs them). */
  params: Record<string, unknown>;
  pre: RecordedSnapshot | null;
  pre_state_hash: Sha256;
  seq: number;
}

export interface CompletedOperation extends InFlightOperation {
  /** The attempt that completed it. */
  attempt: number;
  output: unknown;
  receipt: OperationReceipt;
  /** The state a writing operation left (null for a read-only one). */
  post: RecordedSnapshot | null;
}

/** Appendix A.3, and the governance hashes in force when it ran. */
export interface OperationReceipt {
  operation_id: string;
  timestamp: string;
  pre_state_hash: Sha256;
  post_state_hash: Sha256;
  compensation_type: CompensationType;
  compensation_command: string;
  idempotency_key: Sha256;
  compensation_verified: boolean;
  /** The governance baseline, surfaces and envelope policy in force (spec §2.3, §5.2.1). */
  governance_baseline_hash: Sha256 | null;
  governance_surfaces_hash: Sha256 | null;
  envelope_policy_hash: Sha256 | null;
}

export interface AttemptState {
  attempt: number;
  /** Seq of its run_started entry. */
  started_seq: number;
  baseline: RecordedSnapshot;
  /** Writing operations of this attempt that completed and were not compensated, in order. */
  writes: CompletedOperation[];
  in_flight: InFlightOperation | undefined;
  rollback: { status: RunStatus; reason: string } | undefined;
  rollback_finished: boolean;
  paused: { request_id: string; state: RecordedSnapshot } | undefined;
  finished: { status: RunStatus; seq: number } | undefined;
}

/** A decision on a request: `retry` (run the step again) only on an escalation nothing could be let stand for. */
export type HumanDecisionKind = 'approved' | 'rejected' | 'retry';

export interface RunState {
  run_id: Sha256 | undefined;
  mission: string | undefined;
  plan_hash: Sha256 | undefined;
  attempts: AttemptState[];
  /** Completed, not undone operations by idempotency key: a re-run skips them. */
  completed: Map<string, CompletedOperation>;
  /** Human steps' requests and paused escalations (`kind: 'escalation'`), by request id. */
  human_requests: Map<string, { node: string; seq: number; kind: 'human' | 'escalation'; overridable: boolean }>;
  run_id_audit: string | undefined;
  human_decisions: Map<string, { decision: HumanDecisionKind; by: string; note: string | null }>;
  escalations: Array<Record<string, unknown>>;
}

export function emptyRunState(): RunState {
  return {
    run_id: undefined,
    run_id_audit: undefined,
    mission: undefined,
    plan_hash: undefined,
    attempts: [],
    completed: new Map(),
    human_requests: new Map(),
    human_decisions: new Map(),
    escalations: [],
  };
}

/** Fold entries into the run state (entries must be in journal order). */
export function foldJournal(entries: readonly JournalEntry[], state: RunState = emptyRunState()): RunState {
  for (const entry of entries) applyEntry(state, entry);
  return state;
}

export function applyEntry(state: RunState, entry: JournalEntry): void {
  const data = entry.data;
  const attempt = state.attempts[state.attempts.length - 1];
  switch (entry.type as JournalEntryType) {
    case 'run_started':
      state.run_id = entry.run_id;
      state.mission = data.mission as string;
      state.run_id_audit = data.run_id_audit as string;
      state.plan_hash = data.plan_hash as Sha256;
      state.attempts.push({
        attempt: data.attempt as number,
        started_seq: entry.seq,
        baseline: data.baseline as RecordedSnapshot,
        writes: [],
        in_flight: undefined,
        rollback: undefined,
        rollback_finished: false,
        paused: undefined,
        finished: undefined,
      });
      break;
    case 'run_resumed':
      if (attempt) attempt.paused = undefined;
      break;
    case 'operation_started':
      if (attempt) attempt.in_flight = { ...(data as unknown as Omit<InFlightOperation, 'seq'>), seq: entry.seq };
      break;
    case 'operation_finished': {
      const started = attempt?.in_flight;
      if (!attempt || !started) break;
      const completed: CompletedOperation = { ...started, attempt: attempt.attempt, output: data.output, receipt: data.receipt as OperationReceipt, post: (data.post as RecordedSnapshot | undefined) ?? null };
      state.completed.set(started.idempotency_key, completed);
      if (started.writes) attempt.writes.push(completed);
      attempt.in_flight = undefined;
      break;
    }
    case 'operation_failed':
      // A failed writing operation stays in flight until its compensation is recorded.
      if (attempt?.in_flight && !attempt.in_flight.writes) attempt.in_flight = undefined;
      break;
    case 'compensated': {
      const key = data.idempotency_key as string;
      state.completed.delete(key);
      if (attempt) {
        attempt.writes = attempt.writes.filter((op) => op.idempotency_key !== key);
        if (attempt.in_flight?.idempotency_key === key) attempt.in_flight = undefined;
      }
      break;
    }
    case 'escalated':
      state.escalations.push(data);
      break;
    case 'human_requested':
      state.human_requests.set(data.request_id as string, { node: data.node as string, seq: entry.seq, kind: data.kind === 'escalation' ? 'escalation' : 'human', overridable: data.overridable !== false });
      break;
    case 'human_decided':
      state.human_decisions.set(data.request_id as string, {
        decision: data.decision as HumanDecisionKind,
        by: data.by as string,
        note: (data.note as string | null) ?? null,
      });
      break;
    case 'rollback_started':
      if (attempt) attempt.rollback = { status: data.status as RunStatus, reason: data.reason as string };
      break;
    case 'rollback_finished':
      if (attempt) attempt.rollback_finished = true;
      break;
    case 'run_paused':
      if (attempt) attempt.paused = { request_id: data.request_id as string, state: data.state as RecordedSnapshot };
      break;
    case 'run_finished':
      if (attempt) attempt.finished = { status: data.status as RunStatus, seq: entry.seq };
      break;
    default:
      break;
  }
}

/** What a human decision is bound to: the request as journaled and the hash of the state the run paused in. */
export function decisionContentHash(request: Record<string, unknown>, pausedStateHash: Sha256): Sha256 {
  return hashCanonical({ request, state_hash: pausedStateHash });
}

/** The attempt in progress (started, not finished), if any. */
export function openAttempt(state: RunState): AttemptState | undefined {
  const last = state.attempts[state.attempts.length - 1];
  return last && !last.finished ? last : undefined;
}
