/**
 * Checking an operation's resolved params against its handler's `paramsSchema` before it runs.
 * Each schema is compiled once; ajv is loaded on first use, keeping it off the start-up path
 * of `validate` and `plan`.
 */
import type { ValidateFunction } from 'ajv';
import type { OperationHandler } from '../operations/handler.ts';

const compiled = new WeakMap<object, ValidateFunction>();

/** A message naming each param problem, or undefined when the params are fine. */
export async function checkParams(handler: OperationHandler, params: Record<string, unknown>): Promise<string | undefined> {
  const schema = handler.paramsSchema;
  if (!schema) return undefined;
  let validate = compiled.get(schema);
  if (!validate) {
    const { Ajv } = await import('ajv');
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(params)) return undefined;
  const problems = (validate.errors ?? []).map((e) => `params${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
  return `invalid params for ${handler.type}: ${problems.join('; ')}`;
}
