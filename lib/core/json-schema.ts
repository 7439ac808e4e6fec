/**
 * Compiling JSON Schemas at run time (handler params, gate_check schemas): each schema object is
 * compiled once, and ajv is loaded on first use, keeping its compiler off the start-up path of
 * `validate` and `plan`.
 */
import type { ValidateFunction } from 'ajv';
import { importModule } from './import-module.ts';

const compiled = new WeakMap<object, ValidateFunction>();

export async function compileJsonSchema(schema: object): Promise<ValidateFunction> {
  let validate = compiled.get(schema);
  if (!validate) {
    const { Ajv } = (await importModule('ajv')) as typeof import('ajv');
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}
