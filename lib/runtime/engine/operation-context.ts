/** What a handler is given besides its params: who runs it, where, under which envelopes. */
import { isSha256 } from '../../core/canonical.ts';
import { planNodes, type PlanNode, type PlanOperationNode } from '../../core/plan-model.ts';
import type { InFlightOperation } from '../../core/run-state.ts';
import { missionId } from '../../core/store-rows.ts';
import { writeChain } from '../../governance/write-policy.ts';
import type { OperationContext } from '../../operations/handler.ts';
import type { RunScope } from './run-scope.ts';

export type BaseContext = Omit<OperationContext, 'signal'>;

export function operationContext(scope: RunScope, node: PlanOperationNode, operationId: string, params: Record<string, unknown>): BaseContext {
  const { env, plan, run } = scope;
  const attempt = run.attempt();
  return {
    run_id: run.runId,
    run_id_audit: run.state.run_id_audit ?? '',
    mission_id: missionId(plan.mission, run.runId, attempt.attempt),
    mission_type: plan.mission,
    step_id: node.step_id,
    repo_root: env.repoRoot,
    ...(scope.root ? { repo_root_resolved: scope.root } : {}),
    baseline_commit: attempt.baseline.head,
    envelope: node.envelope ?? plan.envelope,
    journal: run.journal,
    node_id: node.id,
    operation: {
      operation_id: operationId,
      type: node.operation,
      params,
      compensation_type: node.compensation.type,
      compensation_command: node.compensation.command,
    },
    mode: env.mode,
    transforms: env.transforms,
    schemas: env.schemas,
    envelopes: writeChain(scope.envelopes.get(node.id) ?? [], node.operation, params, scope.policy),
    protected_paths: env.protectedPaths,
    exclude_pathspecs: scope.excludePathspecs,
    engine_paths: scope.enginePaths,
    sandbox: env.sandbox,
    child_env: env.childEnv,
    ...(isSha256(run.started?.data.run_key) ? { run_key: run.started.data.run_key } : {}),
    ...(env.onProgress ? { notify: quietly(env.onProgress) } : {}),
  };
}

/** A host's progress callback that cannot fail the step it reports on. */
function quietly<T>(callback: (event: T) => void): (event: T) => void {
  return (event) => {
    try {
      callback(event);
    } catch {
      // A display's failure is not the run's.
    }
  };
}

/** The context a journaled operation ran with, for its custom compensation. */
export function inFlightContext(scope: RunScope, op: InFlightOperation): BaseContext {
  const node = findOperationNode(scope.plan.steps, op.node);
  if (!node) throw new Error(`plan has no operation node ${op.node}`);
  return operationContext(scope, node, op.operation_id, op.params);
}

function findOperationNode(nodes: readonly PlanNode[], id: string): PlanOperationNode | undefined {
  for (const node of planNodes(nodes)) if (node.type === 'operation' && node.id === id) return node;
  return undefined;
}
