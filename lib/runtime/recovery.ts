/**
 * Crash recovery (spec §5.6.4) of one run whose process died, decided from its journal:
 *
 *   completed step             kept; the run goes on after it (idempotency keys skip it)
 *   read-only step in progress restarted
 *   writing step in progress   its pre-state (journaled before it ran) restored and verified,
 *                              then restarted
 *   rollback in progress       finished
 *   finished, no bundle        the completion bundle written (the crash fell just before it)
 *   anything unclear           (a compensation that does not verify, a repository that is not
 *                              in the state the journal last recorded, a missing handler)
 *                              escalated, and the run rolled back to its baseline
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ExecutionPlan } from '../core/plan-model.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { openAttempt, type RunState, type RunStatus } from '../core/run-state.ts';
import { missingHandlers } from '../operations/registry.ts';
import { anchoredAttempts, repositoryAnchors } from './anchor-log.ts';
import { requireAccountedTail, type TailEvidence } from './unanchored-tail.ts';
import { unboundDecisions } from './decisions.ts';
import { bundlePath } from './bundle.ts';
import { RunEngine } from './engine/run-engine.ts';
import type { EngineEnvironment, MissionResult } from './engine/types.ts';
import { restoreRepo, snapshotRepo, stateHash, type RepoSnapshot } from './git-state.ts';
import type { JournalWriter } from './journal.ts';

export interface OpenRun {
  plan: ExecutionPlan;
  journal: JournalWriter;
  state: RunState;
  runDir: string;
  /** A torn last line set aside when the journal was opened. */
  torn: { offset: number; bytes: number; file: string } | undefined;
}

export interface RecoveryReport {
  runId: string;
  /** What recovery did before going on. */
  action: 'resumed' | 'rolled_back' | 'escalated' | 'bundle_written';
  detail: string;
  result: MissionResult;
}

export async function recoverRun(env: EngineEnvironment, run: OpenRun): Promise<RecoveryReport> {
  const attempt = openAttempt(run.state);
  if (!attempt) throw new Error(`run ${run.journal.runId} has no unfinished attempt to recover`);
  const engine = new RunEngine(env, run.plan, run.journal, run.state, run.runDir);
  const inFlight = attempt.in_flight;
  engine.record('recovery', {
    torn_tail: run.torn ? { offset: run.torn.offset, bytes: run.torn.bytes, file: run.torn.file.split('/').pop() } : null,
    in_flight: inFlight ? { node: inFlight.node, writes: inFlight.writes } : null,
    rollback_in_progress: attempt.rollback !== undefined,
  });
  const report = (action: RecoveryReport['action'], detail: string, result: MissionResult): RecoveryReport => ({ runId: run.journal.runId, action, detail, result });
  // The crashed process may have been resuming on a decision: it must be one the queue (and the key) bind.
  const forged = unboundDecisions(run, env.store, env.signingKey);
  if (forged.length > 0) return escalateAndRollBack(engine, report, `a recorded decision does not match what was decided: ${forged.join('; ')}`);

  if (attempt.rollback) {
    const result = await engine.end(attempt.rollback.status, attempt.rollback.reason, null);
    return report('rolled_back', 'the process died while rolling back; the rollback was finished', result);
  }
  if (inFlight?.writes && inFlight.pre) {
    restoreRepo(env.repoRoot, inFlight.pre as RepoSnapshot, env.paths);
    const after = stateHash(snapshotRepo(env.repoRoot, env.paths));
    const verified = after === inFlight.pre_state_hash;
    engine.record('compensated', {
      node: inFlight.node,
      operation_id: inFlight.operation_id,
      idempotency_key: inFlight.idempotency_key,
      compensation_type: 'fs_restore',
      recovery: true,
      compensation_verified: verified,
      post_compensation_state_hash: after,
    });
    if (!verified) return escalateAndRollBack(engine, report, `could not restore the state before the interrupted step ${inFlight.node}`);
  }
  const lastWrite = attempt.writes[attempt.writes.length - 1];
  const expected = lastWrite ? lastWrite.receipt.post_state_hash : stateHash(attempt.baseline);
  const actual = stateHash(snapshotRepo(env.repoRoot, env.paths));
  if (actual !== expected) {
    return escalateAndRollBack(engine, report, `the repository is not in the state the journal last recorded (${actual}, expected ${expected}): it was changed outside the run`);
  }
  const missing = [...missingHandlers(run.plan.steps, env.handlers).keys()];
  if (missing.length > 0) {
    return escalateAndRollBack(engine, report, `no handler for operation ${missing.join(', ')} to finish the run with; recover with the handlers the run was started with`);
  }
  const detail = inFlight ? `step ${inFlight.node} was in progress (${inFlight.writes ? 'writing: its pre-state was restored' : 'read-only'}) and is restarted` : 'the run goes on after its last completed step';
  return report('resumed', detail, await engine.drive());
}

/**
 * The last attempt finished, but the process died before its completion bundle was written or
 * (when `anchored` lists the anchor log's finished attempts) before it was anchored.
 */
export function evidenceMissing(state: RunState, runFolder: string, anchored?: ReadonlySet<string>): boolean {
  const last = state.attempts[state.attempts.length - 1];
  if (last?.finished === undefined) return false;
  return !existsSync(bundlePath(runFolder, last.attempt)) || (anchored !== undefined && !anchored.has(`${String(state.run_id)}:${last.attempt}`));
}

/** Whether a run's journal shows its process died: an attempt open and not paused, or its evidence incomplete. */
export function needsRecovery(state: RunState, runFolder: string, anchored?: ReadonlySet<string>): boolean {
  const attempt = openAttempt(state);
  return attempt ? !attempt.paused : evidenceMissing(state, runFolder, anchored);
}

/**
 * Recover a run (opened under the lock) if its journal shows its process died. Its unanchored
 * tail must be a crash's (`evidence`), or nothing is written over it (unanchored-tail.ts).
 */
export async function recoverIfNeeded(env: EngineEnvironment, run: OpenRun, evidence: TailEvidence): Promise<RecoveryReport | undefined> {
  const folder = dirname(run.journal.path);
  const anchors = repositoryAnchors(env.repoRoot, env.paths);
  if (!needsRecovery(run.state, folder, anchoredAttempts(anchors))) return undefined;
  requireAccountedTail(env, anchors, run.journal.runId, run.state, run.journal.opened, evidence);
  return openAttempt(run.state) ? recoverRun(env, run) : writeMissingBundle(env, run);
}

/** Write the missing bundle (and its anchor) of a finished attempt from its run_finished entry. */
export function writeMissingBundle(env: EngineEnvironment, run: OpenRun): RecoveryReport {
  const last = run.state.attempts[run.state.attempts.length - 1];
  const finished = last?.finished && run.journal.opened.find((entry) => entry.seq === last.finished?.seq);
  if (!finished) throw new Error(`run ${run.journal.runId} has no finished attempt`);
  const forged = unboundDecisions(run, env.store, env.signingKey);
  if (forged.length > 0) throw new RunPreconditionFailed(`run ${run.journal.runId}: its bundle is not written, because a recorded decision does not match what was decided: ${forged.join('; ')}`);
  const engine = new RunEngine(env, run.plan, run.journal, run.state, run.runDir);
  const data = finished.data;
  const error = data.error as MissionResult['error'] | undefined;
  const result = { ...engine.finish(data.status as RunStatus, data.final_state as RepoSnapshot, (data.outputs as Record<string, unknown> | undefined) ?? null), ...(error ? { error } : {}) };
  return { runId: run.journal.runId, action: 'bundle_written', detail: `attempt ${last.attempt} ended ${String(data.status)} before its completion bundle was written and anchored; it was written now`, result };
}

async function escalateAndRollBack(
  engine: RunEngine,
  report: (action: RecoveryReport['action'], detail: string, result: MissionResult) => RecoveryReport,
  reason: string,
): Promise<RecoveryReport> {
  const escalation = await engine.escalate(null, `crash recovery: ${reason}`, 'critical', {});
  const result = await engine.end('escalated', reason, null, escalation);
  return report('escalated', reason, result);
}
