/**
 * The state of one attempt as the step loop and each step see it: the journal-backed record,
 * finished outputs, where the repository stands, what the guards carry from step to step, and
 * the time limits. One object, passed to the functions of this folder, so each of them says by
 * its parameters what it reads and changes.
 */
import type { ExecutionPlan } from '../../core/plan-model.ts';
import { resolveValue } from '../../core/resolve.ts';
import { OperationFailed } from '../../core/run-errors.ts';
import type { RunState } from '../../core/run-state.ts';
import type { Envelope } from '../../core/types.ts';
import type { ResolvedRoot } from '../../governance/envelope.ts';
import { envelopeChains } from '../../governance/step-guards.ts';
import type { JournalWriter } from '../journal.ts';
import type { ProtectedCapture } from '../protected-state.ts';
import { engineFiles, excludePathspecs } from '../run-paths.ts';
import type { AheadCalls } from './fan-out.ts';
import type { GovernanceInForce, RepoPosition, Spend, Verdict } from './guards.ts';
import { RunRecord } from './run-record.ts';
import { GovernanceHalt } from './stops.ts';
import { TimeLimits } from './time-limits.ts';
import type { EngineEnvironment } from './types.ts';

export interface RunScope {
  /** The environment; the drive adds the run's mission files to the protected paths and fixes the mode. */
  env: EngineEnvironment;
  readonly plan: ExecutionPlan;
  readonly run: RunRecord;
  /** The run's folder name (its id without `sha256:`). */
  readonly runDir: string;
  /** Finished nodes' outputs, for resolving references. */
  readonly outputs: Map<string, { value: unknown }>;
  readonly position: RepoPosition;
  /** Git's protected parts (and the lock) as the run last left them: nothing may change them between writing steps. */
  settled: ProtectedCapture | undefined;
  governance: GovernanceInForce | undefined;
  /** The repository root resolved once when the attempt began, for the steps' path checks. */
  root: ResolvedRoot | undefined;
  /** The repository's builder policy (config/envelope_policy.yaml), read once the surfaces are verified. */
  policy: Envelope[];
  readonly spend: Spend;
  readonly limits: TimeLimits;
  /** Envelopes in force for each operation node, outermost first. */
  readonly envelopes: ReadonlyMap<string, Envelope[]>;
  /** What tools leave out of `git status` (the engine's files), and those files; fixed for the run. */
  readonly excludePathspecs: readonly string[];
  readonly enginePaths: readonly string[];
  /** Handlers a read-only fan-out started ahead of their turn (fan-out.ts). */
  ahead: AheadCalls | undefined;
}

export function createScope(env: EngineEnvironment, plan: ExecutionPlan, journal: JournalWriter, state: RunState, runDir: string): RunScope {
  return {
    env,
    plan,
    run: new RunRecord(env, journal, state, plan.mission),
    runDir,
    outputs: new Map(),
    position: { hash: undefined, state: undefined },
    settled: undefined,
    governance: undefined,
    root: undefined,
    policy: [],
    spend: { runUsd: 0, todayUsd: 0 },
    limits: new TimeLimits(env.signal, plan.timeout_seconds),
    envelopes: envelopeChains(plan),
    excludePathspecs: excludePathspecs(env.paths),
    enginePaths: engineFiles(env.paths).map((file) => file.path),
    ahead: undefined,
  };
}

/** A plan value resolved against the finished outputs; a bad reference fails the node. */
export function resolveIn(scope: RunScope, nodeId: string, what: string, value: Parameters<typeof resolveValue>[0]): unknown {
  try {
    return resolveValue(value, outputLookup(scope));
  } catch (error) {
    throw new OperationFailed(nodeId, what, (error as Error).message, { cause: error });
  }
}

export function outputLookup(scope: RunScope): (id: string) => { value: unknown } | undefined {
  return (id) => scope.outputs.get(id);
}

/**
 * A governance breach (spec §5.5: an envelope violation, a write to a protected path, a budget
 * passed) HALTs the run: it is escalated, and the run ends `escalated`, rolled back to its
 * pre-run state. Unlike a gate's escalation, there is nothing to override and go on with. No
 * verdict: nothing happens.
 */
export async function haltOn(scope: RunScope, nodeId: string | null, verdict: Verdict | null): Promise<void> {
  if (verdict) throw new GovernanceHalt(nodeId, await scope.run.escalate(nodeId, verdict.reason, 'critical', verdict.evidence));
}
