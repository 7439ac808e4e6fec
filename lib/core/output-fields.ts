/**
 * What a step's output holds, where it is known before the run, so that a reference such as
 * `{{steps.design.output.pakcet}}` is a validation error rather than a failed step after paid
 * calls: a nested mission's output is its declared outputs; an operation's, the fields its
 * definition lists (an `llm_call`'s `{ role, packet, … }`), and an `llm_call`'s `packet` the
 * top-level fields of its literal `output_schema` where the registry knows them. A step with
 * `otherwise` outputs what it says instead when skipped, so its output is not checked.
 */
import { didYouMean } from './diagnostics.ts';
import type { Registry } from './registry.ts';

/** The known shape of one step's output. */
export interface OutputShape {
  fields?: readonly string[];
  /** Fields of `output.packet`. */
  packetFields?: readonly string[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => value !== null && typeof value === 'object' && !Array.isArray(value);

export function outputShape(step: Loose, registry: Registry): OutputShape {
  if (step.kind === 'mission' && typeof step.mission === 'string') {
    const outputs = registry.missions.get(step.mission)?.mission.outputs;
    return outputs ? { fields: outputs.map((output) => output.name) } : {};
  }
  if (step.kind !== 'runtime' || typeof step.operation !== 'string') return {};
  const params = isObject(step.params) ? step.params : {};
  if (Object.hasOwn(params, 'otherwise')) return {};
  const definition = registry.operations.get(step.operation);
  if (!definition?.outputFields) return {};
  const schema = typeof params.output_schema === 'string' ? registry.vocabulary?.schemas?.get(params.output_schema) : undefined;
  return { fields: definition.outputFields, ...(schema ? { packetFields: schema } : {}) };
}

/** A problem with `steps.<id>.output.<path…>` for a step of this shape, or undefined. */
export function fieldProblem(stepId: string, path: readonly string[], shape: OutputShape): { message: string; hint: string } | undefined {
  const [field, subfield] = path;
  if (field === undefined || !shape.fields) return undefined;
  if (!shape.fields.includes(field)) return { message: `the output of step "${stepId}" has no field "${field}"`, hint: didYouMean(field, shape.fields) ?? `its fields: ${shape.fields.join(', ')}` };
  if (field === 'packet' && subfield !== undefined && shape.packetFields && !shape.packetFields.includes(subfield)) {
    return { message: `the packet of step "${stepId}" (its output_schema) has no field "${subfield}"`, hint: didYouMean(subfield, shape.packetFields) ?? `its fields: ${shape.packetFields.join(', ')}` };
  }
  return undefined;
}
