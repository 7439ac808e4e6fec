/**
 * Small pure helpers of the planner (plan.ts): the cartesian product of a fan-out's lists, its
 * instances' labels, joining template text, and describing a value in a message.
 */
import { isConcrete, isMapping, isRef, unescapeValue, type PlanValue } from './plan-model.ts';
import { stringifyForTemplate } from './template.ts';

export function cartesian(lists: PlanValue[][]): PlanValue[][] {
  return lists.reduce<PlanValue[][]>((combos, list) => combos.flatMap((combo) => list.map((item) => [...combo, item])), [[]]);
}

const SAFE_LABEL = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Readable instance labels (`risk`, `risk,fast`), or indices when values are not simple or not unique. */
export function instanceLabels(combinations: PlanValue[][]): string[] {
  const readable = combinations.map((values) =>
    values.every((value) => (typeof value === 'string' && SAFE_LABEL.test(value)) || typeof value === 'number' || typeof value === 'boolean')
      ? values.map(String).join(',')
      : undefined,
  );
  const unique = new Set(readable).size === readable.length && readable.every((label) => label !== undefined);
  return unique ? (readable as string[]) : combinations.map((_, index) => String(index));
}

export function joinText(parts: PlanValue[]): PlanValue[] {
  const joined: PlanValue[] = [];
  for (const part of parts) {
    const last = joined[joined.length - 1];
    if (typeof part === 'string' && typeof last === 'string') joined[joined.length - 1] = last + part;
    else joined.push(isConcrete(part) && typeof part !== 'string' ? stringifyForTemplate(unescapeValue(part)) : part);
  }
  return joined;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return isRef(value as PlanValue) ? 'a step output (known only at run time)' : 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
