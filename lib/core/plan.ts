/**
 * Mission + inputs -> ExecutionPlan: a deterministic, JSON-serialisable tree that the runner
 * walks. Planning returns data and acts on nothing (CONVENTIONS habit 1).
 *
 * - `for_each` is expanded (several variables: cartesian product, first variable outermost),
 *   each instance with a stable id such as `review_design/run_seats[risk]`.
 * - `kind: mission` steps are inlined with their own ids, prefixed by the parent step id.
 * - Inputs are substituted where known; whole-value templates keep lists and objects.
 * - What can only be known at run time stays typed ($ref, $template, $condition), as
 *   plan-model.ts describes; user data is escaped so that it can never be taken for one.
 */
import { hashCanonical } from './canonical.ts';
import { COMPENSATION_COMMANDS, commandForType } from './compensation.ts';
import { compileCondition } from './condition.ts';
import { diagnostic, joinPointer, type DiagnosticCode } from './diagnostics.ts';
import { MissionValidationError } from './errors.ts';
import { analyseMission, missionSource } from './load.ts';
import { describeOperation, type Registry } from './registry.ts';
import { compileTemplate, stringifyForTemplate, type Template, type TemplateRef } from './template.ts';
import { DEFAULT_TIMEOUT_SECONDS, type ConditionSource, type Diagnostic, type JsonLogic, type Mission, type Step } from './types.ts';
import { cartesian, describe, instanceLabels, joinText } from './plan-expansion.ts';
import { checkInputs, withDefaults } from './plan-inputs.ts';
import { parseValueType, typeMismatch } from './value-type.ts';
import {
  escapeKey,
  escapeLiteral,
  isMapping,
  DEFAULT_MAX_PARALLEL,
  isRef,
  isConcrete,
  isSpecial,
  unescapeValue,
  type ExecutionPlan,
  type PlanCondition,
  type PlanFanOutNode,
  type PlanMissionNode,
  type PlanNodeBase,
  type PlanNode,
  type PlanSource,
  type PlanValue,
} from './plan-model.ts';

export interface PlanOptions {
  inputs?: Record<string, unknown>;
  registry: Registry;
  /** The most operations a plan may expand to (default DEFAULT_MAX_OPERATIONS): a fan-out past it is an error, found before it is expanded. */
  maxOperations?: number;
}

export const DEFAULT_MAX_OPERATIONS = 10_000;

/** A plan past its operation limit: planning stops at once (more of it would only cost memory). */
class PlanTooLarge extends Error {
  constructor(
    readonly pointer: string,
    readonly scope: Scope,
    message: string,
  ) {
    super(message);
  }
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

  const planner = new Planner(options.registry, options.maxOperations ?? DEFAULT_MAX_OPERATIONS);
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
  let steps: PlanNode[];
  try {
    steps = planner.steps(scope);
  } catch (error) {
    if (!(error instanceof PlanTooLarge)) throw error;
    const source = missionSource(error.scope.mission);
    const hint = `plan with a higher limit (--max-operations, or maxOperations) if the mission really needs it`;
    throw new MissionValidationError([diagnostic('E_PLAN_TOO_LARGE', { path: error.pointer }, error.message, { hint, locate: source?.locate, file: source?.file })], `plan of mission "${mission.mission}"`);
  }
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

class Planner {
  readonly problems: Diagnostic[] = [];
  readonly counts = { operations: 0, writing: 0, human: 0, nested_missions: 0, fan_out_instances: 0 };
  // A fan-out plans the same step thousands of times: compile and locate each step once.
  private readonly templates = new Map<string, Template>();
  private readonly sources = new Map<Mission, Map<number, PlanSource | undefined>>();

  /** The fan-outs being expanded, innermost last: the one to name when the plan grows too large. */
  private readonly expanding: Array<{ pointer: string; scope: Scope; id: string }> = [];

  constructor(
    private readonly registry: Registry,
    private readonly maxOperations: number,
  ) {}

  /** Stop planning once `more` operations would take the plan past its limit. */
  private reserve(more: number, step: Step, index: number, scope: Scope): void {
    if (this.counts.operations + more <= this.maxOperations) return;
    const at = this.expanding[0] ?? { pointer: joinPointer('/steps', index), scope, id: scope.prefix + step.id };
    const where = scope.trail.length > 1 ? ` (in mission ${scope.trail.join(' > ')})` : '';
    throw new PlanTooLarge(at.pointer, at.scope, `the plan passes its limit of ${this.maxOperations} operations while expanding the fan-out of step "${at.id}"${where}`);
  }

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
    // Counted before the product is built: a 1000 x 1000 fan-out is refused, not allocated.
    this.expanding.push({ pointer: joinPointer('/steps', index), scope, id: scope.prefix + step.id });
    try {
      this.reserve(lists.reduce((product, list) => product * list.length, 1) * (step.kind === 'mission' ? 0 : 1), step, index, scope);
      return this.expandFanOut(step, index, scope, variables, lists);
    } finally {
      this.expanding.pop();
    }
  }

  private expandFanOut(step: Step, index: number, scope: Scope, variables: string[], lists: PlanValue[][]): PlanFanOutNode {
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
    const readOnly = instances.every((node) => node.type === 'operation' && !node.writes);
    const maxParallel = readOnly ? (step.max_parallel ?? scope.mission.max_parallel ?? DEFAULT_MAX_PARALLEL) : 1;
    return { ...this.base(step, index, scope, id), type: 'fan_out', variables, instances, max_parallel: maxParallel };
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
    this.reserve(1, step, index, scope);
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
