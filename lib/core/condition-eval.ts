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

/**
 * A condition evaluated as far as its known values allow (before a run: inputs are known,
 * earlier steps' outputs are not): true or false when that is decided whatever the unknown
 * values turn out to be (`and` with a false part, `or` with a true one, `!` of a decided part,
 * anything whose values are all known), else undefined. `values[i]` undefined: not known yet.
 */
export function evaluateKnown(logic: JsonLogic | boolean, values: ReadonlyArray<{ value: unknown } | undefined>): boolean | undefined {
  if (logic !== null && typeof logic === 'object' && !Array.isArray(logic)) {
    const [operator, args] = Object.entries(logic)[0] ?? ['', undefined];
    const parts = Array.isArray(args) ? (args as JsonLogic[]) : [args as JsonLogic];
    if (operator === 'and' || operator === 'or') {
      const decided = parts.map((part) => evaluateKnown(part, values));
      const decisive = operator === 'and' ? false : true;
      if (decided.includes(decisive)) return decisive;
      return decided.every((result) => result === !decisive) ? !decisive : undefined;
    }
    if (operator === '!' && parts.length === 1) {
      const inner = evaluateKnown(parts[0] as JsonLogic, values);
      return inner === undefined ? undefined : !inner;
    }
  }
  if (!slotsIn(logic).every((slot) => values[slot] !== undefined)) return undefined;
  try {
    return evaluateCondition(logic, values.map((known) => known?.value ?? null));
  } catch {
    return undefined;
  }
}

/** The value slots a condition (or part of one) reads. */
function slotsIn(node: unknown): number[] {
  if (Array.isArray(node)) return node.flatMap(slotsIn);
  if (node === null || typeof node !== 'object') return [];
  const [operator, args] = Object.entries(node)[0] ?? ['', undefined];
  if (operator === 'var') return [Number(Array.isArray(args) ? args[0] : args)];
  return slotsIn(args);
}
