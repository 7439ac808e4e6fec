/**
 * A step's params checked before any run, at their YAML positions: against the operation's
 * params schema (the keys it takes and needs, the types and allowed values of literal values),
 * and the names that can be looked up (a role, a tool and its action, a packet schema, a
 * transform, a named gate check) against what the registry knows. A value that is a template
 * is only known at run time and is left alone, as is everything the registry knows nothing of.
 *
 * The schema language is the subset of JSON Schema the operations use (the runtime checks the
 * resolved params against the same schema with a full validator): `properties`, `required`,
 * `additionalProperties: false`, `anyOf` of `required` lists, and per property `type`, `enum`
 * and `minLength`.
 */
import { closestMatch, didYouMean, joinPointer, type DiagnosticCode } from './diagnostics.ts';
import type { OperationDefinition, Vocabulary } from './registry.ts';
import { isTemplated } from './template.ts';

type Emit = (code: DiagnosticCode, path: string, message: string, options?: { hint?: string | undefined; key?: boolean }) => void;

interface PropertySchema {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  minLength?: number;
}

interface ParamsSchema {
  properties?: Readonly<Record<string, PropertySchema>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  anyOf?: ReadonlyArray<{ required?: readonly string[] }>;
}

export interface StepParams {
  operation: string;
  params: Readonly<Record<string, unknown>>;
  pointer: string;
  /** A `for_each` variable -> its literal values, to check `reviewer_{{seat}}` once per value. */
  loopValues: ReadonlyMap<string, readonly unknown[]>;
}

export function checkStepParams(step: StepParams, definition: OperationDefinition, vocabulary: Vocabulary | undefined, emit: Emit): void {
  const schema = (definition.paramsSchema ?? {}) as ParamsSchema;
  const given = Object.keys(step.params);
  const properties = schema.properties ?? {};
  const at = (name: string): string => joinPointer(step.pointer, 'params', name);
  const known = Object.keys(properties);
  const unknown = schema.additionalProperties === false ? given.filter((name) => !Object.hasOwn(properties, name)) : [];
  for (const name of unknown) {
    emit('E_PARAM_UNKNOWN', at(name), `operation ${step.operation} takes no param "${name}"`, { key: true, hint: didYouMean(name, known) ?? `its params: ${known.join(', ')}` });
  }
  const missingHint = (name: string): string | undefined => {
    const typo = unknown.find((candidate) => closestMatch(candidate, [name]) === name);
    return typo ? `"${typo}" is given: did you mean "${name}"?` : undefined;
  };
  for (const name of schema.required ?? []) {
    if (!given.includes(name)) emit('E_PARAM_MISSING', joinPointer(step.pointer, 'params'), `operation ${step.operation} needs param "${name}"`, { key: true, hint: missingHint(name) ?? `add \`${name}:\` under params` });
  }
  const alternatives = (schema.anyOf ?? []).map((branch) => branch.required ?? []);
  if (alternatives.length > 0 && !alternatives.some((names) => names.every((name) => given.includes(name)))) {
    const names = alternatives.map((names) => names.join(' + '));
    const hint = alternatives.flat().map(missingHint).find((text) => text !== undefined);
    emit('E_PARAM_MISSING', joinPointer(step.pointer, 'params'), `operation ${step.operation} needs one of the params ${names.map((n) => `"${n}"`).join(', ')}`, { key: true, hint: hint ?? `add one of ${names.join(', ')}` });
  }
  for (const [name, value] of Object.entries(step.params)) {
    const property = properties[name];
    // A condition is compiled and checked as one (semantics.ts); its schema type is what it evaluates to.
    if (property && !definition.conditionParams?.includes(name) && !isTemplatedValue(value)) checkLiteral(step.operation, name, value, property, at(name), emit);
  }
  for (const [name, what] of Object.entries(definition.namedParams ?? {})) {
    const value = step.params[name];
    if (typeof value === 'string') checkName(what, value, step, vocabulary, at(name), emit);
  }
}

/** Whether a value is (or holds) a template, whose value is known only at run time. */
function isTemplatedValue(value: unknown): boolean {
  if (typeof value === 'string') return isTemplated(value);
  if (Array.isArray(value)) return value.some(isTemplatedValue);
  if (value !== null && typeof value === 'object') return Object.values(value).some(isTemplatedValue);
  return false;
}

function checkLiteral(operation: string, name: string, value: unknown, property: PropertySchema, pointer: string, emit: Emit): void {
  if (property.enum && !property.enum.includes(value)) {
    const allowed = property.enum.map((v) => JSON.stringify(v)).join(', ');
    const close = typeof value === 'string' ? closestMatch(value, property.enum.filter((v): v is string => typeof v === 'string')) : undefined;
    emit('E_PARAM_VALUE', pointer, `param "${name}" of ${operation} is ${JSON.stringify(value)}; it is one of ${allowed}`, { hint: close ? `did you mean "${close}"?` : `use one of ${allowed}` });
    return;
  }
  const types = property.type === undefined ? [] : typeof property.type === 'string' ? [property.type] : property.type;
  if (types.length > 0 && !types.some((type) => hasType(value, type))) {
    emit('E_PARAM_TYPE', pointer, `param "${name}" of ${operation} must be ${types.map(article).join(' or ')}, not ${describe(value)}`);
    return;
  }
  if (property.minLength !== undefined && typeof value === 'string' && value.length < property.minLength) {
    emit('E_PARAM_VALUE', pointer, `param "${name}" of ${operation} must not be empty`);
  }
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return true;
  }
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`);

/** A role, tool, action, schema, transform or check name, against what the registry knows of them. */
function checkName(what: NonNullable<OperationDefinition['namedParams']>[string], value: string, step: StepParams, vocabulary: Vocabulary | undefined, pointer: string, emit: Emit): void {
  if (!vocabulary) return;
  if (what === 'action') {
    const tool = step.params.tool;
    const actions = typeof tool === 'string' ? vocabulary.tools?.get(tool) : undefined;
    if (actions && !isTemplated(value) && !actions.includes(value)) {
      emit('E_UNKNOWN_ACTION', pointer, `tool ${String(tool)} has no action "${value}"`, { hint: didYouMean(value, actions) ?? `its actions: ${actions.join(', ')}` });
    }
    return;
  }
  const names = what === 'role' ? vocabulary.roles?.names : what === 'tool' ? vocabulary.tools && [...vocabulary.tools.keys()] : what === 'schema' ? vocabulary.schemas && [...vocabulary.schemas.keys()] : what === 'transform' ? vocabulary.transforms : vocabulary.checks;
  if (!names) return;
  for (const name of expansions(value, step.loopValues)) {
    if (names.includes(name)) continue;
    const code = UNKNOWN_CODE[what];
    const fromBuiltins = what === 'role' && vocabulary.roles?.from === 'builtin';
    const where = what === 'role' ? (fromBuiltins ? ' among the built-in roles (validate inside the repository to check its config/agent_roles/)' : ' in config/agent_roles/') : '';
    emit(fromBuiltins ? 'W_UNKNOWN_ROLE' : code, pointer, `unknown ${what} "${name}"${where}`, { hint: didYouMean(name, names) ?? `known: ${names.join(', ')}` });
    return;
  }
}

const UNKNOWN_CODE = { role: 'E_UNKNOWN_ROLE', tool: 'E_UNKNOWN_TOOL', schema: 'E_UNKNOWN_SCHEMA', transform: 'E_UNKNOWN_TRANSFORM', check: 'E_UNKNOWN_CHECK' } as const;

/**
 * The names a value stands for: itself when literal; `reviewer_{{seat}}` once per literal value
 * of the loop variable `seat`; nothing when it reads anything else (known only at run time).
 */
function expansions(value: string, loopValues: ReadonlyMap<string, readonly unknown[]>): string[] {
  if (!isTemplated(value)) return [value];
  const match = /^([^{}]*)\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}([^{}]*)$/.exec(value);
  const values = match ? loopValues.get(match[2] as string) : undefined;
  if (!match || !values || !values.every((v) => typeof v === 'string' || typeof v === 'number')) return [];
  return values.map((v) => `${match[1]}${String(v)}${match[3]}`);
}
