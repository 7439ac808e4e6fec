/**
 * A fan-out (`for_each`) step. Instances run in instance order, and so are journaled: each
 * instance's entries are written exactly as a one-at-a-time run writes them. A read-only
 * fan-out (every instance an operation that writes nothing, plan.max_parallel > 1) also starts
 * the handlers of the next instances while the current one is journaled and awaited, up to
 * max_parallel at once: four council seats ask their models together, and the journal, the
 * outputs and every decision are the same as in a sequential run.
 *
 * An instance's handler starts early only once the guards that come before a handler would let
 * it (its params resolve and check, its tool or role is in the envelope, no kill switch, time
 * left, not completed or escalated earlier); otherwise it runs when its turn comes, through the
 * ordinary path. A read-only handler that ran early and whose turn never comes (an earlier
 * instance failed) is aborted, and nothing of it is journaled: it wrote nothing. A run with a
 * budget asks one instance at a time.
 */
import { setMaxListeners } from 'node:events';
import { canonicalJson, hashCanonical, type Sha256 } from '../../core/canonical.ts';
import type { PlanFanOutNode, PlanNode, PlanOperationNode } from '../../core/plan-model.ts';
import { resolveValue } from '../../core/resolve.ts';
import { toolOrRoleProblem } from '../../governance/step-guards.ts';
import { checkParams } from '../params-check.ts';
import { checkKillSwitch } from './guards.ts';
import { operationContext } from './operation-context.ts';
import { outputLookup, type RunScope } from './run-scope.ts';

/** Handlers started ahead of their turn, by node id (RunScope.ahead). */
export interface AheadCalls {
  /** The started handler's result, if this node's handler was started with these params. */
  take(nodeId: string, params: Record<string, unknown>): Promise<unknown> | undefined;
}

interface Started {
  params: string;
  result: Promise<unknown>;
}

export async function runFanOut(scope: RunScope, node: PlanFanOutNode, runNode: (node: PlanNode) => Promise<void>): Promise<void> {
  const { run, outputs } = scope;
  run.record('step_started', { node: node.id, step_id: node.step_id, kind: 'fan_out', instances: node.instances.length });
  const parallel = budgeted(scope, node) ? 1 : Math.min(node.max_parallel, scope.env.maxParallel ?? node.max_parallel);
  if (parallel > 1 && node.instances.length > 1) await runAhead(scope, node, parallel, runNode);
  else for (const instance of node.instances) await runNode(instance);
  outputs.set(node.id, { value: node.instances.map((instance) => outputs.get(instance.id)?.value ?? null) });
  run.record('step_finished', { node: node.id, status: 'completed' });
}

/**
 * A run with a budget (an envelope's max_budget_usd, or the host's daily budget) asks one
 * instance at a time: the budget is checked after each step, and a call started early could be
 * made after it was spent.
 */
function budgeted(scope: RunScope, node: PlanFanOutNode): boolean {
  if (scope.env.dailyBudgetUsd !== undefined) return true;
  return node.instances.some((instance) => (scope.envelopes.get(instance.id) ?? []).some((envelope) => envelope.max_budget_usd !== undefined));
}

async function runAhead(scope: RunScope, node: PlanFanOutNode, parallel: number, runNode: (node: PlanNode) => Promise<void>): Promise<void> {
  const cancel = new AbortController();
  setMaxListeners(parallel + 8, cancel.signal);
  const started = new Map<string, Started>();
  const running = new Set<string>();
  const report = (): void => scope.env.onProgress?.({ kind: 'in_flight', node: node.id, running: [...running], of: Math.min(parallel, node.instances.length) });
  const start = async (instance: PlanOperationNode): Promise<void> => {
    const params = await paramsIfReady(scope, instance);
    if (!params || cancel.signal.aborted) return;
    const handler = scope.env.handlers.get(instance.operation);
    if (!handler) return;
    const operationId = hashCanonical({ run_id: scope.run.runId, operation_node: instance.id });
    running.add(instance.id);
    report();
    const result = scope.limits.invoke(handler, params, operationContext(scope, instance, operationId, params), instance, cancel.signal);
    result.catch(() => undefined).finally(() => {
      running.delete(instance.id);
      report();
    });
    started.set(instance.id, { params: canonicalJson(params), result });
  };
  const previous = scope.ahead;
  scope.ahead = {
    take(nodeId, params) {
      const entry = started.get(nodeId);
      started.delete(nodeId);
      return entry && entry.params === canonicalJson(params) ? entry.result : undefined;
    },
  };
  const instances = node.instances as PlanOperationNode[];
  try {
    let next = 0;
    for (let turn = 0; turn < instances.length; turn++) {
      // Keep max_parallel handlers going: this turn's and the next ones'.
      for (; next < instances.length && next < turn + parallel; next++) await start(instances[next] as PlanOperationNode);
      await runNode(instances[turn] as PlanOperationNode);
    }
  } finally {
    scope.ahead = previous;
    cancel.abort();
    // Handlers started for turns that never came are stopped; what they write on their way out
    // (a call log entry) is written before the run goes on to its end and its bundle.
    await Promise.allSettled([...started.values()].map((entry) => entry.result));
  }
}

/**
 * The instance's params, when its handler may start now: what runOperation checks before the
 * handler, without journaling anything. Undefined leaves the instance to its turn.
 */
async function paramsIfReady(scope: RunScope, node: PlanOperationNode): Promise<Record<string, unknown> | undefined> {
  const { env, run, position } = scope;
  const handler = env.handlers.get(node.operation);
  if (!handler || node.writes) return undefined;
  let params: Record<string, unknown>;
  try {
    params = resolveValue(node.params, outputLookup(scope)) as Record<string, unknown>;
    checkKillSwitch(env, `before step ${node.id}`);
    scope.limits.check(node);
  } catch {
    return undefined;
  }
  const key = hashCanonical({ run_id: run.runId, node: node.id, operation: node.operation, params, pre_state_hash: position.hash as Sha256 });
  if (run.state.completed.has(key)) return undefined;
  const attempt = run.attempt();
  if ([...run.state.human_requests.values()].some((request) => request.node === node.id && request.seq > attempt.started_seq)) return undefined;
  // A step its `when` skips does nothing worth starting early.
  if (handler.conditionParams?.some((name) => params[name] === false)) return undefined;
  if ((await checkParams(handler, params)) !== undefined) return undefined;
  if (toolOrRoleProblem(node.operation, params, scope.envelopes.get(node.id) ?? [])) return undefined;
  return params;
}
