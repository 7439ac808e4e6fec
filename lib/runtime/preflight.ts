/**
 * Pre-flight: before the first step of a run, each operation's own checks (OperationHandler
 * preflight) on the params that are known already (literals and inputs; not what an earlier step
 * will output), so a missing prompt, key or program, or a task that is not in the backlog, is
 * reported before anything is paid for, not after a dozen model calls. A step whose `when` is
 * known to be false is not checked: it will not run.
 */
import { evaluateKnown } from '../core/condition-eval.ts';
import { planNodes, type PlanCondition, type PlanNode, type PlanValue } from '../core/plan-model.ts';
import { resolveValue } from '../core/resolve.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { OperationHandler, PreflightContext } from '../operations/handler.ts';

/** Every problem the steps' pre-flight checks find, each as `step <id>: <problem>`, once. */
export function preflightProblems(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>, context: PreflightContext, done: ReadonlySet<string> = new Set()): string[] {
  const problems = new Set<string>();
  for (const node of planNodes(nodes)) {
    if (node.type !== 'operation' || done.has(node.id)) continue;
    const check = handlers.get(node.operation)?.preflight;
    if (!check) continue;
    const known = knownParams(node.params);
    if (node.params.when !== undefined && knownCondition(node.params.when) === false) continue;
    for (const problem of check(known, context)) problems.add(`step ${node.id}: ${problem}`);
  }
  return [...problems];
}

/**
 * Refuse to start (or, with the steps already `done`, to resume) a run whose steps' pre-flight
 * checks find problems; all of them are listed.
 */
export function requirePreflight(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>, context: PreflightContext, done?: ReadonlySet<string>): void {
  const problems = preflightProblems(nodes, handlers, context, done);
  if (problems.length > 0) throw new RunPreconditionFailed(`the run was not ${done ? 'resumed, no decision was recorded' : 'started'}, nothing was called: ${problems.join('; ')}`);
}

/** A `when` as far as it is decided before the run (evaluateKnown); undefined when it is not. */
function knownCondition(when: PlanValue): boolean | undefined {
  if (typeof when === 'boolean') return when;
  if (when === null || typeof when !== 'object' || !('$condition' in when)) return undefined;
  const { logic, vars } = (when as PlanCondition).$condition;
  return evaluateKnown(logic, vars.map((value) => knownValue(value)));
}

function knownValue(value: PlanValue): { value: unknown } | undefined {
  try {
    return { value: resolveValue(value, () => undefined) };
  } catch {
    return undefined;
  }
}

/** The params whose values are known before the run (each resolved alone; one that reads a step's output is left out). */
function knownParams(params: Record<string, PlanValue>): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    // One that reads an earlier step's output is known only once that step has run.
    const resolved = knownValue(value);
    if (resolved) known[key] = resolved.value;
  }
  return known;
}
