/**
 * Undoing an attempt (spec §3.8): evidence first (the failed state and its diff, so no work is
 * lost), then each write compensated in reverse order and verified against its pre-state, then
 * the repository checked against the baseline and restored to it if a compensation fell short.
 * Someone else's changes found meanwhile are kept: only the run's own are undone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InFlightOperation, OperationReceipt, RunStatus } from '../../core/run-state.ts';
import { compensate } from '../compensation.ts';
import { foreignChanges, undoOwnChanges } from '../foreign-changes.ts';
import { restoreRepo, snapshotDiff, snapshotRepo, stateHash, type RepoSnapshot } from '../git-state.ts';
import { inFlightContext } from './operation-context.ts';
import { relativeTo } from './paths.ts';
import type { RunScope } from './run-scope.ts';
import type { Escalation } from './types.ts';

/** Undo one writing operation and journal the outcome; whether it verified. */
export async function compensateOne(scope: RunScope, op: InFlightOperation, receipt?: OperationReceipt): Promise<boolean> {
  if (!op.pre) return true;
  const { env } = scope;
  const handler = env.handlers.get(op.operation);
  const outcome = await compensate({
    repoRoot: env.repoRoot,
    paths: env.paths,
    type: op.compensation_type,
    pre: op.pre as RepoSnapshot,
    ...(handler?.compensate
      ? { custom: () => handler.compensate?.(op.params, { ...inFlightContext(scope, op), signal: new AbortController().signal }, receipt ?? null) as Promise<void> }
      : {}),
  });
  scope.run.record('compensated', {
    node: op.node,
    operation_id: op.operation_id,
    idempotency_key: op.idempotency_key,
    compensation_type: op.compensation_type,
    ...outcome,
  });
  return outcome.compensation_verified;
}

/** Undo the attempt; the evidence folder it wrote. */
export async function rollback(scope: RunScope, status: RunStatus, reason: string, node: string | null, escalation?: Escalation): Promise<string> {
  const { env, run, position } = scope;
  const attempt = run.attempt();
  const baseline = attempt.baseline as RepoSnapshot;
  const failedState = snapshotRepo(env.repoRoot, env.paths);
  const evidenceDir = join(env.repoRoot, env.paths.failedMissions, scope.runDir, `attempt-${attempt.attempt}`);
  mkdirSync(evidenceDir, { recursive: true });
  writeFileSync(join(evidenceDir, 'changes.patch'), snapshotDiff(env.repoRoot, baseline, failedState));
  writeFileSync(
    join(evidenceDir, 'evidence.json'),
    `${JSON.stringify({ run_id: run.runId, mission: scope.plan.mission, status, reason, node, escalation: escalation ?? null, baseline: attempt.baseline, failed_state: failedState, writes: attempt.writes.map((op) => op.receipt) }, null, 1)}\n`,
  );
  if (!attempt.rollback) run.record('rollback_started', { status, reason, failed_state: failedState, evidence: relativeTo(env.repoRoot, evidenceDir) });
  const foreign = position.state && position.hash !== stateHash(failedState) ? foreignChanges(env.repoRoot, position.state, failedState) : null;
  if (foreign && position.state) {
    // Someone else changed the repository: undo only the run's own changes, leave theirs.
    const undo = undoOwnChanges(env.repoRoot, baseline, position.state, foreign);
    run.record('rollback_finished', { foreign_changes_kept: foreign, ...undo, state_hash: stateHash(snapshotRepo(env.repoRoot, env.paths)), matches_baseline: false });
    return evidenceDir;
  }
  let allVerified = true;
  for (const op of [...attempt.writes].reverse()) allVerified = (await compensateOne(scope, op, op.receipt)) && allVerified;
  const baselineHash = stateHash(attempt.baseline);
  let stateNow = stateHash(snapshotRepo(env.repoRoot, env.paths));
  const fallback = stateNow !== baselineHash;
  if (fallback) {
    restoreRepo(env.repoRoot, baseline, env.paths);
    stateNow = stateHash(snapshotRepo(env.repoRoot, env.paths));
  }
  run.record('rollback_finished', {
    compensations_verified: allVerified,
    fallback_restore: fallback,
    state_hash: stateNow,
    matches_baseline: stateNow === baselineHash,
  });
  if (stateNow !== baselineHash) {
    await run.escalate(node, `rollback could not restore the pre-run state (${stateNow} != ${baselineHash})`, 'critical', { evidence: relativeTo(env.repoRoot, evidenceDir) });
  }
  return evidenceDir;
}
