/**
 * The journal-backed run state: every transition is appended to the journal first, then folded
 * into the run state (core/run-state.ts, the same fold recovery uses), indexed in the store and
 * shown to the host. Nothing else in the engine writes the journal.
 */
import { hashCanonical, type Sha256 } from '../../core/canonical.ts';
import type { JournalEntry } from '../../core/journal-chain.ts';
import { applyEntry, openAttempt, type AttemptState, type RunState } from '../../core/run-state.ts';
import { reportedCost } from '../../governance/step-guards.ts';
import type { JournalWriter } from '../journal.ts';
import { StoreIndex } from './store-index.ts';
import type { EngineEnvironment, Escalation } from './types.ts';

export class RunRecord {
  /** Every finished operation's receipt, in order (the completion bundle lists them). */
  readonly receipts: unknown[] = [];
  /** The latest attempt's run_started entry (its mode and mission files). */
  started: JournalEntry | undefined;
  /** What the latest attempt's operations reported spending (the run budget goes on from it). */
  attemptSpentUsd = 0;
  private readonly index: StoreIndex | undefined;

  constructor(
    private readonly env: Pick<EngineEnvironment, 'redact' | 'onEvent' | 'store' | 'escalations' | 'repoRoot'>,
    readonly journal: JournalWriter,
    readonly state: RunState,
    /** The mission type, for store rows and escalations. */
    readonly mission: string,
  ) {
    for (const entry of journal.opened) this.note(entry);
    this.index = env.store ? new StoreIndex(env.store, env.repoRoot, this) : undefined;
  }

  get runId(): Sha256 {
    return this.journal.runId;
  }

  /** Append an entry, fold it into the run state, index it in the store, tell the host. */
  record(type: string, data: Record<string, unknown>): JournalEntry {
    const entry = this.journal.append(type, this.env.redact(data));
    this.note(entry);
    applyEntry(this.state, entry);
    const problem = this.index?.add(entry);
    if (problem) this.record('store_failed', { store: this.index?.path, message: problem.failed.message });
    try {
      this.env.onEvent?.(entry);
    } catch {
      // A host's event callback cannot break the run.
    }
    return entry;
  }

  // The few facts the engine reads back are kept as entries arrive; the entries themselves are
  // not (a long run would hold its whole journal in memory).
  private note(entry: JournalEntry): void {
    if (entry.type === 'run_started') {
      this.started = entry;
      this.attemptSpentUsd = 0;
    } else if (entry.type === 'operation_finished') {
      this.receipts.push(entry.data.receipt);
      this.attemptSpentUsd += reportedCost(entry.data.output);
    }
  }

  /** The attempt in progress. */
  attempt(): AttemptState {
    const attempt = openAttempt(this.state);
    if (!attempt) throw new Error(`run ${this.runId} has no attempt in progress`);
    return attempt;
  }

  /** The latest attempt, finished or not. */
  lastAttempt(): AttemptState {
    const attempt = this.state.attempts[this.state.attempts.length - 1];
    if (!attempt) throw new Error(`run ${this.runId} has no attempt`);
    return attempt;
  }

  /**
   * The id of a request (a human step's or an escalation's) in this attempt. The attempt is part
   * of it: a decision binds to the attempt that asked, never to a later attempt of the same run
   * that reaches the same step again (and a new queue item is opened for that one).
   */
  requestId(fields: Record<string, unknown>): Sha256 {
    return hashCanonical({ run_id: this.runId, attempt: this.state.attempts.at(-1)?.attempt ?? 0, ...fields });
  }

  /** Raise an escalation (spec §5.5): journaled, then delivered to the host's sink; a failed delivery is journaled too. */
  async escalate(node: string | null, reason: string, severity: Escalation['severity'], evidence: Record<string, unknown>): Promise<Escalation> {
    const escalation: Escalation = this.env.redact({
      // Counted: a step retried after its escalation may raise the same one again, decided anew.
      escalation_id: this.requestId({ node, reason, raised_before: this.state.escalations.length }),
      run_id: this.runId,
      mission: this.mission,
      node,
      reason,
      severity,
      evidence,
    });
    this.record('escalated', { ...escalation });
    try {
      await this.env.escalations?.(escalation);
    } catch (sinkError) {
      this.record('escalated', { ...escalation, delivery_error: (sinkError as Error).message });
    }
    return escalation;
  }
}
