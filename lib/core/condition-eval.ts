/**
 * Evaluating a planned condition ({"$condition": {logic, vars}}): JSON Logic via json-logic-js,
 * with data that is only the list of resolved variable values. Kept apart from condition.ts so
 * `validate` and `plan` never load json-logic-js.
 *
 * Fail-closed: an operator outside ALLOWED_OPERATORS, a `var` that is not an index into the
 * values (a hand-edited plan), or a result that is not a boolean is an error, never "false".
 * Variables are resolved by the caller with own-property look-ups, so json-logic-js's `var`
 * (which walks the prototype chain) only ever indexes the values array.
 */
import jsonLogic from 'json-logic-js';
import { ALLOWED_OPERATORS } from './condition.ts';
import type { JsonLogic } from './types.ts';

/** A condition could not be evaluated to true or false. */
export class ConditionEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConditionEvaluationError';
  }
}

/** Evaluate `logic`, whose `{"var": "<i>"}` reads `values[i]`. */
export function evaluateCondition(logic: JsonLogic | boolean, values: readonly unknown[]): boolean {
  checkLogic(logic, values.length);
  const result = jsonLogic.apply(logic, [...values]);
  if (typeof result !== 'boolean') {
    throw new ConditionEvaluationError(`condition gave ${JSON.stringify(result)}, not true or false`);
  }
  return result;
}

function checkLogic(node: unknown, slots: number): void {
  if (Array.isArray(node)) {
    node.forEach((item) => checkLogic(item, slots));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const entries = Object.entries(node);
  const [operator, args] = entries[0] ?? ['', undefined];
  if (entries.length !== 1 || !ALLOWED_OPERATORS.has(operator)) {
    throw new ConditionEvaluationError(`operator ${JSON.stringify(Object.keys(node))} is not allowed in conditions`);
  }
  if (operator === 'var') {
    const slot = Array.isArray(args) ? args[0] : args;
    if (typeof slot !== 'string' || !/^\d+$/.test(slot) || Number(slot) >= slots) {
      throw new ConditionEvaluationError(`"var" must index the condition's values, got ${JSON.stringify(slot)}`);
    }
    return;
  }
  checkLogic(args, slots);
}
