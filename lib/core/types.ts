/**
 * The shapes of a mission (Mission Schema v1.0, spec §5.3.1) and of a diagnostic, shared by
 * every stage of the language pipeline (load -> schema -> semantics -> plan).
 */
import type { CompensationCommand } from './compensation.ts';

/** A JSON Logic expression (https://jsonlogic.com), e.g. `{"===": [{"var": "x"}, 1]}`. */
export type JsonLogic = { [operator: string]: unknown };

/** A condition as written: an expression string or a JSON Logic object. */
export type ConditionSource = string | JsonLogic;

export type StepKind = 'runtime' | 'mission' | 'human';

/** Envelope constraints (spec §5.2.1, Appendix A.6); all fields optional at mission level. */
export interface Envelope {
  allowed_paths?: string[];
  denied_paths?: string[];
  allowed_tools?: string[];
  allowed_roles?: string[];
  reject_symlinks?: boolean;
  max_budget_usd?: number;
  timeout_seconds?: number;
}

export interface MissionInput {
  name: string;
  /** A type name: str, int, float, bool, dict, list, list[T], any, or a packet name. */
  type: string;
  /** Default true; an input with a `default` is optional whatever this says. */
  required?: boolean;
  default?: unknown;
  description?: string;
}

export interface MissionOutput {
  name: string;
  type: string;
  /** Where the value comes from, normally a `{{steps.<id>.output...}}` template. */
  value?: unknown;
  description?: string;
}

export interface Step {
  id: string;
  kind: StepKind;
  description?: string;
  /** Operation type, for `kind: runtime`. */
  operation?: string;
  /** Target mission name, for `kind: mission`. */
  mission?: string;
  params?: Record<string, unknown>;
  envelope?: Envelope;
  /** Fan-out variables: name -> literal list or a whole-value template giving a list. */
  for_each?: Record<string, unknown[] | string>;
  compensation?: CompensationCommand;
  timeout_seconds?: number;
  /** For a `for_each` step: how many read-only instances run at once. */
  max_parallel?: number;
}

export interface Mission {
  mission: string;
  version: string;
  description?: string;
  inputs: MissionInput[];
  outputs: MissionOutput[];
  preconditions?: ConditionSource[];
  steps: Step[];
  envelope?: Envelope;
  timeout_seconds?: number;
  /** Read-only fan-out instances run at once, for fan-outs without their own (default 4). */
  max_parallel?: number;
}

/** One problem found in a mission, with where it is and how to fix it. */
export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable code, listed in docs/errors.md (E_... errors, W_... warnings). */
  code: string;
  /** Starts with the dotted location (`steps[2].operation: ...`). */
  message: string;
  /** JSON pointer to the offending value (`/steps/2/operation`); '' is the document. */
  path: string;
  file?: string;
  /** 1-based line and column of the offending YAML node, when the input was text. */
  line?: number;
  column?: number;
  hint?: string;
}

/** Default mission timeout (spec §5.3.1). */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
