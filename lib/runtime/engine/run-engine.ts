/**
 * The one loop that acts (CONVENTIONS habit 1): walks an execution plan node by node and
 * journals every transition before acting on it. Operations run in operation-step.ts between
 * the guards of guards.ts; a writing operation's pre-state is journaled before it runs, so a
 * crash at any point can be undone. When a run cannot complete, rollback.ts compensates every
 * write in reverse order and checks the repository against the baseline: a mission completes
 * or leaves nothing behind (spec §3.8). result.ts writes the bundle and its anchor.
 *
 * Used by runMission (a fresh attempt), resumeMission (after a human decision) and recovery
 * (after a crash); they differ only in the journal they continue.
 */
import { join } from 'node:path';
import type { JournalEntry } from '../../core/journal-chain.ts';
import { GovernanceMismatch } from '../../core/governance-errors.ts';
import type { ExecutionPlan, PlanHumanNode, PlanMissionNode, PlanNode } from '../../core/plan-model.ts';
import { resolveValue } from '../../core/resolve.ts';
import { KillSwitchActive, OperationFailed } from '../../core/run-errors.ts';
import type { AttemptState, RunState, RunStatus } from '../../core/run-state.ts';
import { resolveRepoRoot } from '../../governance/envelope.ts';
import { builderPolicy } from '../../governance/write-policy.ts';
import { spentOnDay } from '../daily-spend.ts';
import { snapshotRepo, stateHash, type RepoSnapshot } from '../git-state.ts';
import type { JournalWriter } from '../journal.ts';
import { writeKillSwitchEvidence } from '../kill-switch.ts';
import { captureProtected } from '../protected-state.ts';
import { checkGovernance, checkKillSwitch, ownStateVerdict, settledVerdict } from './guards.ts';
import { runFanOut } from './fan-out.ts';
import { runOperation } from './operation-step.ts';
import { relativeTo } from './paths.ts';
import { anchor, baseResult, finish } from './result.ts';
import { rollback } from './rollback.ts';
import { createScope, haltOn, outputLookup, resolveIn, type RunScope } from './run-scope.ts';
import { GovernanceHalt, HostAbort, HumanPause } from './stops.ts';
import type { EngineEnvironment, Escalation, MissionResult } from './types.ts';

function awaitingOf(request: { kind: 'human' | 'escalation'; overridable: boolean } | undefined, pause: HumanPause): NonNullable<MissionResult['awaiting']> {
  const kind = request?.kind ?? (pause.escalation ? 'escalation' : 'human');
  return { request_id: pause.requestId, node: pause.node, kind, retry_only: kind === 'escalation' && request?.overridable === false };
}

/** The position the attempt's last uncompensated write left, or the baseline. */
function placeAtLastWrite(scope: RunScope, attempt: AttemptState): void {
  const post = [...attempt.writes].reverse().find((write) => write.post !== null)?.post;
  if (!post) return;
  scope.position.state = post as RepoSnapshot;
  scope.position.hash = stateHash(post as RepoSnapshot);
}

export class RunEngine {
  private readonly scope: RunScope;

  constructor(env: EngineEnvironment, plan: ExecutionPlan, journal: JournalWriter, state: RunState, runDir: string) {
    this.scope = createScope(env, plan, journal, state, runDir);
  }

  /** Append an entry to the journal (and the run state, the store, the host's events). */
  record(type: string, data: Record<string, unknown>): JournalEntry {
    return this.scope.run.record(type, data);
  }

  escalate(node: string | null, reason: string, severity: Escalation['severity'], evidence: Record<string, unknown>): Promise<Escalation> {
    return this.scope.run.escalate(node, reason, severity, evidence);
  }

  /** Write the completion bundle of an attempt that finished (recovery: one a crash left without it). */
  finish(status: RunStatus, final: RepoSnapshot, outputs: Record<string, unknown> | null): MissionResult {
    return finish(this.scope, status, final, outputs);
  }

  /** Drive the plan to its end from wherever the journal stands (completed steps are skipped). */
  async drive(): Promise<MissionResult> {
    const scope = this.scope;
    const { plan, run } = scope;
    const attempt = run.attempt();
    // The walk starts at the first step; skipped steps move it along their recorded states.
    scope.position.hash = stateHash(attempt.baseline);
    scope.position.state = attempt.baseline as RepoSnapshot;
    // Mission files inside the repository are governance surfaces: no step may write them. And an
    // attempt goes on in the mode it started in: a replay run recovered or resumed stays replay,
    // whatever key the environment holds now.
    scope.env = { ...scope.env, protectedPaths: [...scope.env.protectedPaths, ...missionFilesOf(run.started)], mode: journaledMode(run.started) ?? scope.env.mode };
    const { env } = scope;
    scope.limits.start();
    let walking = false;
    try {
      checkKillSwitch(env, 'before the mission');
      scope.governance = checkGovernance({ repoRoot: env.repoRoot, governanceSurfaces: env.governanceSurfaces, exclude: scope.enginePaths }, plan);
      scope.policy = builderPolicy(env.repoRoot);
      scope.root = resolveRepoRoot(env.repoRoot);
      scope.settled = captureProtected(env.repoRoot, env.paths);
      scope.spend.runUsd = run.attemptSpentUsd;
      if (env.dailyBudgetUsd !== undefined) scope.spend.todayUsd = spentOnDay(env.repoRoot, env.paths, env.now().toISOString().slice(0, 10));
      for (const [index, condition] of plan.preconditions.entries()) {
        if (resolveValue(condition, outputLookup(scope)) !== true) {
          throw new OperationFailed(plan.mission, 'precondition', `precondition ${index + 1} is false`);
        }
      }
      walking = true;
      for (const node of plan.steps) await this.runNode(node);
      const outputs = resolveValue(plan.outputs, outputLookup(scope)) as Record<string, unknown>;
      await haltOn(scope, null, settledVerdict(scope.settled, captureProtected(env.repoRoot, env.paths), 'at the end of the run'));
      const final = snapshotRepo(env.repoRoot, env.paths);
      await haltOn(scope, null, ownStateVerdict(env.repoRoot, scope.position, final, 'at the end of the run'));
      run.record('run_finished', { status: 'completed', outputs, final_state: final, final_state_hash: stateHash(final) });
      return finish(scope, 'completed', final, outputs);
    } catch (error) {
      // Stopped before the walk (the kill switch, the baseline, a precondition on resume): the
      // repository holds what the attempt wrote so far, which the rollback must see as its own.
      if (!walking) placeAtLastWrite(scope, attempt);
      return this.stop(error);
    } finally {
      scope.limits.stop();
    }
  }

  private async runNode(node: PlanNode): Promise<void> {
    switch (node.type) {
      case 'operation':
        return runOperation(this.scope, node);
      case 'human':
        return this.runHuman(node);
      case 'mission':
        return this.runMission(node);
      case 'fan_out':
        return runFanOut(this.scope, node, (instance) => this.runNode(instance));
    }
  }

  private async runMission(node: PlanMissionNode): Promise<void> {
    const scope = this.scope;
    scope.run.record('step_started', { node: node.id, step_id: node.step_id, kind: 'mission', mission: node.mission });
    for (const [index, condition] of node.preconditions.entries()) {
      if (resolveIn(scope, node.id, 'precondition', condition) !== true) {
        throw new OperationFailed(node.id, `mission ${node.mission}`, `precondition ${index + 1} is false`);
      }
    }
    for (const step of node.steps) await this.runNode(step);
    scope.outputs.set(node.id, { value: resolveIn(scope, node.id, `mission ${node.mission}`, node.outputs) });
    scope.run.record('step_finished', { node: node.id, status: 'completed' });
  }

  /** A human step: its decision when one was recorded, else a request and a pause. */
  private runHuman(node: PlanHumanNode): void {
    const { env, run, outputs } = this.scope;
    checkKillSwitch(env, `before step ${node.id}`);
    const params = resolveIn(this.scope, node.id, 'human', node.params) as Record<string, unknown>;
    const requestId = run.requestId({ node: node.id, params });
    const decision = run.state.human_decisions.get(requestId);
    if (decision?.decision === 'approved') {
      outputs.set(node.id, { value: { approved: true, by: decision.by, note: decision.note } });
      run.record('step_finished', { node: node.id, status: 'completed', request_id: requestId });
      return;
    }
    if (decision?.decision === 'rejected') {
      throw new OperationFailed(node.id, 'human', `rejected by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`);
    }
    if (!run.state.human_requests.has(requestId)) {
      run.record('step_started', { node: node.id, step_id: node.step_id, kind: 'human' });
      run.record('human_requested', { node: node.id, request_id: requestId, params });
    }
    throw new HumanPause(requestId, node.id);
  }

  /** The run cannot complete: record why, escalate if needed, roll back, write the bundle. */
  private async stop(error: unknown): Promise<MissionResult> {
    const scope = this.scope;
    const { env, run } = scope;
    if (error instanceof HumanPause) {
      const state = snapshotRepo(env.repoRoot, env.paths);
      run.record('run_paused', { status: 'awaiting_human', request_id: error.requestId, node: error.node, state });
      anchor(scope, 'paused', null);
      return {
        ...baseResult(scope, 'awaiting_human', null),
        bundlePath: null,
        awaiting: awaitingOf(run.state.human_requests.get(error.requestId), error),
        ...(error.escalation ? { escalation: error.escalation } : {}),
      };
    }
    const node = error instanceof OperationFailed ? error.nodeId : null;
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof GovernanceHalt) return this.end('escalated', error.escalation.reason, error.nodeId, error.escalation);
    if (error instanceof GovernanceMismatch) {
      const escalation = await run.escalate(null, error.message, 'critical', { mismatches: error.mismatches });
      return this.end('halted', error.message, null, escalation);
    }
    if (error instanceof KillSwitchActive) {
      const entry = run.record('kill_switch', { checkpoint: error.checkpoint, path: error.path });
      const evidence = writeKillSwitchEvidence(join(env.repoRoot, env.paths.killSwitchActivations), scope.runDir, {
        run_id: run.runId,
        mission: scope.plan.mission,
        checkpoint: error.checkpoint,
        seq: entry.seq,
        at: entry.at,
      });
      const escalation = await run.escalate(null, `kill switch ${error.path} detected ${error.checkpoint}`, 'critical', { evidence: relativeTo(env.repoRoot, evidence) });
      return this.end('halted', message, node, escalation);
    }
    return this.end(error instanceof HostAbort ? 'halted' : 'failed', message, node);
  }

  /** End an attempt that did not complete: roll back, record the end, write the bundle. */
  async end(status: RunStatus, rawMessage: string, node: string | null, escalation?: Escalation): Promise<MissionResult> {
    const scope = this.scope;
    const { env, run } = scope;
    const message = env.redact(rawMessage);
    const evidencePath = await rollback(scope, status, message, node, escalation);
    const final = snapshotRepo(env.repoRoot, env.paths);
    run.record('run_finished', {
      status,
      error: { message, node },
      escalation_id: escalation?.escalation_id ?? null,
      final_state: final,
      final_state_hash: stateHash(final),
    });
    const result = finish(scope, status, final, null);
    return { ...result, error: { message, node }, evidencePath, ...(escalation ? { escalation } : {}) };
  }
}

/** The LLM mode the attempt started at `startedSeq` was journaled with. */
function journaledMode(started: JournalEntry | undefined): EngineEnvironment['mode'] | undefined {
  const mode = started?.data.mode;
  return mode === 'live' || mode === 'record' || mode === 'replay' ? mode : undefined;
}

/** The repository-relative mission files the run was started from (run_started `mission_files`). */
function missionFilesOf(started: JournalEntry | undefined): string[] {
  return Object.keys((started?.data.mission_files as Record<string, string> | undefined) ?? {});
}
