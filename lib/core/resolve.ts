/**
 * Plan values -> run-time values: the runner's half of templates (lib/core/plan.ts leaves what
 * only a run can know as `$ref`, `$template` and `$condition`). Values are never re-rendered:
 * a step output holding `{{` stays text. Only own fields are followed.
 */
import { evaluateCondition } from './condition-eval.ts';
import { unescapePlanKey, type PlanValue } from './plan-model.ts';
import { stringifyForTemplate } from './template.ts';

/** A reference could not be resolved (a step output lacks the field a template reads). */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

/** Resolve a plan value; `output(nodeId)` gives a finished node's output (undefined if none). */
export function resolveValue(value: PlanValue, output: (nodeId: string) => { value: unknown } | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, output));
  if (value === null || typeof value !== 'object') return value;
  if (Object.hasOwn(value, '$ref')) {
    const { $ref, path } = value as { $ref: string; path: string[] };
    const found = output($ref);
    if (!found) throw new ResolveError(`step ${$ref} has no output yet`);
    return follow(found.value, path, $ref);
  }
  if (Object.hasOwn(value, '$template')) {
    let text = '';
    for (const part of (value as { $template: PlanValue[] }).$template) {
      text += typeof part === 'string' ? part : stringifyForTemplate(resolveValue(part, output));
    }
    return text;
  }
  if (Object.hasOwn(value, '$condition')) {
    const { logic, vars } = (value as { $condition: { logic: Parameters<typeof evaluateCondition>[0]; vars: PlanValue[] } }).$condition;
    return evaluateCondition(logic, vars.map((item) => resolveValue(item, output)));
  }
  const mapping: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) mapping[unescapePlanKey(key)] = resolveValue(item as PlanValue, output);
  return mapping;
}

function follow(value: unknown, path: readonly string[], nodeId: string): unknown {
  let current = value;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    if (Array.isArray(current) && /^\d+$/.test(key) && Number(key) < current.length) current = current[Number(key)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      const where = ['steps', nodeId, 'output', ...path.slice(0, i)].join('.');
      throw new ResolveError(`${where} has no field "${key}" (it is ${describe(current)})`);
    }
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return `a mapping with keys ${Object.keys(value).slice(0, 8).join(', ') || '(none)'}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
