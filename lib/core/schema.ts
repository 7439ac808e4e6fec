/**
 * Mission Schema v1.0 (spec §5.3.1, schemas/mission.schema.json) -> coded diagnostics.
 * Validation runs the precompiled standalone validator (scripts/generate-validators.ts), so no
 * schema compiler is loaded at start-up; this file only turns Ajv's errors into messages that
 * name the field and the fix.
 */
import { diagnostic, didYouMean, joinPointer, listOf, type DiagnosticCode, type Locator } from './diagnostics.ts';
import { validate as validateMissionSchema } from './generated/mission-validator.ts';
import type { Diagnostic } from './types.ts';

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: { properties?: Record<string, unknown>; enum?: unknown[] };
  data?: unknown;
  /** Set on errors about a property name (propertyNames). */
  propertyName?: string;
}

type SchemaValidator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  mission: 'name the mission: `mission: my_mission`',
  version: 'add `version: "1.0"`',
  inputs: 'write `inputs: []` if the mission takes no inputs',
  outputs: 'write `outputs: []` if the mission produces no outputs',
  steps: 'add a `steps:` list with at least one step',
  id: 'give the step an identifier: `id: gather_context`',
  kind: 'set `kind: runtime`, `kind: mission` or `kind: human`',
  operation: 'a `kind: runtime` step names its operation, e.g. `operation: tool_invoke`',
  name: 'add `name: <identifier>`',
  type: 'add a type such as `type: str`, `type: dict` or a packet name',
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  object: 'a mapping',
  array: 'a list',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
};

/** Check a parsed document against Mission Schema v1.0. */
export function checkSchema(value: unknown, locate?: Locator, file?: string): Diagnostic[] {
  const validate = validateMissionSchema as SchemaValidator;
  if (validate(value)) return [];
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const error of validate.errors ?? []) {
    const result = toDiagnostic(error, locate, file);
    if (!result) continue;
    const identity = `${result.code} ${result.path} ${result.message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    diagnostics.push(result);
  }
  return diagnostics;
}

function toDiagnostic(error: AjvError, locate: Locator | undefined, file: string | undefined): Diagnostic | undefined {
  const path = error.instancePath;
  const field = lastSegment(path);
  const make = (code: DiagnosticCode, message: string, hint?: string, key = false, at = path) =>
    diagnostic(code, { path: at, key }, message, { hint, locate, file });

  switch (error.keyword) {
    case 'if':
    case 'propertyNames':
      return undefined; // the failing branch or property name is reported by its own error
    case 'required': {
      const missing = String(error.params.missingProperty);
      const hint = missing === 'mission' && path.startsWith('/steps/')
        ? 'a `kind: mission` step names the mission to run: `mission: design`'
        : REQUIRED_HINTS[missing];
      return make('E_REQUIRED', `missing required field "${missing}"`, hint);
    }
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const allowed = Object.keys(error.parentSchema?.properties ?? {});
      const hint = didYouMean(key, allowed) ?? `allowed keys here: ${allowed.join(', ')}`;
      return make('E_UNKNOWN_KEY', `unknown key "${key}"`, hint, true, joinPointer(path, key));
    }
    case 'type': {
      const expected = String(error.params.type)
        .split(',')
        .map((name) => TYPE_NAMES[name] ?? name)
        .join(' or ');
      const hint = field === 'version' && typeof error.data === 'number' ? 'quote it: `version: "1.0"`' : undefined;
      return make('E_TYPE', `must be ${expected}, got ${describeValue(error.data)}`, hint);
    }
    case 'enum': {
      const allowed = (error.parentSchema?.enum ?? []).map(String);
      const got = String(error.data);
      if (field === 'compensation') {
        return make(
          'E_COMPENSATION',
          `"${got}" is not a known compensation command`,
          `${didYouMean(got, allowed) ?? `use one of ${listOf(allowed)}`}; compensation never runs free-form shell`,
        );
      }
      return make('E_ENUM', `"${got}" is not one of ${listOf(allowed)}`, didYouMean(got, allowed));
    }
    case 'pattern':
      if (error.propertyName !== undefined) {
        const name = JSON.stringify(error.propertyName);
        const at = joinPointer(path, error.propertyName);
        return make('E_PATTERN', `loop variable ${name} must be an identifier`, 'use letters, digits and _, not starting with a digit', true, at);
      }
      return patternDiagnostic(field, error.data, make);
    case 'minItems':
    case 'minProperties':
      return make('E_EMPTY', field === 'steps' ? 'a mission needs at least one step' : 'must not be empty');
    case 'minimum':
      return make('E_RANGE', `must be at least ${String(error.params.limit)}, got ${describeValue(error.data)}`);
    default:
      return make('E_SCHEMA', error.message ?? `fails the "${error.keyword}" rule`);
  }
}

function patternDiagnostic(
  field: string,
  data: unknown,
  make: (code: DiagnosticCode, message: string, hint?: string) => Diagnostic,
): Diagnostic {
  const text = JSON.stringify(data);
  if (field === 'version') return make('E_PATTERN', `version ${text} must be MAJOR.MINOR`, 'write it as `version: "1.0"`');
  if (field === 'type') return make('E_PATTERN', 'type must not be blank', 'use a type such as `str` or `dict`');
  const what = field === 'mission' ? 'mission name' : field === 'id' ? 'step id' : field;
  const allowed = field === 'mission' ? 'letters, digits, _ and -' : 'letters, digits and _';
  return make('E_PATTERN', `${what} ${text} must be an identifier`, `use ${allowed}, not starting with a digit`);
}

function lastSegment(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}
