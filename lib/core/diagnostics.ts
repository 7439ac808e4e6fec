/**
 * Diagnostic codes and the helpers that build diagnostics. Every code here is documented in
 * docs/errors.md (a test keeps the two in step). Messages start with a readable location
 * (`steps[2].operation`) so a line of output is understandable without the JSON pointer.
 */
import type { Diagnostic } from './types.ts';

/** Every diagnostic code with a one-line meaning (the long form is in docs/errors.md). */
export const DIAGNOSTIC_CODES = {
  E_YAML_SYNTAX: 'the file is not valid YAML',
  E_YAML_DUPLICATE_KEY: 'a mapping has the same key twice',
  E_YAML_ALIAS_LIMIT: 'too many alias expansions (an alias bomb), or an alias inside the value it names',
  E_YAML_DEPTH: 'values nested deeper than the limit',
  E_YAML_MULTI_DOCUMENT: 'more than one YAML document in a mission file',
  E_YAML_EMPTY: 'the file holds no mission',
  W_YAML: 'the YAML parser warned about something (such as an unknown tag)',
  E_REQUIRED: 'a required field is missing',
  E_TYPE: 'a value has the wrong type',
  E_UNKNOWN_KEY: 'a key the schema does not define',
  E_ENUM: 'a value outside its allowed set',
  E_PATTERN: 'a name or version with the wrong form',
  E_EMPTY: 'a list or mapping that must not be empty is empty',
  E_RANGE: 'a number outside its allowed range',
  E_SCHEMA: 'another Mission Schema v1.0 violation',
  E_COMPENSATION: 'a compensation outside the closed set of commands',
  E_RESERVED_KEY: 'the name __proto__ used as a key, id or name',
  E_DUPLICATE_ID: 'two steps, inputs or outputs share a name',
  E_FIELD_NOT_FOR_KIND: 'a field that means nothing for this step kind',
  E_UNKNOWN_OPERATION: 'an operation type no handler is registered for',
  E_UNKNOWN_MISSION: 'a `kind: mission` step names a mission that is not registered',
  E_MISSION_CYCLE: 'missions that include each other',
  E_MISSION_PARAMS: 'a `kind: mission` step passes a missing or unknown input',
  E_UNKNOWN_TYPE: 'an input or output type that is not known',
  E_TEMPLATE_SYNTAX: 'a `{{ }}` template that does not parse',
  E_TEMPLATE_UNSUPPORTED: 'a template feature that missions do not allow (helpers, blocks, partials, this, ../, @data)',
  E_UNKNOWN_REF: 'a reference to a name that is neither an input, a step nor a loop variable',
  E_UNKNOWN_STEP: 'a reference to a step id that does not exist',
  E_FORWARD_REF: 'a reference to the step itself or a later step',
  E_STEP_REF_SHAPE: 'a step reference without `.output` / `.outputs`, or the wrong one of the two',
  E_REF_SCOPE: 'a reference used where its name is not available',
  E_FOREACH_VALUE: 'a `for_each` value that is neither a list nor a template giving a list',
  E_LOOP_VAR_SHADOWS: 'a `for_each` variable that hides an input or `steps`',
  E_CONDITION_SYNTAX: 'a condition that does not parse',
  E_CONDITION_NOT_BOOLEAN: 'a condition that is not a comparison or boolean expression',
  E_CONDITION_OPERATOR: 'a JSON Logic operator that conditions do not allow',
  E_PARAM_UNKNOWN: 'a step param the operation does not take',
  E_PARAM_MISSING: 'a param the operation needs is missing',
  E_PARAM_TYPE: 'a literal param value of the wrong type',
  E_PARAM_VALUE: 'a literal param value outside its allowed set, or empty',
  E_UNKNOWN_TOOL: 'a `tool_invoke` step names a tool that is not registered',
  E_UNKNOWN_ACTION: 'a `tool_invoke` step names an action its tool does not have',
  E_UNKNOWN_ROLE: "an `llm_call` role with no prompt in the repository's config/agent_roles/",
  W_UNKNOWN_ROLE: 'an `llm_call` role that is not a built-in role (validated outside a repository)',
  E_UNKNOWN_SCHEMA: 'a packet schema name that is not registered',
  E_UNKNOWN_TRANSFORM: 'a `packet_route` transform that is not registered',
  E_UNKNOWN_CHECK: 'a `gate_check` named check that does not exist',
  E_UNKNOWN_FIELD: "a reference to a field a step's output does not have",
  W_OUTPUT_UNBOUND: 'a mission output with no `value`',
  E_INPUT_MISSING: 'a required input was not given',
  E_INPUT_UNKNOWN: 'an input was given that the mission does not declare',
  E_INPUT_TYPE: 'an input value does not have the declared type',
  E_FOREACH_NOT_LIST: 'a `for_each` value did not resolve to a list',
  E_PLAN_TOO_LARGE: 'the plan would pass its limit of operations',
  E_TEMPLATE_PATH: 'a template path that does not exist in a known value',
  E_FILE: 'a mission file could not be read',
  E_FILE_ENCODING: 'a mission file that is not valid UTF-8',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Where a diagnostic points: a JSON pointer, and optionally the key rather than the value. */
export interface Location {
  path: string;
  /** Point at the mapping key (unknown keys) instead of its value. */
  key?: boolean;
  /** Text inside a scalar to point at more precisely (a `{{ ref }}` in a long string). */
  needle?: string;
}

/** Maps a location to file:line:column; provided by the YAML loader, absent for objects. */
export type Locator = (location: Location) => { line: number; column: number } | undefined;

/** Build a diagnostic, attaching a position when a locator knows one. */
export function diagnostic(
  code: DiagnosticCode,
  location: Location,
  message: string,
  options: { hint?: string | undefined; locate?: Locator | undefined; file?: string | undefined } = {},
): Diagnostic {
  const severity = code.startsWith('W_') ? 'warning' : 'error';
  const where = describePointer(location.path);
  const result: Diagnostic = { severity, code, message: where ? `${where}: ${message}` : message, path: location.path };
  if (options.file !== undefined) result.file = options.file;
  const position = options.locate?.(location);
  if (position) {
    result.line = position.line;
    result.column = position.column;
  }
  if (options.hint !== undefined) result.hint = options.hint;
  return result;
}

/** Escape one JSON pointer segment (RFC 6901). */
function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(base: string, ...segments: Array<string | number>): string {
  return base + segments.map((segment) => `/${pointerSegment(segment)}`).join('');
}

/** `/steps/2/params/role` -> `steps[2].params.role`. */
function describePointer(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Sort errors before warnings, then by position, so output reads top to bottom. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.path.localeCompare(b.path),
  );
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const limit = Math.max(1, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `did you mean "x"?` or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const match = closestMatch(word, candidates);
  return match === undefined ? undefined : `did you mean "${match}"?`;
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}

/** `a`, `a or b`, `a, b or c` with each item quoted. */
export function listOf(items: readonly string[], conjunction = 'or'): string {
  const quoted = items.map((item) => `"${item}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted[quoted.length - 1]}`;
}
