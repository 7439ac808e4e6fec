/**
 * What validation and planning know about operations and missions, as data: each operation type
 * is a definition object (whether it writes, its default compensation, whether it is
 * idempotent, which params are conditions); each mission is registered by name. Hosts extend a
 * registry with their own definitions; the runtime's handlers (with `execute`) satisfy the same
 * OperationDefinition shape, so one registry serves validation, planning and running.
 */
import type { CompensationType } from './compensation.ts';
import type { Mission } from './types.ts';

type Params = Readonly<Record<string, unknown>>;

export interface OperationDefinition {
  /** The name used in YAML as `operation:`. */
  type: string;
  description: string;
  /** Whether the operation may change the repository; a function when it depends on params. */
  writes: boolean | ((params: Params) => boolean);
  /** Compensation used when a step names none; a function when it depends on params. */
  compensation: CompensationType | ((params: Params) => CompensationType);
  /** Whether re-running it after a crash is safe (spec §5.6.4). */
  idempotent: boolean;
  /** Top-level params that hold conditions (compiled as conditions, not templates). */
  conditionParams?: readonly string[];
  /** Whether a step may say `compensation: custom` (the handler supplies the undo). */
  customCompensation?: boolean;
  /**
   * JSON Schema of the params. `validate` checks a step's literal params against it at their
   * YAML positions (param-checks.ts: properties, required, additionalProperties, anyOf of
   * required, type, enum, minLength); the runtime checks the resolved params again before
   * the handler runs.
   */
  paramsSchema?: object;
  /** Params whose literal values name something `validate` can look up in the registry's vocabulary. */
  namedParams?: Readonly<Record<string, 'role' | 'tool' | 'action' | 'schema' | 'transform' | 'check'>>;
  /** The fields of the step's output, for checking `{{steps.<id>.output.<field>}}` references. */
  outputFields?: readonly string[];
}

/**
 * Names `validate` checks literal params against, where they are known: tools and their
 * actions, roles (the repository's `config/agent_roles/`, or the built-in list), packet schemas
 * with their top-level fields (for `output.packet.<field>`), transforms and named gate checks.
 */
export interface Vocabulary {
  tools?: ReadonlyMap<string, readonly string[]>;
  roles?: { names: readonly string[]; from: 'repository' | 'builtin' };
  schemas?: ReadonlyMap<string, readonly string[] | undefined>;
  transforms?: readonly string[];
  checks?: readonly string[];
}

export interface MissionEntry {
  mission: Mission;
  /** The file it was loaded from, for messages. */
  file?: string;
}

export interface Registry {
  readonly operations: ReadonlyMap<string, OperationDefinition>;
  readonly missions: ReadonlyMap<string, MissionEntry>;
  readonly vocabulary?: Vocabulary;
}

// Tool actions that only read; every other tool action is treated as writing (fail-closed).
const READ_ONLY_TOOL_ACTIONS: ReadonlySet<string> = new Set(['read_files', 'diff_stat', 'status', 'log', 'show', 'diff']);

function toolWrites(params: Params): boolean {
  return !(typeof params.action === 'string' && READ_ONLY_TOOL_ACTIONS.has(params.action));
}

/** Params every `when`-able operation takes (operations/conditional.ts). */
const WHEN = { when: {}, otherwise: {} };
/** What an `llm_call` step outputs (operations/llm-call.ts LlmCallOutput), and `skipped` when its `when` skipped it. */
const LLM_CALL_OUTPUT = ['role', 'packet', 'content', 'call_id', 'model_used', 'model_version', 'usage', 'cost_usd', 'skipped'];

/** The operation types of spec §5.2, plus `noop`; known to validation before their handlers exist. */
export const BUILTIN_OPERATIONS: readonly OperationDefinition[] = [
  {
    type: 'llm_call',
    description: 'invoke an agent role through the Agent API layer',
    writes: false,
    compensation: 'none',
    idempotent: true,
    conditionParams: ['when'],
    paramsSchema: {
      type: 'object',
      required: ['role'],
      additionalProperties: false,
      properties: {
        role: { type: 'string', minLength: 1 },
        input_packet: {},
        output_schema: { type: 'string' },
        model: { type: 'string', minLength: 1 },
        temperature: { type: 'number', minimum: 0, maximum: 2 },
        max_tokens: { type: 'integer', minimum: 1 },
        ...WHEN,
      },
    },
    namedParams: { role: 'role', output_schema: 'schema' },
    outputFields: LLM_CALL_OUTPUT,
  },
  {
    type: 'tool_invoke',
    description: 'call a tool (filesystem, git, test, coding agent) inside the envelope',
    writes: toolWrites,
    compensation: (params) => (toolWrites(params) ? 'fs_restore' : 'none'),
    idempotent: false,
    conditionParams: ['when'],
    // The other params are the action's own.
    paramsSchema: { type: 'object', required: ['tool', 'action'], properties: { tool: { type: 'string', minLength: 1 }, action: { type: 'string', minLength: 1 }, ...WHEN } },
    namedParams: { tool: 'tool', action: 'action' },
  },
  {
    type: 'packet_route',
    description: 'transform an output packet into the next input packet',
    writes: false,
    compensation: 'none',
    idempotent: true,
    // The other params are the transform's own.
    paramsSchema: { type: 'object', required: ['transform'], properties: { transform: { type: 'string', minLength: 1 } } },
    namedParams: { transform: 'transform' },
  },
  {
    type: 'gate_check',
    description: 'check a condition or a JSON Schema before going on (fail-closed)',
    writes: false,
    compensation: 'none',
    idempotent: true,
    conditionParams: ['condition'],
    paramsSchema: {
      type: 'object',
      anyOf: [{ required: ['condition'] }, { required: ['schema'] }, { required: ['check'] }],
      additionalProperties: false,
      properties: {
        condition: { type: 'boolean' },
        schema: { type: ['string', 'object'] },
        data: {},
        check: { type: 'string' },
        // What the named checks read (operations/gate-checks.ts).
        decision: {},
        scope: {},
        paths: {},
        on_fail: { enum: ['escalate', 'fail'] },
        message: { type: 'string' },
        check_before_run: { type: 'boolean' },
      },
    },
    namedParams: { schema: 'schema', check: 'check' },
    outputFields: ['passed', 'checks'],
  },
  {
    type: 'escalate',
    description: 'halt the workflow and notify the CEO',
    writes: false,
    compensation: 'none',
    idempotent: true,
    paramsSchema: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 1 }, severity: { enum: ['info', 'warning', 'critical'] }, evidence: { type: 'object' } } },
  },
  { type: 'noop', description: 'do nothing (tests, placeholders)', writes: false, compensation: 'none', idempotent: true },
];

export interface RegistryOptions {
  /** Start from this registry; entries given here replace its entries of the same name. */
  extend?: Registry;
  operations?: Iterable<OperationDefinition>;
  missions?: Iterable<MissionEntry>;
  /** Replaces the vocabulary of `extend`, field by field. */
  vocabulary?: Vocabulary;
}

/** A new registry. Without `extend`, it starts from the built-in operations and no missions. */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const operations = new Map(options.extend?.operations ?? BUILTIN_OPERATIONS.map((definition) => [definition.type, definition]));
  for (const definition of options.operations ?? []) operations.set(definition.type, definition);
  const own = new Map<string, MissionEntry>();
  for (const entry of options.missions ?? []) own.set(entry.mission.mission, entry);
  const base = options.extend?.missions;
  const vocabulary = options.vocabulary || options.extend?.vocabulary ? { ...options.extend?.vocabulary, ...options.vocabulary } : undefined;
  return { operations, missions: base ? new LayeredMap(own, () => base) : own, ...(vocabulary ? { vocabulary } : {}) };
}

/**
 * A map that answers from its own entries first and asks `fallback()` only for what it lacks,
 * so a registry layered on a lazily loaded one (the built-in missions) loads it only when a
 * look-up needs it.
 */
export class LayeredMap<V> implements ReadonlyMap<string, V> {
  constructor(
    private readonly own: ReadonlyMap<string, V>,
    private readonly fallback: () => ReadonlyMap<string, V>,
  ) {}

  get(key: string): V | undefined {
    return this.own.get(key) ?? this.fallback().get(key);
  }

  has(key: string): boolean {
    return this.own.has(key) || this.fallback().has(key);
  }

  get size(): number {
    return this.merged().size;
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    this.merged().forEach((value, key) => callback(value, key, this));
  }

  entries(): MapIterator<[string, V]> {
    return this.merged().entries();
  }

  keys(): MapIterator<string> {
    return this.merged().keys();
  }

  values(): MapIterator<V> {
    return this.merged().values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  private merged(): Map<string, V> {
    return new Map([...this.fallback(), ...this.own]);
  }
}

/** Resolve a definition's params-dependent fields. */
export function describeOperation(
  definition: OperationDefinition,
  params: Params,
): { writes: boolean; compensation: CompensationType } {
  return {
    writes: typeof definition.writes === 'function' ? definition.writes(params) : definition.writes,
    compensation: typeof definition.compensation === 'function' ? definition.compensation(params) : definition.compensation,
  };
}
