/** A mission's inputs as given by the caller: checked against their declarations, defaults filled in. */
import { MAX_YAML_DEPTH } from './yaml-structure.ts';
import { diagnostic, didYouMean } from './diagnostics.ts';
import { isRequired } from './semantics.ts';
import type { Diagnostic, Mission } from './types.ts';
import { parseValueType, typeMismatch } from './value-type.ts';

/** Problems with the inputs given for a mission: unknown, missing, wrong type. */
export function checkInputs(mission: Mission, given: Record<string, unknown>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const declared = new Map(mission.inputs.map((input) => [input.name, input]));
  for (const [name, value] of Object.entries(given)) {
    const input = declared.get(name);
    if (!input) {
      problems.push(
        diagnostic('E_INPUT_UNKNOWN', { path: '' }, `input "${name}" is not declared by mission "${mission.mission}"`, {
          hint: didYouMean(name, declared.keys()) ?? `declared inputs: ${[...declared.keys()].join(', ') || 'none'}`,
        }),
      );
      continue;
    }
    if (deeperThan(value, MAX_YAML_DEPTH)) {
      problems.push(diagnostic('E_INPUT_TYPE', { path: '' }, `input "${name}" is nested more than ${MAX_YAML_DEPTH} levels deep`, { hint: 'a mission input needs far less; flatten the value' }));
      continue;
    }
    const type = parseValueType(input.type);
    const problem = type && typeMismatch(type, value);
    if (problem) problems.push(diagnostic('E_INPUT_TYPE', { path: '' }, `input "${name}" (${input.type}): ${problem}`));
  }
  for (const input of mission.inputs) {
    if (isRequired(input) && !Object.hasOwn(given, input.name)) {
      problems.push(
        diagnostic('E_INPUT_MISSING', { path: '' }, `mission "${mission.mission}" needs input "${input.name}" (${input.type})`, {
          hint: `pass it, e.g. --input ${input.name}=...`,
        }),
      );
    }
  }
  return problems;
}

/** The inputs a plan is made with: those given, else each declared default. */
export function withDefaults(mission: Mission, given: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const input of mission.inputs) {
    if (Object.hasOwn(given, input.name)) inputs[input.name] = given[input.name];
    else if (Object.hasOwn(input, 'default')) inputs[input.name] = input.default;
  }
  return inputs;
}

/** Whether lists and mappings nest deeper than `limit` (walked without recursion). */
function deeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limit) return true;
    for (const item of Object.values(current)) stack.push([item, depth + 1]);
  }
  return false;
}
