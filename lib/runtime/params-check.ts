/** Checking an operation's resolved params against its handler's `paramsSchema` before it runs. */
import type { OperationHandler } from '../operations/handler.ts';
import { compileJsonSchema } from '../core/json-schema.ts';

/** A message naming each param problem, or undefined when the params are fine. */
export async function checkParams(handler: OperationHandler, params: Record<string, unknown>): Promise<string | undefined> {
  const schema = handler.paramsSchema;
  if (!schema) return undefined;
  const validate = await compileJsonSchema(schema);
  if (validate(params)) return undefined;
  const problems = (validate.errors ?? []).map((e) => `params${e.instancePath.replaceAll('/', '.')} ${e.message ?? 'is invalid'}`);
  return `invalid params for ${handler.type}: ${problems.join('; ')}`;
}
