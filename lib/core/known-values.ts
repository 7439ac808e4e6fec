/**
 * What a plan already knows before the run: a value is known when it reads no step's output
 * (literals and inputs), and a `when` is decided when the parts it needs are known (an `and`
 * with one known-false side is false). Pre-flight skips the checks of steps that will not run;
 * `plan` marks them.
 */
import { evaluateKnown } from './condition-eval.ts';
import type { PlanCondition, PlanNode, PlanValue } from './plan-model.ts';
import { resolveValue } from './resolve.ts';

/** A `when` as far as it is decided before the run; undefined when it is not. */
export function knownCondition(when: PlanValue): boolean | undefined {
  if (typeof when === 'boolean') return when;
  if (when === null || typeof when !== 'object' || !('$condition' in when)) return undefined;
  const { logic, vars } = (when as PlanCondition).$condition;
  return evaluateKnown(logic, vars.map((value) => knownValue(value)));
}

/** The value, resolved, when it reads no step's output; undefined otherwise. */
export function knownValue(value: PlanValue): { value: unknown } | undefined {
  try {
    return { value: resolveValue(value, () => undefined) };
  } catch {
    return undefined;
  }
}

/** Whether a node will not run: an operation whose `when` is known false, or a fan-out of only such. */
export function knownSkipped(node: PlanNode): boolean {
  if (node.type === 'operation') return node.params.when !== undefined && knownCondition(node.params.when) === false;
  if (node.type === 'fan_out') return node.instances.length > 0 && node.instances.every(knownSkipped);
  return false;
}
