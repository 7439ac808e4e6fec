/**
 * The execution plan's shape (what planning produces and the engine walks) and how plan values
 * encode what is known only at run time:
 *
 *     {"$ref": "<node id>", "path": [...]}   the result of a plan node, then a path into it
 *     {"$template": [part, ...]}              a string to build from text and values
 *     {"$condition": {source, logic, vars}}   JSON Logic whose {"var": "<i>"} reads vars[i]
 *
 * A user mapping key that starts with "$" is written with "$$" so data can never be taken for
 * one of these forms.
 */
import type { Sha256 } from './canonical.ts';
import type { CompensationType } from './compensation.ts';
import type { ConditionSource, Envelope, JsonLogic } from './types.ts';

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

export interface PlanNodeBase {
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
  /**
   * How many instances run at once: the step's or the mission's max_parallel for read-only
   * operation instances (default DEFAULT_MAX_PARALLEL), 1 when any instance writes or is not an
   * operation.
   */
  max_parallel: number;
}

export const DEFAULT_MAX_PARALLEL = 4;

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

export function isMapping(value: unknown): value is Record<string, PlanValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isRef(value: PlanValue): value is PlanRef {
  return isMapping(value) && Object.hasOwn(value, '$ref');
}

export function isSpecial(value: Record<string, PlanValue>): boolean {
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

export function escapeKey(key: string): string {
  return key.startsWith('$') ? `$${key}` : key;
}

/** `$$name` -> `$name`: the inverse of the key escaping planning applies to user data. */
export function unescapePlanKey(key: string): string {
  return key.startsWith('$$') ? key.slice(1) : key;
}

/** A user value as a plan value: mapping keys starting with "$" escaped. */
export function escapeLiteral(value: unknown): PlanValue {
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
