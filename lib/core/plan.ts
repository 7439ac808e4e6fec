/**
 * Mission + inputs -> ExecutionPlan: a deterministic, JSON-serialisable tree that the runner
 * walks. Planning returns data and acts on nothing (CONVENTIONS habit 1).
 *
 * - `for_each` is expanded (several variables: cartesian product, first variable outermost),
 *   each instance with a stable id such as `review_design/run_seats[risk]`.
 * - `kind: mission` steps are inlined with their own ids, prefixed by the parent step id.
 * - Inputs are substituted where known; whole-value templates keep lists and objects.
 * - What can only be known at run time stays typed:
 *     {"$ref": "<node id>", "path": [...]}   the result of a plan node, then a path into it
 *     {"$template": [part, ...]}              a string to build from text and values
 *     {"$condition": {source, logic, vars}}   JSON Logic whose {"var": "<i>"} reads vars[i]
 *   A user mapping key that starts with "$" is written with "$$" so data can never be taken
 *   for one of these forms (see `unescapePlanKey`).
 */
import { hashCanonical, type Sha256 } from './canonical.ts';
import { COMPENSATION_COMMANDS, commandForType, type CompensationType } from './compensation.ts';
import { compileCondition } from './condition.ts';
import { diagnostic, didYouMean, joinPointer, type DiagnosticCode } from './diagnostics.ts';
import { MissionValidationError } from './errors.ts';
import { analyseMission, missionSource } from './load.ts';
import { describeOperation, type Registry } from './registry.ts';
import { isRequired } from './semantics.ts';
import { compileTemplate, stringifyForTemplate, type Template, type TemplateRef } from './template.ts';
import { DEFAULT_TIMEOUT_SECONDS, type ConditionSource, type Diagnostic, type Envelope, type JsonLogic, type Mission, type Step } from './types.ts';
import { parseValueType, typeMismatch } from './value-type.ts';

export interface PlanRef {
  $ref: string;
  path: string[];
}
export interface PlanTemplate {
  $template: PlanValue[];
}
export interface PlanCondition {
  $condition: { source: ConditionSource; logic: JsonLogic | boolean; vars: PlanValue[] };
}
export type PlanValue = null | boolean | number | string | PlanValue[] | { [key: string]: PlanValue } | PlanRef | PlanTemplate | PlanCondition;

export interface PlanSource {
  file?: string;
  line: number;
  column: number;
}

interface PlanNodeBase {
  /** Unique, stable id: `design/gather_context`, `review_design/run_seats[risk]`. */
  id: string;
  /** The step's id in its mission's YAML. */
  step_id: string;
  /** The mission whose YAML defines this step. */
  defined_in: string;
  description?: string;
  source?: PlanSource;
  /** Loop variable values of a fan-out instance. */
  bindings?: Record<string, PlanValue>;
}

export interface PlanOperationNode extends PlanNodeBase {
  type: 'operation';
  operation: string;
  params: Record<string, PlanValue>;
  writes: boolean;
  compensation: { type: CompensationType; command: string };
  idempotent: boolean;
  timeout_seconds: number | null;
  envelope: Envelope | null;
}

export interface PlanHumanNode extends PlanNodeBase {
  type: 'human';
  params: Record<string, PlanValue>;
  timeout_seconds: number | null;
}

export interface PlanMissionNode extends PlanNodeBase {
  type: 'mission';
  mission: string;
  mission_version: string;
  inputs: Record<string, PlanValue>;
  preconditions: PlanCondition[];
  steps: PlanNode[];
  /** The nested mission's outputs: this node's result. */
  outputs: Record<string, PlanValue>;
  envelope: Envelope | null;
}

export interface PlanFanOutNode extends PlanNodeBase {
  type: 'fan_out';
  variables: string[];
  /** One node per combination; the fan-out's result is the list of their results. */
  instances: PlanNode[];
}

export type PlanNode = PlanOperationNode | PlanHumanNode | PlanMissionNode | PlanFanOutNode;

export interface ExecutionPlan {
  plan_version: '1.0';
  mission: string;
  mission_version: string;
  mission_hash: Sha256;
  inputs: Record<string, unknown>;
  inputs_hash: Sha256;
  timeout_seconds: number;
  envelope: Envelope | null;
  preconditions: PlanCondition[];
  steps: PlanNode[];
  outputs: Record<string, PlanValue>;
  counts: { operations: number; writing: number; human: number; nested_missions: number; fan_out_instances: number };
}

export interface PlanOptions {
  inputs?: Record<string, unknown>;
  registry: Registry;
}

/** Where references resolve while planning one mission instance. */
interface Scope {
  mission: Mission;
  prefix: string;
  inputs: Record<string, PlanValue>;
  loopVars: Record<string, PlanValue>;
  /** Local step id -> plan node id, filled as steps are planned. */
  stepNodes: Map<string, string>;
  /** Mission names from the top down to this one, for messages. */
  trail: string[];
}

class PlanProblem extends Error {
  constructor(readonly code: DiagnosticCode, message: string, readonly hint?: string) {
    super(message);
  }
}

/** Build the execution plan; throws MissionValidationError listing every problem. */
export function planMission(mission: Mission, options: PlanOptions): ExecutionPlan {
  const analysed = analyseMission(mission, { registry: options.registry, filename: missionSource(mission)?.file });
  if (!analysed.ok) throw new MissionValidationError(analysed.diagnostics, `mission "${String(mission?.mission)}"`);

  const given = options.inputs ?? {};
  const inputProblems = checkInputs(mission, given);
  if (inputProblems.length > 0) throw new MissionValidationError(inputProblems, `inputs of mission "${mission.mission}"`);
  const inputs = withDefaults(mission, given);

  const planner = new Planner(options.registry);
  const scope: Scope = {
    mission,
    prefix: '',
    inputs: escapeLiteral(inputs) as Record<string, PlanValue>,
    loopVars: {},
    stepNodes: new Map(),
    trail: [mission.mission],
  };
  const preconditions = (mission.preconditions ?? []).map((condition, index) =>
    planner.guard(scope, joinPointer('/preconditions', index), () => planner.condition(condition, scope)),
  );
  const steps = planner.steps(scope);
  const outputs = planner.outputs(scope);
  if (planner.problems.length > 0) throw new MissionValidationError(planner.problems, `plan of mission "${mission.mission}"`);
  return {
    plan_version: '1.0',
    mission: mission.mission,
    mission_version: mission.version,
    mission_hash: hashCanonical(mission),
    inputs,
    inputs_hash: hashCanonical(inputs),
    timeout_seconds: mission.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS,
    envelope: mission.envelope ?? null,
    preconditions: preconditions.filter((condition): condition is PlanCondition => condition !== undefined),
    steps,
    outputs,
    counts: planner.counts,
  };
}

/** Problems with the inputs given for a mission: unknown, missing, wrong type. */
export function checkInputs(mission: Mission, given: Record<string, unknown>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const declared = new Map(mission.inputs.map((input) => [input.name, input]));
  for (const [name, value] of Object.entries(given)) {
    const input = declared.get(name);
    if (!input) {
      problems.push(
        diagnostic('E_INPUT_UNKNOWN', { path: '' }, `input "${name}" is not declared by mission "${mission.mission}"`, {
          hint: didYouMean(name, declared.keys()) ?? `declared inputs: ${[...declared.keys()].join(', ') || 'none'}`,
        }),
      );
      continue;
    }
    const type = parseValueType(input.type);
    const problem = type && typeMismatch(type, value);
    if (problem) problems.push(diagnostic('E_INPUT_TYPE', { path: '' }, `input "${name}" (${input.type}): ${problem}`));
  }
  for (const input of mission.inputs) {
    if (isRequired(input) && !Object.hasOwn(given, input.name)) {
      problems.push(
        diagnostic('E_INPUT_MISSING', { path: '' }, `mission "${mission.mission}" needs input "${input.name}" (${input.type})`, {
          hint: `pass it, e.g. --input ${input.name}=...`,
        }),
      );
    }
  }
  return problems;
}

function withDefaults(mission: Mission, given: Record<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const input of mission.inputs) {
    if (Object.hasOwn(given, input.name)) inputs[input.name] = given[input.name];
    else if (Object.hasOwn(input, 'default')) inputs[input.name] = input.default;
  }
  return inputs;
}

class Planner {
  readonly problems: Diagnostic[] = [];
  readonly counts = { operations: 0, writing: 0, human: 0, nested_missions: 0, fan_out_instances: 0 };
  // A fan-out plans the same step thousands of times: compile and locate each step once.
  private readonly templates = new Map<string, Template>();
  private readonly sources = new Map<Mission, Map<number, PlanSource | undefined>>();

  constructor(private readonly registry: Registry) {}

  /** Run `build`, turning a PlanProblem into a diagnostic at `pointer` of the scope's mission. */
  guard<T>(scope: Scope, pointer: string, build: () => T): T | undefined {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof PlanProblem)) throw error;
      const source = missionSource(scope.mission);
      const where = scope.trail.length > 1 ? ` (in mission ${scope.trail.join(' > ')})` : '';
      this.problems.push(
        diagnostic(error.code, { path: pointer }, `${error.message}${where}`, { hint: error.hint, locate: source?.locate, file: source?.file }),
      );
      return undefined;
    }
  }

  steps(scope: Scope): PlanNode[] {
    const nodes: PlanNode[] = [];
    scope.mission.steps.forEach((step, index) => {
      const pointer = joinPointer('/steps', index);
      const node = this.guard(scope, pointer, () => (step.for_each ? this.fanOut(step, index, scope) : this.step(step, index, scope, scope.prefix + step.id)));
      if (node) nodes.push(node);
      // Register even on failure, so later steps report their own problems, not this one's.
      scope.stepNodes.set(step.id, scope.prefix + step.id);
    });
    return nodes;
  }

  outputs(scope: Scope): Record<string, PlanValue> {
    const outputs: Record<string, PlanValue> = {};
    scope.mission.outputs.forEach((output, index) => {
      const value = output.value === undefined ? null : this.guard(scope, joinPointer('/outputs', index, 'value'), () => this.value(output.value, scope));
      outputs[output.name] = value ?? null;
    });
    return outputs;
  }

  private fanOut(step: Step, index: number, scope: Scope): PlanFanOutNode {
    const variables = Object.keys(step.for_each ?? {});
    const lists = variables.map((name) => this.loopList(step, name, scope));
    const combinations = cartesian(lists);
    const labels = instanceLabels(combinations);
    const id = scope.prefix + step.id;
    const instances = combinations.map((values, n) => {
      const bindings = Object.fromEntries(variables.map((name, v) => [name, values[v] as PlanValue]));
      const instanceScope = { ...scope, loopVars: bindings };
      const node = this.step(step, index, instanceScope, `${id}[${labels[n]}]`);
      node.bindings = bindings;
      return node;
    });
    this.counts.fan_out_instances += instances.length;
    return { ...this.base(step, index, scope, id), type: 'fan_out', variables, instances };
  }

  private loopList(step: Step, name: string, scope: Scope): PlanValue[] {
    const raw = step.for_each?.[name];
    const list = this.value(raw, scope);
    if (!Array.isArray(list) || !isConcrete(list)) {
      throw new PlanProblem(
        'E_FOREACH_NOT_LIST',
        `for_each "${name}" of step "${step.id}" must be a list known before the mission starts, got ${describe(list)}`,
        'pass a list input, or write the list in the YAML',
      );
    }
    return list;
  }

  private step(step: Step, index: number, scope: Scope, id: string): PlanNode {
    if (step.kind === 'mission') return this.nestedMission(step, index, scope, id);
    const params = this.params(step, scope);
    const node = this.base(step, index, scope, id);
    if (step.kind === 'human') {
      this.counts.human++;
      return Object.assign(node, { type: 'human' as const, params, timeout_seconds: step.timeout_seconds ?? null });
    }
    const operation = step.operation as string;
    const definition = this.registry.operations.get(operation);
    if (!definition) throw new PlanProblem('E_UNKNOWN_OPERATION', `unknown operation "${operation}"`);
    const described = describeOperation(definition, params);
    const type = step.compensation ? COMPENSATION_COMMANDS[step.compensation] : described.compensation;
    this.counts.operations++;
    if (described.writes) this.counts.writing++;
    return Object.assign(node, {
      type: 'operation' as const,
      operation,
      params,
      writes: described.writes,
      compensation: { type, command: step.compensation ?? commandForType(type) },
      idempotent: definition.idempotent,
      timeout_seconds: step.timeout_seconds ?? null,
      envelope: step.envelope ?? null,
    });
  }

  private nestedMission(step: Step, index: number, scope: Scope, id: string): PlanMissionNode {
    const target = this.registry.missions.get(step.mission as string)?.mission;
    if (!target) throw new PlanProblem('E_UNKNOWN_MISSION', `unknown mission "${String(step.mission)}"`);
    const inputs = this.params(step, scope);
    for (const input of target.inputs) {
      if (!Object.hasOwn(inputs, input.name) && Object.hasOwn(input, 'default')) inputs[input.name] = escapeLiteral(input.default);
      const value = inputs[input.name];
      const type = parseValueType(input.type);
      const problem = value !== undefined && isConcrete(value) && type ? typeMismatch(type, unescapeValue(value)) : undefined;
      if (problem) throw new PlanProblem('E_INPUT_TYPE', `input "${input.name}" of mission "${target.mission}" (${input.type}): ${problem}`);
    }
    const inner: Scope = { mission: target, prefix: `${id}/`, inputs, loopVars: {}, stepNodes: new Map(), trail: [...scope.trail, target.mission] };
    const preconditions = (target.preconditions ?? []).map((condition, n) =>
      this.guard(inner, joinPointer('/preconditions', n), () => this.condition(condition, inner)),
    );
    const steps = this.steps(inner);
    const outputs = this.outputs(inner);
    this.counts.nested_missions++;
    return {
      ...this.base(step, index, scope, id),
      type: 'mission',
      mission: target.mission,
      mission_version: target.version,
      inputs,
      preconditions: preconditions.filter((condition): condition is PlanCondition => condition !== undefined),
      steps,
      outputs,
      envelope: target.envelope ?? null,
    };
  }

  private base(step: Step, index: number, scope: Scope, id: string): PlanNodeBase {
    const base: PlanNodeBase = { id, step_id: step.id, defined_in: scope.mission.mission };
    if (step.description !== undefined) base.description = step.description;
    // Instances of one step share its (read-only) source object.
    const source = this.stepSource(scope.mission, index);
    if (source) base.source = source;
    return base;
  }

  private stepSource(mission: Mission, index: number): PlanSource | undefined {
    let byIndex = this.sources.get(mission);
    if (!byIndex) this.sources.set(mission, (byIndex = new Map()));
    if (!byIndex.has(index)) {
      const source = missionSource(mission);
      const position = source?.locate({ path: joinPointer('/steps', index) });
      byIndex.set(index, position && (source?.file === undefined ? position : { file: source.file, ...position }));
    }
    return byIndex.get(index);
  }

  private template(text: string): Template {
    let template = this.templates.get(text);
    if (!template) this.templates.set(text, (template = compileTemplate(text).template));
    return template;
  }

  private params(step: Step, scope: Scope): Record<string, PlanValue> {
    const conditionParams = step.kind === 'runtime' ? (this.registry.operations.get(step.operation ?? '')?.conditionParams ?? []) : [];
    const params: Record<string, PlanValue> = {};
    for (const [name, value] of Object.entries(step.params ?? {})) {
      const isCondition = conditionParams.includes(name) && (typeof value === 'string' || isMapping(value));
      params[escapeKey(name)] = isCondition ? this.condition(value as ConditionSource, scope) : this.value(value, scope);
    }
    return params;
  }

  condition(source: ConditionSource, scope: Scope): PlanCondition {
    const { condition } = compileCondition(source);
    if (!condition) throw new PlanProblem('E_CONDITION_SYNTAX', 'condition does not compile'); // validation reported why
    const slots = new Map<string, number>();
    const vars: PlanValue[] = [];
    for (const ref of condition.refs) {
      if (slots.has(ref.text)) continue;
      slots.set(ref.text, vars.length);
      vars.push(this.resolve(ref, scope));
    }
    return { $condition: { source, logic: renameVars(condition.logic, slots) as JsonLogic | boolean, vars } };
  }

  /** A YAML value with its templates resolved as far as planning can. */
  value(value: unknown, scope: Scope): PlanValue {
    if (typeof value === 'string') {
      const template = this.template(value);
      if (template.kind === 'text') return template.value;
      if (template.kind === 'whole') return this.resolve(template.ref, scope);
      const parts: PlanValue[] = [];
      let concrete = true;
      for (const part of template.parts) {
        const resolved = typeof part === 'string' ? part : this.resolve(part, scope);
        concrete &&= isConcrete(resolved);
        parts.push(resolved);
      }
      if (!concrete) return { $template: joinText(parts) };
      let text = '';
      for (const part of parts) text += typeof part === 'string' ? part : stringifyForTemplate(unescapeValue(part));
      return text;
    }
    if (Array.isArray(value)) return value.map((item) => this.value(item, scope));
    if (isMapping(value)) {
      const mapping: Record<string, PlanValue> = {};
      for (const key in value) if (Object.hasOwn(value, key)) mapping[escapeKey(key)] = this.value(value[key], scope);
      return mapping;
    }
    return value as PlanValue;
  }

  private resolve(ref: TemplateRef, scope: Scope): PlanValue {
    const path = ref.path;
    const root = path[0] as string;
    if (Object.hasOwn(scope.loopVars, root)) return select(scope.loopVars[root] as PlanValue, ref, 1);
    if (root !== 'steps') {
      if (!Object.hasOwn(scope.inputs, root)) return null; // an optional input that was not given
      return select(scope.inputs[root] as PlanValue, ref, 1);
    }
    const stepId = path[1] as string;
    const node = scope.stepNodes.get(stepId);
    if (node === undefined) throw new PlanProblem('E_FORWARD_REF', `{{${ref.text}}} reads step "${stepId}" before it runs`);
    return { $ref: node, path: path.slice(3) }; // steps.<id>.output(s).<path...>
  }
}

/**
 * Follow `ref.path` from index `from` into a plan value: into literals now, or by extending a
 * run-time reference. Only own fields are followed.
 */
function select(value: PlanValue, ref: TemplateRef, from: number): PlanValue {
  const path = ref.path;
  let current = value;
  for (let i = from; i < path.length; i++) {
    const key = path[i] as string;
    if (isRef(current)) return { $ref: current.$ref, path: [...current.path, ...path.slice(i)] };
    if (Array.isArray(current) && /^\d+$/.test(key) && Number(key) < current.length) current = current[Number(key)] as PlanValue;
    else if (isMapping(current) && !isSpecial(current) && Object.hasOwn(current, escapeKey(key))) current = current[escapeKey(key)] as PlanValue;
    else {
      const where = path.slice(0, i).join('.');
      throw new PlanProblem('E_TEMPLATE_PATH', `{{${ref.text}}}: ${where} has no field "${key}"`, `${where} is ${describe(current)}`);
    }
  }
  return current;
}

function renameVars(logic: unknown, slots: ReadonlyMap<string, number>): unknown {
  if (Array.isArray(logic)) return logic.map((item) => renameVars(item, slots));
  if (!isMapping(logic)) return logic;
  const [[operator, args] = ['', undefined]] = Object.entries(logic);
  if (operator === 'var') {
    const name = Array.isArray(args) ? args[0] : args;
    const slot = String(slots.get(String(name)));
    return { var: Array.isArray(args) ? [slot, ...args.slice(1)] : slot };
  }
  return { [operator]: renameVars(args, slots) };
}

function cartesian(lists: PlanValue[][]): PlanValue[][] {
  return lists.reduce<PlanValue[][]>((combos, list) => combos.flatMap((combo) => list.map((item) => [...combo, item])), [[]]);
}

const SAFE_LABEL = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Readable instance labels (`risk`, `risk,fast`), or indices when values are not simple or not unique. */
function instanceLabels(combinations: PlanValue[][]): string[] {
  const readable = combinations.map((values) =>
    values.every((value) => (typeof value === 'string' && SAFE_LABEL.test(value)) || typeof value === 'number' || typeof value === 'boolean')
      ? values.map(String).join(',')
      : undefined,
  );
  const unique = new Set(readable).size === readable.length && readable.every((label) => label !== undefined);
  return unique ? (readable as string[]) : combinations.map((_, index) => String(index));
}

function joinText(parts: PlanValue[]): PlanValue[] {
  const joined: PlanValue[] = [];
  for (const part of parts) {
    const last = joined[joined.length - 1];
    if (typeof part === 'string' && typeof last === 'string') joined[joined.length - 1] = last + part;
    else joined.push(isConcrete(part) && typeof part !== 'string' ? stringifyForTemplate(unescapeValue(part)) : part);
  }
  return joined;
}

function isMapping(value: unknown): value is Record<string, PlanValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isRef(value: PlanValue): value is PlanRef {
  return isMapping(value) && Object.hasOwn(value, '$ref');
}

function isSpecial(value: Record<string, PlanValue>): boolean {
  return Object.hasOwn(value, '$ref') || Object.hasOwn(value, '$template') || Object.hasOwn(value, '$condition');
}

/** Every node of a plan, depth first in run order: nested missions' steps and fan-out instances included. */
export function* planNodes(nodes: readonly PlanNode[]): Generator<PlanNode> {
  for (const node of nodes) {
    yield node;
    if (node.type === 'fan_out') yield* planNodes(node.instances);
    else if (node.type === 'mission') yield* planNodes(node.steps);
  }
}

/** True when a plan value holds no run-time reference. */
export function isConcrete(value: PlanValue): boolean {
  if (Array.isArray(value)) return value.every(isConcrete);
  if (isMapping(value)) return !isSpecial(value) && Object.values(value).every(isConcrete);
  return true;
}

function escapeKey(key: string): string {
  return key.startsWith('$') ? `$${key}` : key;
}

/** `$$name` -> `$name`: the inverse of the key escaping planning applies to user data. */
export function unescapePlanKey(key: string): string {
  return key.startsWith('$$') ? key.slice(1) : key;
}

/** A user value as a plan value: mapping keys starting with "$" escaped. */
function escapeLiteral(value: unknown): PlanValue {
  if (Array.isArray(value)) return value.map(escapeLiteral);
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeKey(key), escapeLiteral(item)]));
  return value as PlanValue;
}

/** A concrete plan value back as user data (keys unescaped). */
export function unescapeValue(value: PlanValue): unknown {
  if (Array.isArray(value)) return value.map(unescapeValue);
  if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [unescapePlanKey(key), unescapeValue(item)]));
  return value;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return isRef(value as PlanValue) ? 'a step output (known only at run time)' : 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
