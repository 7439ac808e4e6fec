/**
 * Human decisions on a paused run (a `kind: human` step, or an escalation a step raised), bound
 * to the content decided: the request as journaled (the step's params, or the escalation's
 * reason and evidence) and the repository state the run paused in (its diff). A decision
 * records the hash of that content; the run goes on only while the content is unchanged, and
 * a message names what changed otherwise.
 */
import { canonicalJson, type Sha256 } from '../core/canonical.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { decisionContentHash, type AttemptState, type HumanDecisionKind } from '../core/run-state.ts';
import type { RunEngine } from './engine/run-engine.ts';
import { changedPaths, snapshotRepo, stateHash, type RepoSnapshot } from './git-state.ts';
import type { OpenRun } from './recovery.ts';
import type { RunPaths } from './run-paths.ts';
import { signedBy, signWith, type SigningKey } from './signing.ts';
import type { StateStore } from './store/state-store.ts';

export interface HumanDecision {
  /** The request decided; omitted: the one the run waits for. */
  request_id?: string;
  /** `retry`: run the step again, for an escalation with nothing to let stand (an invalid model reply). */
  decision: HumanDecisionKind;
  by: string;
  /** For an escalation, the rationale of the CEO's override or rejection. */
  note?: string;
}

/** The paused attempt of a run, or a clear refusal. */
export function pausedAttempt(run: OpenRun): AttemptState & { paused: NonNullable<AttemptState['paused']> } {
  const attempt = run.state.attempts[run.state.attempts.length - 1];
  if (!attempt?.paused || attempt.finished) {
    throw new RunPreconditionFailed(`run ${run.journal.runId} is not waiting for a decision${attempt?.finished ? ` (it ended ${attempt.finished.status})` : ''}`);
  }
  return attempt as AttemptState & { paused: NonNullable<AttemptState['paused']> };
}

/** The hash an approval binds to: the request as journaled and the repository state it paused in. */
export function contentHash(run: OpenRun, requestId: string, state: Sha256): Sha256 {
  const request = run.state.human_requests.get(requestId);
  const entry = request && run.journal.opened.find((e) => e.seq === request.seq);
  if (!entry) throw new RunPreconditionFailed(`run ${run.journal.runId} has no request ${requestId}`);
  return decisionContentHash(entry.data, state);
}

/**
 * Refuse to go on (or to decide) when the repository is not in the state the run paused in,
 * naming what changed: a decision would otherwise apply to content nobody saw.
 */
export function requireUnchanged(repoRoot: string, paths: RunPaths, run: OpenRun, paused: RepoSnapshot, doing: string): void {
  const now = snapshotRepo(repoRoot, paths);
  if (stateHash(now) === stateHash(paused)) return;
  const changed = changedPaths(repoRoot, paused, now);
  const what = changed.length > 0 ? `changed: ${changed.slice(0, 10).join(', ')}${changed.length > 10 ? ` and ${changed.length - 10} more` : ''}` : 'HEAD, the branch or the index moved';
  throw new RunPreconditionFailed(`cannot ${doing}: the repository changed since run ${run.journal.runId} paused (${what}); put it back as it was, or start the mission again`);
}

/**
 * Every decision the paused attempt would act on, checked before it goes on: its content hash
 * recomputed from the request and the state the run paused in, and, with a state store, the
 * queue's own record of it (same request, decision and decider). A `human_decided` entry
 * appended by hand (even with a correct chain) fails one or the other. Returns the problems.
 */
export function unboundDecisions(run: OpenRun, store: StateStore | undefined, key?: SigningKey): string[] {
  const attempt = run.state.attempts[run.state.attempts.length - 1];
  if (!attempt) return [];
  const entries = run.journal.opened.filter((entry) => entry.seq > attempt.started_seq);
  const problems: string[] = [];
  // A store that failed during the attempt may lack a real decision: then only the hash is checked.
  const queue = entries.some((entry) => entry.type === 'store_failed') ? undefined : store;
  for (const decided of entries.filter((entry) => entry.type === 'human_decided')) {
    const requestId = String(decided.data.request_id);
    const paused = [...entries].reverse().find((entry) => entry.type === 'run_paused' && entry.seq < decided.seq && entry.data.request_id === requestId);
    if (!paused) {
      problems.push(`the decision on ${requestId} (line ${decided.seq}) follows no pause on that request`);
      continue;
    }
    let expected: Sha256 | undefined;
    try {
      expected = contentHash(run, requestId, stateHash(paused.data.state as RepoSnapshot));
    } catch {
      expected = undefined;
    }
    if (decided.data.content_hash !== expected) problems.push(`the decision on ${requestId} (line ${decided.seq}) is bound to ${String(decided.data.content_hash)}, but the request and the state it paused in hash to ${String(expected)}`);
    // The queue is a file in the repository, as writable as the journal: with a key, only the key's signature binds a decision.
    if (key && !decisionSigned(decided.data, run.journal.runId, key)) problems.push(`the decision on ${requestId} (line ${decided.seq}) is not signed by the signing key ${key.keyId}`);
    const queued = queue?.findEscalation(requestId);
    if (queue && (!queued || queued.resolution !== decided.data.decision || queued.resolved_by !== decided.data.by)) {
      const found = queued ? `${String(queued.resolution)} by ${String(queued.resolved_by)}` : 'no such item';
      problems.push(`the decision on ${requestId} (line ${decided.seq}: ${String(decided.data.decision)} by ${String(decided.data.by)}) has no matching decision in the queue (${found})`);
    }
  }
  return problems;
}

/** Record a decision on the request the run waits for, bound to its content. */
export function recordDecision(engine: RunEngine, run: OpenRun, decision: HumanDecision, key?: SigningKey): void {
  const attempt = pausedAttempt(run);
  const requestId = decision.request_id ?? attempt.paused.request_id;
  if (requestId !== attempt.paused.request_id) {
    throw new RunPreconditionFailed(`run ${run.journal.runId} waits for a decision on ${attempt.paused.request_id}, not ${requestId}`);
  }
  const earlier = run.state.human_decisions.get(requestId);
  if (earlier) throw new RunPreconditionFailed(`request ${requestId} was ${earlier.decision} by ${earlier.by} already; a decision is final`);
  const request = run.state.human_requests.get(requestId);
  const kind = request?.kind;
  if (decision.decision === 'retry' && (kind !== 'escalation' || request?.overridable !== false)) {
    throw new RunPreconditionFailed(`request ${requestId} cannot be retried: only an escalation whose step produced nothing (an invalid model reply, no model available) is retried; approve or reject it`);
  }
  if (kind === 'escalation' && decision.decision === 'approved' && request?.overridable === false) {
    throw new RunPreconditionFailed(`escalation ${requestId} cannot be approved: its step produced nothing a CEO override could let stand; run the step again (\`lifeos-mission resume ${run.journal.runId.slice(7, 19)} --retry\`) or reject it`);
  }
  if (kind === 'escalation' && decision.decision === 'approved' && !decision.note?.trim()) {
    throw new RunPreconditionFailed(`approving escalation ${requestId} overrides it (recorded as ceo_override): give the rationale as a note`);
  }
  const fields = {
    request_id: requestId,
    decision: decision.decision,
    by: decision.by,
    note: decision.note ?? null,
    content_hash: contentHash(run, requestId, stateHash(attempt.paused.state)),
    ceo_override: kind === 'escalation' && decision.decision === 'approved',
  };
  engine.record('human_decided', key ? { ...fields, signature: signWith(key, decisionPayload(fields, run.journal.runId)) } : fields);
}

/** What a decision's signature covers: the decision, bound to its run (the content hash binds the request and state). */
function decisionPayload(fields: Record<string, unknown>, runId: string): string {
  const { signature: _signature, ...decision } = fields;
  return canonicalJson({ decision, run_id: runId, signed: 'lifeos-mission/decision-signature/v1' });
}

function decisionSigned(data: Record<string, unknown>, runId: string, key: SigningKey): boolean {
  return signedBy(data.signature, key, decisionPayload(data, runId));
}
