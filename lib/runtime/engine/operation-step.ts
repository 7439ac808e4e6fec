/**
 * One operation node, start to end: skipped when an earlier attempt completed it on the same
 * state, passed as a CEO override when an escalation it raised was approved, otherwise run
 * between the guards:
 *
 *   params checked -> tools and roles -> kill switch, signal -> pre-state (writing steps) and
 *   the repository-state lock -> operation_started journaled -> git's parts settled ->
 *   handler (time limits) -> protected parts put back -> diff gate -> operation_finished with
 *   its receipt -> budget
 *
 * A failure inside the handler compensates the step at once; the run's rollback does the rest.
 */
import { canonicalJson, hashCanonical, type Sha256 } from '../../core/canonical.ts';
import { EnvelopeViolation, GovernanceMismatch } from '../../core/governance-errors.ts';
import type { PlanOperationNode } from '../../core/plan-model.ts';
import { EscalationRequired, OperationFailed } from '../../core/run-errors.ts';
import type { OperationReceipt } from '../../core/run-state.ts';
import { reportedCost, toolOrRoleProblem } from '../../governance/step-guards.ts';
import { snapshotRepo, stateHash, type RepoSnapshot } from '../git-state.ts';
import { checkParams } from '../params-check.ts';
import { captureProtected } from '../protected-state.ts';
import { amendCouncilDecisions, type CeoOverride } from './ceo-override.ts';
import { budgetVerdict, checkKillSwitch, diffGateVerdict, ownStateVerdict, restoreHidden, settledVerdict } from './guards.ts';
import { operationContext } from './operation-context.ts';
import { compensateOne } from './rollback.ts';
import { haltOn, resolveIn, type RunScope } from './run-scope.ts';
import { HostAbort, HumanPause } from './stops.ts';

export async function runOperation(scope: RunScope, node: PlanOperationNode): Promise<void> {
  const { env, run, position } = scope;
  checkKillSwitch(env, `before step ${node.id}`);
  const handler = env.handlers.get(node.operation);
  if (!handler) throw new OperationFailed(node.id, node.operation, `no handler is registered for operation "${node.operation}"`);
  const params = resolveIn(scope, node.id, node.operation, node.params) as Record<string, unknown>;
  // The state the step starts from is part of its key: the same step on a different state is
  // a different operation, never skipped.
  const key = hashCanonical({ run_id: run.runId, node: node.id, operation: node.operation, params, pre_state_hash: position.hash as Sha256 });
  const operationId = hashCanonical({ run_id: run.runId, operation_node: node.id });
  if (skipCompleted(scope, node, key, operationId)) return;
  if (decidedEscalation(scope, node)) return;
  run.record('step_started', { node: node.id, step_id: node.step_id, kind: 'runtime', operation: node.operation });
  const problem = await checkParams(handler, params);
  if (problem) throw new OperationFailed(node.id, node.operation, problem);
  const chain = scope.envelopes.get(node.id) ?? [];
  const forbidden = toolOrRoleProblem(node.operation, params, chain);
  if (forbidden) await haltOn(scope, node.id, { reason: `envelope violation at step ${node.id}: ${forbidden}`, evidence: { operation: node.operation, params, envelopes: chain } });
  checkKillSwitch(env, `before operation ${node.id}`);
  scope.limits.check(node);
  const pre = node.writes ? snapshotRepo(env.repoRoot, env.paths) : null;
  if (pre) await haltOn(scope, node.id, ownStateVerdict(env.repoRoot, position, pre, `before step ${node.id}`));
  const preHash = pre ? stateHash(pre) : (position.hash as Sha256);
  run.record('operation_started', {
    node: node.id,
    operation: node.operation,
    operation_id: operationId,
    idempotency_key: key,
    writes: node.writes,
    compensation_type: node.compensation.type,
    compensation_command: node.compensation.command,
    params,
    pre,
    pre_state_hash: preHash,
  });
  const context = operationContext(scope, node, operationId, params);
  // Captured after the last journal entry before the handler runs: the journal is protected too.
  const preProtected = node.writes ? captureProtected(env.repoRoot, env.paths) : null;
  if (preProtected) await haltOn(scope, node.id, settledVerdict(scope.settled, preProtected, `before step ${node.id}`));
  let output: unknown;
  try {
    output = await (scope.ahead?.take(node.id, params) ?? scope.limits.invoke(handler, params, context, node));
    output = output === undefined ? null : output;
    canonicalJson(output);
  } catch (error) {
    run.record('operation_failed', { node: node.id, operation_id: operationId, error: describeError(error) });
    await compensateInFlight(scope);
    if (error instanceof EscalationRequired) await escalateStep(scope, node.id, error);
    // A tool that refused a path itself (before writing) is the same breach as one the diff gate finds.
    if (error instanceof EnvelopeViolation) await haltOn(scope, node.id, { reason: `envelope violation at step ${node.id}: ${error.message}`, evidence: { violation: error.evidence } });
    throw error instanceof OperationFailed || error instanceof HostAbort || error instanceof GovernanceMismatch ? error : new OperationFailed(node.id, node.operation, (error as Error).message ?? String(error), { cause: error });
  }
  // Protected parts first: a driver or hook a step put into .git/config is removed before the engine runs git again.
  let hidden: string[] = [];
  if (preProtected) ({ hidden, settled: scope.settled } = restoreHidden(env.repoRoot, env.paths, node, params, preProtected));
  const seen = { oversize: [] as string[] };
  const post = node.writes ? snapshotRepo(env.repoRoot, env.paths, seen) : null;
  if (pre && post) {
    const breach = diffGateVerdict({ repoRoot: env.repoRoot, protectedPaths: env.protectedPaths, secrets: env.secrets, node, chain: context.envelopes, pre, post, hidden, oversize: seen.oversize });
    if (breach) {
      run.record('operation_failed', { node: node.id, operation_id: operationId, error: { name: 'EnvelopeViolation', message: breach.reason } });
      await compensateInFlight(scope);
      await haltOn(scope, node.id, breach);
    }
  }
  const postHash = post ? stateHash(post) : preHash;
  position.hash = postHash;
  if (post) position.state = post;
  run.record('operation_finished', { node: node.id, operation_id: operationId, output, receipt: receiptOf(scope, node, operationId, key, preHash, postHash), post });
  scope.outputs.set(node.id, { value: output });
  // A step its `when` skipped completed without doing its work; the display says so.
  run.record('step_finished', { node: node.id, status: 'completed', ...(params.when === false ? { skipped: 'when' } : {}) });
  await chargeBudget(scope, node.id, chain, reportedCost(output));
}

/**
 * A step an earlier attempt completed on the same state is not run again. A write completed by
 * an earlier attempt is not in this attempt's repository (it was undone, or the attempt started
 * from a clean baseline without it): only read-only results carry over.
 */
function skipCompleted(scope: RunScope, node: PlanOperationNode, key: Sha256, operationId: Sha256): boolean {
  const { run, position } = scope;
  const done = run.state.completed.get(key);
  if (!done || (done.writes && done.attempt !== run.attempt().attempt)) return false;
  scope.outputs.set(node.id, { value: done.output });
  position.hash = done.receipt.post_state_hash;
  if (done.writes) position.state = (done.post as RepoSnapshot | null) ?? undefined;
  run.record('step_skipped', { node: node.id, operation_id: operationId, idempotency_key: key, completed_seq: done.seq });
  return true;
}

/**
 * The escalation this step raised earlier in the attempt, if any: approved, the step completes
 * as a CEO override without running again (returns true), and the council decisions it read
 * count as approved for the steps after it (ceo-override.ts); retried, the step runs again;
 * rejected, the run fails; undecided, the run pauses again.
 */
function decidedEscalation(scope: RunScope, node: PlanOperationNode): boolean {
  const { run } = scope;
  const attempt = run.attempt();
  // The latest: after a retry the step may have escalated again, under a new id.
  const request = [...run.state.human_requests].reverse().find(([, r]) => r.node === node.id && r.kind === 'escalation' && r.seq > attempt.started_seq);
  if (!request) return false;
  const [requestId] = request;
  const decision = run.state.human_decisions.get(requestId);
  if (!decision) throw new HumanPause(requestId, node.id);
  if (decision.decision === 'retry') return false;
  if (decision.decision === 'rejected') {
    throw new OperationFailed(node.id, node.operation, `escalation rejected by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`);
  }
  const output: CeoOverride = { ceo_override: true, escalation_id: requestId, by: decision.by, rationale: decision.note };
  scope.outputs.set(node.id, { value: output });
  const amended = amendCouncilDecisions(scope, node, output);
  run.record('step_finished', { node: node.id, status: 'completed', ceo_override: output, ...(amended.length > 0 ? { amended_decisions: amended } : {}) });
  return true;
}

/**
 * A step raised an escalation (spec §5.5): it is journaled and queued, and the run stops for
 * the CEO's decision (awaiting_human). Approved, the step is passed as a CEO override when the
 * run resumes; rejected, the run ends and is rolled back.
 */
async function escalateStep(scope: RunScope, nodeId: string, error: EscalationRequired): Promise<never> {
  const escalation = await scope.run.escalate(nodeId, error.reason, error.severity, error.evidence);
  scope.run.record('human_requested', { node: nodeId, request_id: escalation.escalation_id, kind: 'escalation', reason: error.reason, severity: error.severity, evidence: error.evidence, ...(error.overridable ? {} : { overridable: false }) });
  throw new HumanPause(escalation.escalation_id, nodeId, escalation);
}

/** The writing step that just failed is undone at once, from the pre-state journaled before it ran. */
async function compensateInFlight(scope: RunScope): Promise<void> {
  const inFlight = scope.run.attempt().in_flight;
  if (inFlight) await compensateOne(scope, inFlight);
}

function receiptOf(scope: RunScope, node: PlanOperationNode, operationId: string, key: Sha256, preHash: Sha256, postHash: Sha256): OperationReceipt {
  return {
    operation_id: operationId,
    timestamp: scope.env.now().toISOString(),
    pre_state_hash: preHash,
    post_state_hash: postHash,
    compensation_type: node.compensation.type,
    compensation_command: node.compensation.command,
    idempotency_key: key,
    compensation_verified: false,
    governance_baseline_hash: scope.governance?.baseline_hash ?? null,
    governance_surfaces_hash: scope.governance?.surfaces_hash ?? null,
    envelope_policy_hash: scope.governance?.envelope_policy_hash ?? null,
  };
}

/** The step's cost is added to the run's and the day's spending, then checked against the budgets. */
async function chargeBudget(scope: RunScope, nodeId: string, chain: Parameters<typeof budgetVerdict>[1], cost: number): Promise<void> {
  if (cost === 0) return;
  scope.spend.runUsd += cost;
  scope.spend.todayUsd += cost;
  await haltOn(scope, nodeId, budgetVerdict(scope.spend, chain, scope.env.dailyBudgetUsd, nodeId));
}

function describeError(error: unknown): { name: string; message: string } {
  return { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) };
}
