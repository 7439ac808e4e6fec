/**
 * Checks beyond the schema: unique names, registry look-ups (operations, missions, cycles,
 * nested-mission inputs), type names, `{{ }}` references and their scope, conditions, fan-out
 * values. It runs even when the schema found problems, skipping values of the wrong shape (the
 * schema reported those), so a user sees every problem in one pass.
 */
import { compileCondition, type ConditionProblem } from './condition.ts';
import { diagnostic, didYouMean, joinPointer, listOf, type DiagnosticCode, type Locator } from './diagnostics.ts';
import { fieldProblem, outputShape, type OutputShape } from './output-fields.ts';
import { checkStepParams } from './param-checks.ts';
import type { Registry } from './registry.ts';
import { compileTemplate, isTemplated, templateRefs, type TemplateProblem, type TemplateRef } from './template.ts';
import type { ConditionSource, Diagnostic, MissionInput } from './types.ts';
import { TYPE_SPELLINGS, parseValueType, typeMismatch } from './value-type.ts';

export interface SemanticContext {
  registry: Registry;
  locate?: Locator | undefined;
  file?: string | undefined;
}

/** Where references are being read from; decides which names are in scope. */
interface Scope {
  inputs: ReadonlySet<string>;
  steps: ReadonlyMap<string, { index: number; fanOut: boolean; shape: OutputShape }>;
  /** Steps with a smaller index are readable; -1 for preconditions (no step has run). */
  before: number;
  /** Loop variables of the step being checked. */
  loopVars: ReadonlySet<string>;
  /** Every loop variable -> its step, for "only available inside" hints. */
  ownerOfLoopVar: ReadonlyMap<string, string>;
  where: 'precondition' | 'step' | 'output' | 'for_each';
}

type Emit = (code: DiagnosticCode, path: string, message: string, options?: { hint?: string | undefined; key?: boolean; needle?: string | undefined }) => void;

type Loose = Record<string, unknown>;

/** JavaScript gives this name a special meaning on every object. */
const RESERVED_NAME = '__proto__';

const isObject = (value: unknown): value is Loose => value !== null && typeof value === 'object' && !Array.isArray(value);
const objectsIn = (value: unknown): Array<[number, Loose]> =>
  Array.isArray(value) ? value.flatMap((item, index): Array<[number, Loose]> => (isObject(item) ? [[index, item]] : [])) : [];

/** Semantic diagnostics for a (possibly schema-invalid) mission value. */
export function checkSemantics(value: unknown, context: SemanticContext): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (!isObject(value)) return diagnostics;
  const emit: Emit = (code, path, message, options = {}) => {
    const location = { path, ...(options.key ? { key: true } : {}), ...(options.needle ? { needle: options.needle } : {}) };
    diagnostics.push(diagnostic(code, location, message, { hint: options.hint, locate: context.locate, file: context.file }));
  };

  checkJsonValues(value, '', emit);
  const inputs = objectsIn(value.inputs);
  const outputs = objectsIn(value.outputs);
  const steps = objectsIn(value.steps);
  checkUnique(inputs, '/inputs', 'name', 'input', emit);
  checkUnique(outputs, '/outputs', 'name', 'output', emit);
  checkUnique(steps, '/steps', 'id', 'step', emit);
  checkTypes(inputs, '/inputs', emit);
  checkTypes(outputs, '/outputs', emit);

  const inputNames = new Set(inputs.map(([, input]) => input.name).filter((name): name is string => typeof name === 'string'));
  const stepIndex = new Map<string, { index: number; fanOut: boolean; shape: OutputShape }>();
  const ownerOfLoopVar = new Map<string, string>();
  for (const [index, step] of steps) {
    if (typeof step.id !== 'string' || stepIndex.has(step.id)) continue;
    stepIndex.set(step.id, { index, fanOut: isObject(step.for_each), shape: outputShape(step, context.registry) });
    for (const name of Object.keys(isObject(step.for_each) ? step.for_each : {})) ownerOfLoopVar.set(name, step.id);
  }
  const scope = (where: Scope['where'], before: number, loopVars: ReadonlySet<string> = new Set()): Scope => ({
    inputs: inputNames,
    steps: stepIndex,
    before,
    loopVars,
    ownerOfLoopVar,
    where,
  });

  if (Array.isArray(value.preconditions)) {
    value.preconditions.forEach((condition, index) => {
      if (typeof condition === 'string' || isObject(condition)) {
        checkCondition(condition as ConditionSource, joinPointer('/preconditions', index), scope('precondition', -1), emit);
      }
    });
  }
  for (const [index, step] of steps) checkStep(step, index, value, context.registry, scope, emit);
  for (const [index, output] of outputs) {
    const pointer = joinPointer('/outputs', index);
    if (!Object.hasOwn(output, 'value')) {
      emit('W_OUTPUT_UNBOUND', pointer, `output "${String(output.name)}" has no value, so it will be null`, {
        hint: 'add `value: "{{steps.<id>.output.<field>}}"`',
      });
    } else {
      checkValueTree(output.value, joinPointer(pointer, 'value'), scope('output', Infinity), emit);
    }
  }
  return diagnostics;
}

/**
 * Values a mission must not hold anywhere: numbers JSON cannot write (NaN, Infinity, from YAML's
 * `.nan` and `.inf`), and the key `__proto__`, which plain JavaScript objects cannot hold as
 * data (assigning it sets the prototype instead).
 */
function checkJsonValues(value: unknown, pointer: string, emit: Emit): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) emit('E_TYPE', pointer, 'must be a finite number (.inf and .nan have no JSON form)');
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkJsonValues(item, joinPointer(pointer, index), emit));
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      const child = joinPointer(pointer, key);
      if (key === RESERVED_NAME) emit('E_RESERVED_KEY', child, `"${RESERVED_NAME}" cannot be used as a key`, { key: true, hint: 'rename the key' });
      checkJsonValues(value[key], child, emit);
    }
  }
}

function checkUnique(items: Array<[number, Loose]>, base: string, field: string, what: string, emit: Emit): void {
  const first = new Map<string, number>();
  for (const [index, item] of items) {
    const name = item[field];
    if (typeof name !== 'string') continue;
    if (name === RESERVED_NAME) emit('E_RESERVED_KEY', joinPointer(base, index, field), `"${RESERVED_NAME}" cannot be used as a ${what} ${field}`, { hint: 'rename it' });
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else emit('E_DUPLICATE_ID', joinPointer(base, index, field), `${what} ${field} "${name}" is already used by ${base.slice(1)}[${earlier}]`, { hint: `rename one of the two ${what}s` });
  }
}

function checkTypes(items: Array<[number, Loose]>, base: string, emit: Emit): void {
  for (const [index, item] of items) {
    if (typeof item.type !== 'string') continue;
    const type = parseValueType(item.type);
    const pointer = joinPointer(base, index, 'type');
    if (!type) {
      emit('E_UNKNOWN_TYPE', pointer, `unknown type "${item.type}"`, {
        hint: didYouMean(item.type, TYPE_SPELLINGS) ?? 'use str, int, float, bool, dict, list, list[T], any, or an UPPER_CASE packet name',
      });
    } else if (Object.hasOwn(item, 'default')) {
      const problem = typeMismatch(type, item.default);
      if (problem) emit('E_INPUT_TYPE', joinPointer(base, index, 'default'), `default does not match type ${item.type}: ${problem}`);
    }
  }
}

const FIELDS_NOT_FOR_KIND: Readonly<Record<string, readonly string[]>> = {
  runtime: ['mission'],
  mission: ['operation', 'compensation'],
  human: ['operation', 'mission', 'compensation', 'for_each'],
};

function checkStep(step: Loose, index: number, mission: Loose, registry: Registry, scope: (where: Scope['where'], before: number, loopVars?: ReadonlySet<string>) => Scope, emit: Emit): void {
  const pointer = joinPointer('/steps', index);
  const kind = typeof step.kind === 'string' ? step.kind : undefined;
  for (const field of FIELDS_NOT_FOR_KIND[kind ?? ''] ?? []) {
    if (Object.hasOwn(step, field)) {
      emit('E_FIELD_NOT_FOR_KIND', joinPointer(pointer, field), `"${field}" has no meaning for a \`kind: ${kind}\` step`, {
        key: true,
        hint: field === 'compensation' ? 'the steps of the nested mission carry their own compensation' : `remove it, or change the step's kind`,
      });
    }
  }
  const loopVars = checkForEach(step, pointer, scope('for_each', index), emit);
  let conditionParams: readonly string[] = [];
  if (kind === 'runtime' && typeof step.operation === 'string') {
    const definition = registry.operations.get(step.operation);
    if (!definition) {
      emit('E_UNKNOWN_OPERATION', joinPointer(pointer, 'operation'), `unknown operation "${step.operation}"`, {
        hint: didYouMean(step.operation, registry.operations.keys()) ?? `known operations: ${[...registry.operations.keys()].join(', ')}`,
      });
    } else {
      conditionParams = definition.conditionParams ?? [];
      if (isObject(step.params)) checkStepParams({ operation: step.operation, params: step.params, pointer, loopValues: literalLoopValues(step) }, definition, registry.vocabulary, emit);
      if (step.compensation === 'custom' && !definition.customCompensation) {
        emit('E_COMPENSATION', joinPointer(pointer, 'compensation'), `operation "${step.operation}" has no custom compensation`, {
          hint: 'name one of the git / fs compensations, or register a handler that declares customCompensation',
        });
      }
    }
  }
  if (kind === 'mission' && typeof step.mission === 'string') checkMissionTarget(step, pointer, mission, registry, emit);
  if (isObject(step.params)) {
    const stepScope = scope('step', index, loopVars);
    for (const [name, value] of Object.entries(step.params)) {
      const paramPointer = joinPointer(pointer, 'params', name);
      if (conditionParams.includes(name) && (typeof value === 'string' || isObject(value))) {
        checkCondition(value as ConditionSource, paramPointer, stepScope, emit);
      } else {
        checkValueTree(value, paramPointer, stepScope, emit);
      }
    }
  }
}

/** The loop variables whose values are a literal list. */
function literalLoopValues(step: Loose): Map<string, readonly unknown[]> {
  return new Map(Object.entries(isObject(step.for_each) ? step.for_each : {}).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1])));
}

function checkForEach(step: Loose, pointer: string, scope: Scope, emit: Emit): Set<string> {
  const loopVars = new Set<string>();
  if (!isObject(step.for_each)) return loopVars;
  for (const [name, value] of Object.entries(step.for_each)) {
    const varPointer = joinPointer(pointer, 'for_each', name);
    loopVars.add(name);
    if (name === 'steps' || scope.inputs.has(name)) {
      emit('E_LOOP_VAR_SHADOWS', varPointer, `loop variable "${name}" hides ${name === 'steps' ? 'step references' : `the input "${name}"`}`, {
        key: true,
        hint: 'rename the loop variable',
      });
    }
    if (typeof value === 'string') {
      const { template, problems } = compileTemplate(value);
      if (problems.length === 0 && template.kind !== 'whole') {
        emit('E_FOREACH_VALUE', varPointer, `for_each "${name}" must be a list or one {{input}} reference giving a list`, {
          hint: 'write a YAML list, or "{{my_list_input}}"',
        });
        continue;
      }
    }
    checkValueTree(value, varPointer, scope, emit);
  }
  return loopVars;
}

function checkMissionTarget(step: Loose, pointer: string, mission: Loose, registry: Registry, emit: Emit): void {
  const target = step.mission as string;
  const targetPointer = joinPointer(pointer, 'mission');
  const self = typeof mission.mission === 'string' ? mission.mission : undefined;
  const entry = target === self ? undefined : registry.missions.get(target);
  if (target === self) {
    emit('E_MISSION_CYCLE', targetPointer, `mission "${target}" runs itself`, { hint: 'a mission cannot include itself' });
    return;
  }
  if (!entry) {
    emit('E_UNKNOWN_MISSION', targetPointer, `unknown mission "${target}"`, {
      hint: didYouMean(target, registry.missions.keys()) ?? `registered missions: ${[...registry.missions.keys()].join(', ') || 'none'}`,
    });
    return;
  }
  const cycle = self === undefined ? undefined : findCycle(self, target, registry);
  if (cycle) {
    emit('E_MISSION_CYCLE', targetPointer, `missions include each other: ${cycle.join(' -> ')}`, { hint: 'break the cycle; a mission cannot (indirectly) run itself' });
  }
  const declared = entry.mission.inputs;
  const given = isObject(step.params) ? step.params : {};
  for (const name of Object.keys(given)) {
    if (!declared.some((input) => input.name === name)) {
      emit('E_MISSION_PARAMS', joinPointer(pointer, 'params', name), `mission "${target}" has no input "${name}"`, {
        key: true,
        hint: didYouMean(name, declared.map((input) => input.name)) ?? `its inputs: ${listOf(declared.map((input) => input.name), 'and')}`,
      });
    }
  }
  for (const input of declared) {
    if (isRequired(input) && !Object.hasOwn(given, input.name)) {
      emit('E_MISSION_PARAMS', pointer, `mission "${target}" needs input "${input.name}" (${input.type})`, {
        hint: `add it under params: \`${input.name}: ...\``,
      });
    }
  }
}

/** Whether an input must be given (declared required, which is the default, and no default). */
export function isRequired(input: MissionInput): boolean {
  return input.required !== false && !Object.hasOwn(input, 'default');
}

/** A chain from `self` through `target` back to a mission already on the chain, if any. */
function findCycle(self: string, target: string, registry: Registry): string[] | undefined {
  const visited = new Set<string>();
  const walk = (name: string, chain: string[]): string[] | undefined => {
    if (chain.includes(name)) return [...chain.slice(chain.indexOf(name)), name];
    if (visited.has(name)) return undefined;
    visited.add(name);
    const entry = registry.missions.get(name);
    for (const step of entry?.mission.steps ?? []) {
      if (step.kind !== 'mission' || !step.mission) continue;
      const found = walk(step.mission, [...chain, name]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(target, [self]);
}

function checkCondition(source: ConditionSource, pointer: string, scope: Scope, emit: Emit): void {
  const { condition, problems, refs } = compileCondition(source);
  reportProblems(problems, pointer, emit);
  for (const ref of condition?.refs ?? refs ?? []) checkRef(ref, pointer, scope, emit);
}

/** Check every template string inside a value (params, output values). */
function checkValueTree(value: unknown, pointer: string, scope: Scope, emit: Emit): void {
  if (typeof value === 'string') {
    if (!isTemplated(value)) return;
    const { template, problems } = compileTemplate(value);
    reportProblems(problems, pointer, emit);
    for (const ref of templateRefs(template)) checkRef(ref, pointer, scope, emit);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkValueTree(item, joinPointer(pointer, index), scope, emit));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) checkValueTree(item, joinPointer(pointer, key), scope, emit);
  }
}

function reportProblems(problems: Array<TemplateProblem | ConditionProblem>, pointer: string, emit: Emit): void {
  for (const problem of problems) emit(problem.code, pointer, problem.message, { hint: problem.hint, needle: problem.needle });
}

/** The scope rules for one reference; see docs/mission-format.md "References". */
function checkRef(ref: TemplateRef, pointer: string, scope: Scope, emit: Emit): void {
  const [root = '', stepId, field] = ref.path;
  const report = (code: DiagnosticCode, message: string, hint?: string) => emit(code, pointer, message, { hint, needle: ref.text });
  if (scope.loopVars.has(root) || scope.inputs.has(root)) return;
  if (root !== 'steps') {
    const owner = scope.ownerOfLoopVar.get(root);
    if (owner !== undefined) {
      report('E_REF_SCOPE', `{{${ref.text}}}: loop variable "${root}" belongs to step "${owner}"`, `it is only available inside step "${owner}"; read steps.${owner}.outputs instead`);
      return;
    }
    const candidates = [...scope.inputs, ...scope.loopVars, 'steps'];
    report('E_UNKNOWN_REF', `{{${ref.text}}}: unknown name "${root}"`, didYouMean(root, candidates) ?? `declare "${root}" under inputs, or use ${listOf(candidates)}`);
    return;
  }
  if (scope.where === 'precondition') {
    report('E_REF_SCOPE', `{{${ref.text}}}: preconditions are checked before any step runs`, 'a precondition can only read inputs');
    return;
  }
  if (scope.where === 'for_each') {
    report('E_FOREACH_VALUE', `{{${ref.text}}}: for_each cannot read step outputs`, 'fan-out is expanded before the mission starts; pass the list as an input');
    return;
  }
  if (stepId === undefined) {
    report('E_STEP_REF_SHAPE', `{{${ref.text}}}: name a step, as steps.<id>.output`);
    return;
  }
  const target = scope.steps.get(stepId);
  if (!target) {
    report('E_UNKNOWN_STEP', `{{${ref.text}}}: no step has id "${stepId}"`, didYouMean(stepId, scope.steps.keys()) ?? `step ids: ${[...scope.steps.keys()].join(', ')}`);
    return;
  }
  if (target.index >= scope.before) {
    const self = target.index === scope.before;
    report('E_FORWARD_REF', `{{${ref.text}}}: ${self ? 'a step cannot read its own output' : `step "${stepId}" runs after this one`}`, 'a step can only read the outputs of steps before it');
    return;
  }
  const expected = target.fanOut ? 'outputs' : 'output';
  if (field !== expected) {
    const hint = target.fanOut
      ? `step "${stepId}" fans out: steps.${stepId}.outputs is the list of its results`
      : field === 'outputs'
        ? `step "${stepId}" does not fan out: use steps.${stepId}.output`
        : `write steps.${stepId}.output (or steps.${stepId}.output.<field>)`;
    report('E_STEP_REF_SHAPE', `{{${ref.text}}}: expected steps.${stepId}.${expected}`, hint);
    return;
  }
  const problem = target.fanOut ? undefined : fieldProblem(stepId, ref.path.slice(3), target.shape);
  if (problem) report('E_UNKNOWN_FIELD', `{{${ref.text}}}: ${problem.message}`, problem.hint);
}
