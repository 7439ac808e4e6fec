/**
 * Building a run's environment from the host's options: the repository, the engine's paths, the
 * sandbox, secrets and their redaction, the operation handlers (the agent layer among them), the
 * missions they resolve to, the state store and the signing key. Every check that can refuse
 * a run before it starts (no repository, no sandbox, a key inside the repository) is here.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentClientOptions } from '../agents/client.ts';
import { redactor, secretValues, type Redact } from '../core/redact.ts';
import { createRegistry, type Registry, type Vocabulary } from '../core/registry.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { OperationHandler, PacketTransform } from '../operations/handler.ts';
import { llmCallHandler } from '../operations/llm-call.ts';
import { BUILTIN_TRANSFORMS } from '../operations/packet-route.ts';
import { handlerTable } from '../operations/registry.ts';
import { toolInvokeHandler } from '../operations/tool-invoke.ts';
import type { ChildEnvPolicy } from '../tools/child-env.ts';
import { DEFAULT_SANDBOX, requireSandbox, type SandboxMode, type SandboxSettings } from '../tools/sandbox.ts';
import type { Tool } from '../tools/tool.ts';
import type { HumanDecision } from './decisions.ts';
import type { EngineEnvironment, EscalationSink, ProgressEvent, RunEvent } from './engine/types.ts';
import { repoTopLevel } from './git-state.ts';
import { defaultRegistry } from './mission-library.ts';
import { builtinPacketSchemas } from './packet-schemas.ts';
import { requireEngineFolders } from './engine-folders.ts';
import { engineFiles, resolveRunPaths, type RunPaths } from './run-paths.ts';
import { loadSigningKey, SIGNING_KEY_ENV, type SigningKey } from './signing.ts';
import { openStateStore } from './store/open-store.ts';
import type { StateStore, StoreBackend } from './store/state-store.ts';

export interface EngineOptions {
  /** The target repository (any folder inside its work tree). */
  repoRoot: string;
  /** LLM mode for llm_call handlers. Default: LIFEOS_TEST_MODE, else 'live'. */
  mode?: 'live' | 'record' | 'replay';
  /**
   * In replay mode, answer only from the fixture of each call's exact id: the same call recorded
   * at another commit (`code_drift`) or from another version of its model (`version_drift`) is
   * a ReplayMissError (default false: both replay, and the call log says so).
   */
  strictReplay?: boolean;
  /**
   * The most instances of a read-only fan-out run at once, over every fan-out's own
   * max_parallel (1: one at a time everywhere). The journal is the same either way.
   */
  maxParallel?: number;
  /** Operation handlers; one with a built-in's type replaces it. */
  handlers?: readonly OperationHandler[];
  /** `tool_invoke` back ends besides (or replacing) filesystem, git, test and coding_agent. */
  tools?: readonly Tool[];
  /** packet_route transforms by name (`identity` is built in). */
  transforms?: Readonly<Record<string, PacketTransform>>;
  /** JSON Schemas by name, for gate_check `schema: <name>` and llm_call `output_schema` (added to the built-in packet schemas; a name given here replaces a built-in). */
  schemas?: Readonly<Record<string, object>>;
  /** Cancel the run: it stops before the next operation, rolls back, and ends `halted`. */
  signal?: AbortSignal;
  /** Called after each journal entry is written (an exception it throws is ignored). */
  onEvent?: (event: RunEvent) => void;
  /** Called with what happens between journal entries: a model call's retry and its cause, parallel steps in flight (an exception it throws is ignored). */
  onProgress?: (event: ProgressEvent) => void;
  /** Receives each escalation after it is journaled (the state store's queue). */
  escalations?: EscalationSink;
  /** fsync the journal after each entry (default true). */
  fsync?: boolean;
  /**
   * Completion bundles embed a copy of the journal, so each verifies on its own, away from its
   * run folder (default false: a bundle names the journal by entry count and head hash).
   */
  embedJournal?: boolean;
  /** Where the engine's files go (defaults in run-paths.ts). */
  paths?: Partial<RunPaths>;
  /** Missions that `kind: mission` steps and mission names resolve to (default: built-ins). */
  registry?: Registry;
  /** Clock for audit timestamps (default: the wall clock). */
  now?: () => Date;
  /** Governance surface patterns added to the built-in ones of spec §2.3 (never removing any). */
  governanceSurfaces?: readonly string[];
  /** Paths no operation may write, added to the built-in protected list of spec §2.4 (never removing any). */
  protectedPaths?: readonly string[];
  /** The day's spending ceiling across all runs in the repository, in USD (default: none). */
  dailyBudgetUsd?: number;
  /**
   * Kill switches besides the repository's own (absolute paths), checked at the same moments: a
   * backlog task in its worktree stops on the main checkout's STOP_AUTONOMY too.
   */
  killSwitches?: readonly string[];
  /** The LLM endpoint for `llm_call` (default: OpenRouter, key from OPENROUTER_API_KEY). */
  agent?: AgentClientOptions;
  /** Values redacted from everything written (the API key is always redacted). */
  secrets?: readonly string[];
  /**
   * The state store the run indexes itself in and queues its escalations and approval requests
   * to (spec §6.1): a store (not closed by the run), the back end to open in the repository's
   * store folder, or `false` for none. Default: the repository's store (`.lifeos/state.sqlite`
   * if it exists, else `.lifeos/state.json`).
   */
  store?: StateStore | StoreBackend | false;
  /**
   * How the coding agent and the test command are confined (tools/sandbox.ts): `auto` (default:
   * bubblewrap when it works, else a warning), `required` (a run refuses to start without it) or
   * `off`; `writable` adds folders the agent may write (its own state).
   */
  sandbox?: SandboxMode | SandboxSettings;
  /**
   * What child processes (agent, tests, git) see of this process's environment besides the
   * default list (PATH, HOME, locale, terminal): `allow` names variables to pass, `set` gives
   * values (a key the agent needs). Nothing that looks like a credential is passed otherwise.
   */
  childEnv?: ChildEnvPolicy;
  /**
   * Runs (ids or unique prefixes) whose journal may be continued although it has entries after
   * its last anchor that no crashed process of it accounts for (unanchored-tail.ts).
   */
  acceptUnanchored?: readonly string[];
  /**
   * Private Ed25519 key (PEM file, outside the repository: `lifeos-mission keygen`) that signs
   * the anchor log. Default: the file named by LIFEOS_SIGNING_KEY; unset, anchors are unsigned.
   */
  signingKey?: string;
}

export interface RunOptions extends EngineOptions {
  inputs?: Record<string, unknown>;
  /** The most operations the mission's plan may expand to (default 10,000); past it the run does not start. */
  maxOperations?: number;
}

export interface ResumeOptions extends EngineOptions {
  /** Decisions on the run's pending human requests, recorded before it goes on. */
  decisions?: readonly HumanDecision[];
}

export interface RecoverOptions extends EngineOptions {}

/** A run's environment and what it was built from. */
export interface Setup {
  env: EngineEnvironment;
  registry: Registry;
  paths: RunPaths;
  options: EngineOptions;
}

/** Set up the engine's environment for `body`, and close the store it opened when it ends. */
export async function withSetup<T>(options: EngineOptions, body: (context: Setup) => Promise<T>): Promise<T> {
  const context = setup(options);
  try {
    return await body(context);
  } finally {
    if (typeof options.store !== 'object') context.env.store?.close();
  }
}

/** The host's tools, transforms and packet schemas added to what validation knows the names of. */
function hostVocabulary(vocabulary: Vocabulary | undefined, options: EngineOptions): Vocabulary {
  const tools = new Map(vocabulary?.tools ?? []);
  for (const tool of options.tools ?? []) tools.set(tool.name, Object.keys(tool.actions));
  const schemas = new Map(vocabulary?.schemas ?? []);
  for (const name of Object.keys(options.schemas ?? {})) schemas.set(name, undefined);
  return { tools, schemas, transforms: [...(vocabulary?.transforms ?? []), ...Object.keys(options.transforms ?? {})] };
}

function openRunStore(store: EngineOptions['store'], repoRoot: string, paths: RunPaths): StateStore | undefined {
  if (store === false) return undefined;
  if (typeof store === 'object') return store;
  return openStateStore({ repoRoot, paths, ...(store ? { backend: store } : {}) });
}

function setup(options: EngineOptions): Setup {
  let repoRoot: string;
  try {
    repoRoot = repoTopLevel(options.repoRoot);
  } catch (error) {
    throw new RunPreconditionFailed(`${options.repoRoot} is not inside a git work tree (${(error as Error).message.trim()}); missions run in a git repository`);
  }
  const paths = resolveRunPaths(options.paths);
  requireEngineFolders(repoRoot, paths);
  const sandbox = sandboxSettings(options.sandbox);
  try {
    requireSandbox(sandbox);
  } catch (error) {
    throw new RunPreconditionFailed(`${(error as Error).message}; builders and tests must not run unconfined here`);
  }
  const secrets = secretValues([options.agent?.apiKey, process.env.OPENROUTER_API_KEY, ...(options.secrets ?? [])]);
  const redact = redactor(secrets);
  const handlers = operationHandlers(options, repoRoot, paths, redact);
  const base = options.registry ?? defaultRegistry();
  const registry = createRegistry({ extend: base, operations: handlers.values(), vocabulary: hostVocabulary(base.vocabulary, options) });
  const envMode = process.env.LIFEOS_TEST_MODE;
  const mode = options.mode ?? (envMode === 'record' || envMode === 'replay' || envMode === 'live' ? envMode : 'live');
  return {
    env: {
      repoRoot,
      paths,
      handlers,
      transforms: new Map([...BUILTIN_TRANSFORMS, ...Object.entries(options.transforms ?? {})]),
      schemas: new Map([...builtinPacketSchemas(), ...Object.entries(options.schemas ?? {})]),
      mode,
      signal: options.signal,
      onEvent: options.onEvent,
      onProgress: options.onProgress,
      maxParallel: maxParallelOf(options.maxParallel),
      escalations: options.escalations,
      store: openRunStore(options.store, repoRoot, paths),
      governanceSurfaces: options.governanceSurfaces ?? [],
      protectedPaths: options.protectedPaths ?? [],
      redact,
      secrets,
      dailyBudgetUsd: options.dailyBudgetUsd,
      killSwitches: options.killSwitches ?? [],
      sandbox,
      childEnv: options.childEnv ?? {},
      signingKey: signingKeyOf(options.signingKey, repoRoot),
      fsync: options.fsync ?? true,
      embedJournal: options.embedJournal ?? false,
      now: options.now ?? (() => new Date()),
    },
    registry,
    paths,
    options,
  };
}

/** The built-in handlers (the agent layer's llm_call, tool_invoke with the host's tools) and the host's; a host's handler of a built-in's type replaces it. */
function operationHandlers(options: EngineOptions, repoRoot: string, paths: RunPaths, redact: Redact): ReadonlyMap<string, OperationHandler> {
  const llmCall = llmCallHandler({
    callsDir: join(repoRoot, paths.agentCalls),
    ...(options.agent ? { client: options.agent } : {}),
    redact,
    governanceSurfaces: options.governanceSurfaces ?? [],
    exclude: engineFiles(paths).map((f) => f.path),
    ...(options.strictReplay ? { strictReplay: true } : {}),
  });
  return handlerTable([llmCall, toolInvokeHandler(options.tools ?? []), ...(options.handlers ?? [])]);
}

function maxParallelOf(value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RunPreconditionFailed(`maxParallel must be a positive integer; got ${String(value)}`);
  return value;
}

/** The key anchors are signed with: the option, else LIFEOS_SIGNING_KEY; none by default. */
function signingKeyOf(path: string | undefined, repoRoot: string): SigningKey | undefined {
  const file = path ?? process.env[SIGNING_KEY_ENV];
  if (!file) return undefined;
  const from = path ? '' : ` (from ${SIGNING_KEY_ENV})`;
  // A key the repository's writers can read signs nothing they could not forge.
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    real = file;
  }
  if (real === realpathSync(repoRoot) || real.startsWith(`${realpathSync(repoRoot)}/`)) {
    throw new RunPreconditionFailed(`the signing key ${file}${from} is inside the repository: whoever can write the repository could read it; move it outside (\`lifeos-mission keygen\` puts it in ~/.config/lifeos-mission/)`);
  }
  try {
    return loadSigningKey(file);
  } catch (error) {
    throw new RunPreconditionFailed(`${(error as Error).message}${from}`);
  }
}

function sandboxSettings(value: EngineOptions['sandbox']): SandboxSettings {
  if (value === undefined) return DEFAULT_SANDBOX;
  const settings = typeof value === 'string' ? { mode: value } : value;
  if (!['required', 'auto', 'off'].includes(settings.mode)) throw new RunPreconditionFailed(`sandbox must be required, auto or off; got "${String(settings.mode)}"`);
  return settings;
}
