/**
 * The public run API: runMission, resumeMission, recoverRuns (DESIGN.md contracts). Each one
 * plans or reloads the run, takes the single-run lock (recovering a crashed holder first),
 * opens the journal and hands over to the engine; the lock is released however it ends.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentClientOptions } from '../agents/client.ts';
import { canonicalJson, computeRunId, hashCanonical, sha256, type Sha256 } from '../core/canonical.ts';
import { redactor, secretValues } from '../core/redact.ts';
import { planNodes, type ExecutionPlan, type PlanNode } from '../core/plan.ts';
import { createRegistry, type Registry } from '../core/registry.ts';
import { RunPreconditionFailed, type RunLockInfo } from '../core/run-errors.ts';
import { foldJournal, openAttempt } from '../core/run-state.ts';
import type { Mission } from '../core/types.ts';
import type { OperationHandler, PacketTransform } from '../operations/handler.ts';
import { llmCallHandler } from '../operations/llm-call.ts';
import { BUILTIN_TRANSFORMS } from '../operations/packet-route.ts';
import { handlerTable, missingHandlers } from '../operations/registry.ts';
import { toolInvokeHandler } from '../operations/tool-invoke.ts';
import type { Tool } from '../tools/tool.ts';
import type { ChildEnvPolicy } from '../tools/child-env.ts';
import { DEFAULT_SANDBOX, requireSandbox, type SandboxMode, type SandboxSettings } from '../tools/sandbox.ts';
import { envelopePolicyHash } from './engine/guards.ts';
import { RunEngine } from './engine/run-engine.ts';
import type { EngineEnvironment, EscalationSink, MissionResult, RunEvent } from './engine/types.ts';
import { verifyGovernanceBaseline } from '../governance/baseline.ts';
import { git, repoTopLevel, snapshotRepo, stateHash, type RepoSnapshot } from './git-state.ts';
import { findRunId, runFolders } from './run-folders.ts';
import { JOURNAL_FILE, JournalWriter, quarantineTornTail, readJournal, runDirName } from './journal.ts';
import { killSwitchPresent } from './kill-switch.ts';
import { defaultRegistry, planMission, resolveMission } from './mission-library.ts';
import { missionFilesInRepo } from './mission-files.ts';
import { requireAccountedTail } from './unanchored-tail.ts';
import { anchoredAttempts, repositoryAnchors } from './anchor-log.ts';
import { evidenceMissing, needsRecovery, recoverIfNeeded, recoverRun, writeMissingBundle, type OpenRun, type RecoveryReport } from './recovery.ts';
import { pausedAttempt, recordDecision, requireUnchanged, unboundDecisions, type HumanDecision } from './decisions.ts';
import { acquireRunLock, breakStaleLock, probeRunLock, releaseRunLock } from './run-lock.ts';
import { engineFiles, excludePathspecs, resolveRunPaths, type RunPaths } from './run-paths.ts';
import { builtinPacketSchemas } from './packet-schemas.ts';
import { openStateStore } from './store/open-store.ts';
import { loadSigningKey, SIGNING_KEY_ENV, signWith, type SigningKey } from './signing.ts';
import { readChunks } from './journal-lines.ts';
import type { StateStore, StoreBackend } from './store/state-store.ts';

export type { HumanDecision };

export interface EngineOptions {
  /** The target repository (any folder inside its work tree). */
  repoRoot: string;
  /** LLM mode for llm_call handlers. Default: LIFEOS_TEST_MODE, else 'live'. */
  mode?: 'live' | 'record' | 'replay';
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
  /** Receives each escalation after it is journaled (the state store's queue). */
  escalations?: EscalationSink;
  /** fsync the journal after each entry (default true). */
  fsync?: boolean;
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
}

export interface ResumeOptions extends EngineOptions {
  /** Decisions on the run's pending human requests, recorded before it goes on. */
  decisions?: readonly HumanDecision[];
}

interface Setup {
  env: EngineEnvironment;
  registry: Registry;
  paths: RunPaths;
  options: EngineOptions;
}

/** Set up the engine's environment for `body`, and close the store it opened when it ends. */
async function withSetup<T>(options: EngineOptions, body: (context: Setup) => Promise<T>): Promise<T> {
  const context = setup(options);
  try {
    return await body(context);
  } finally {
    if (typeof options.store !== 'object') context.env.store?.close();
  }
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
  const sandbox = sandboxSettings(options.sandbox);
  try {
    requireSandbox(sandbox);
  } catch (error) {
    throw new RunPreconditionFailed(`${(error as Error).message}; builders and tests must not run unconfined here`);
  }
  const secrets = secretValues([options.agent?.apiKey, process.env.OPENROUTER_API_KEY, ...(options.secrets ?? [])]);
  const redact = redactor(secrets);
  const llmCall = llmCallHandler({
    callsDir: join(repoRoot, paths.agentCalls),
    ...(options.agent ? { client: options.agent } : {}),
    redact,
    governanceSurfaces: options.governanceSurfaces ?? [],
    exclude: engineFiles(paths).map((f) => f.path),
  });
  // A host's llm_call (or any handler of a built-in's type) replaces the built-in.
  const handlers = handlerTable([llmCall, toolInvokeHandler(options.tools ?? []), ...(options.handlers ?? [])]);
  const registry = createRegistry({ extend: options.registry ?? defaultRegistry(), operations: handlers.values() });
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
      escalations: options.escalations,
      store: openRunStore(options.store, repoRoot, paths),
      governanceSurfaces: options.governanceSurfaces ?? [],
      protectedPaths: options.protectedPaths ?? [],
      redact,
      secrets,
      dailyBudgetUsd: options.dailyBudgetUsd,
      sandbox,
      childEnv: options.childEnv ?? {},
      signingKey: signingKeyOf(options.signingKey, repoRoot),
      fsync: options.fsync ?? true,
      now: options.now ?? (() => new Date()),
    },
    registry,
    paths,
    options,
  };
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

/**
 * Run a mission (a Mission object, a registered name, or a mission file path) in a git
 * repository. Resolves with the result; throws only for problems before the run starts
 * (invalid mission or inputs, no repository, lock held by a live run, dirty work tree).
 */
export async function runMission(missionOrName: Mission | string, options: RunOptions): Promise<MissionResult> {
  return withSetup(options, (context) => startRun(context, missionOrName, options));
}

async function startRun(context: Setup, missionOrName: Mission | string, options: RunOptions): Promise<MissionResult> {
  const { mission, file } = findMission(missionOrName, context.registry);
  const plan = planMission(mission, { inputs: options.inputs ?? {}, registry: context.registry });
  requireHandlers(plan.steps, context.env.handlers);
  const { repoRoot } = context.env;
  // A crashed run is recovered first: its rollback may move HEAD, and the run id is computed from
  // HEAD. When recovery completes this very run (same mission and inputs), that is the result.
  if (probeRunLock(join(repoRoot, context.paths.lock)).state === 'dead') {
    const finished = (await recoverAll(context)).find((report) => report.result.status === 'completed' && startedWith(report.result.journalPath, plan));
    if (finished) return finished.result;
  }
  const baseline = git(repoRoot, ['rev-parse', '--verify', '-q', 'HEAD']).trim();
  // The surfaces as they are now; a mismatch with the baseline halts the run once it starts.
  const governance = verifyGovernanceBaseline({ repoRoot, governanceSurfaces: context.env.governanceSurfaces, exclude: engineFiles(context.paths).map((f) => f.path) });
  const surfaceHashes = Object.fromEntries(Object.entries(governance.surfaces).map(([path, hex]) => [path, `sha256:${hex}`]));
  const runId = computeRunId({
    missionSpec: { mission, nested_missions: nestedMissionHashes(plan.steps, context.registry) },
    inputsHash: plan.inputs_hash,
    governanceSurfaceHashes: surfaceHashes,
    codeVersionId: baseline,
  });
  return withLock(context, runId, plan.mission, async () => {
    const runFolder = join(repoRoot, context.paths.journals, runDirName(runId));
    const journal = JournalWriter.open(join(runFolder, JOURNAL_FILE), runId, journalOptions(context));
    try {
      const state = foldJournal(journal.opened);
      if (openAttempt(state)) {
        throw new RunPreconditionFailed(`run ${runId} has an unfinished attempt; continue it with \`lifeos-mission resume ${runId}\``);
      }
      // A new attempt is anchored with all that precedes it: only what the engine wrote may.
      requireAccountedTail(context.env, repositoryAnchors(repoRoot, context.paths), runId, state, journal.opened, { staleLock: undefined, accepted: accepted(context, runId) });
      const killSwitch = killSwitchPresent(join(repoRoot, context.paths.killSwitch));
      if (!killSwitch) requireCleanRepo(repoRoot, context.paths);
      const planText = canonicalJson(plan);
      mkdirSync(runFolder, { recursive: true });
      writeFileSync(join(runFolder, 'plan.json'), planText);
      const engine = new RunEngine(context.env, plan, journal, state, runDirName(runId));
      const snapshot = snapshotRepo(repoRoot, context.paths);
      engine.record('run_started', {
        mission: plan.mission,
        mission_version: plan.mission_version,
        mission_hash: plan.mission_hash,
        inputs_hash: plan.inputs_hash,
        plan_hash: sha256(planText),
        run_id_audit: randomUUID(),
        attempt: state.attempts.length + 1,
        baseline: snapshot,
        baseline_state_hash: stateHash(snapshot),
        governance_surface_hashes: surfaceHashes,
        governance_baseline_hash: governance.baselineHash,
        envelope_policy_hash: envelopePolicyHash(plan),
        mission_files: missionFilesInRepo(repoRoot, [file, ...nestedMissionFiles(plan.steps, context.registry)]),
        mode: context.env.mode,
      });
      return await engine.drive();
    } finally {
      journal.close();
    }
  });
}

/**
 * Continue a run that waits for a human decision (after recording `decisions`), or one whose
 * process died (crash recovery, spec §5.6.4).
 */
export async function resumeMission(runId: string, options: ResumeOptions): Promise<MissionResult> {
  return withSetup(options, (context) => resumeRun(context, runId, options));
}

async function resumeRun(context: Setup, runId: string, options: ResumeOptions): Promise<MissionResult> {
  const id = findRunId(context.env.repoRoot, context.paths, runId);
  return withLock(context, id, peekMission(context, id), async () => {
    const run = openRun(context, id);
    try {
      // A crash of this run was recovered by withLock already (its stale lock): what remains unanchored is no crash's.
      const anchors = repositoryAnchors(context.env.repoRoot, context.paths);
      requireAccountedTail(context.env, anchors, id, run.state, run.journal.opened, { staleLock: undefined, accepted: accepted(context, id) });
      const attempt = openAttempt(run.state);
      if (!attempt && evidenceMissing(run.state, dirname(run.journal.path), anchoredAttempts(anchors))) return writeMissingBundle(context.env, run).result;
      if (!attempt) {
        const last = run.state.attempts[run.state.attempts.length - 1];
        throw new RunPreconditionFailed(`run ${id} is not paused or unfinished (it ended ${last?.finished?.status ?? 'before starting'}); start the mission again instead`);
      }
      if (!attempt.paused) {
        if ((options.decisions ?? []).length > 0) throw new RunPreconditionFailed(`run ${id} is not waiting for a decision (its process died); resume it without one to recover it`);
        return (await recoverRun(context.env, run)).result;
      }
      requireUnchanged(context.env.repoRoot, context.paths, run, attempt.paused.state as RepoSnapshot, `resume run ${id}`);
      const engine = new RunEngine(context.env, run.plan, run.journal, run.state, runDirName(id));
      for (const decision of options.decisions ?? []) recordDecision(engine, run, decision, context.env.signingKey);
      const forged = unboundDecisions(run, context.env.store, context.env.signingKey);
      if (forged.length > 0) {
        const reason = `a recorded decision does not match what was decided: ${forged.join('; ')}`;
        const escalation = await engine.escalate(null, reason, 'critical', { problems: forged });
        return await engine.end('halted', reason, null, escalation);
      }
      engine.record('run_resumed', { request_id: attempt.paused.request_id });
      return await engine.drive();
    } finally {
      run.journal.close();
    }
  });
}

export interface RecoverOptions extends EngineOptions {}

/**
 * Decide the request a paused run waits for (an approval, or the CEO's ruling on an escalation),
 * without resuming it: the decision is journaled, bound to the content decided, and the queue
 * updated; `resumeMission` then goes on only while that content is unchanged.
 */
export async function decideRequest(runId: string, decision: HumanDecision, options: EngineOptions): Promise<{ runId: Sha256; requestId: string }> {
  return withSetup(options, async (context) => {
    const id = findRunId(context.env.repoRoot, context.paths, runId);
    return withLock(context, id, peekMission(context, id), async () => {
      const run = openRun(context, id);
      try {
        const attempt = pausedAttempt(run);
        requireUnchanged(context.env.repoRoot, context.paths, run, attempt.paused.state as RepoSnapshot, `record a decision on run ${id}`);
        recordDecision(new RunEngine(context.env, run.plan, run.journal, run.state, runDirName(id)), run, decision, context.env.signingKey);
        return { runId: id, requestId: decision.request_id ?? attempt.paused.request_id };
      } finally {
        run.journal.close();
      }
    });
  });
}

/**
 * Recover every run whose process died (spec §5.6.4): a stale lock's run and any journal with
 * an unfinished, not paused attempt. Each is continued (completed steps kept, an interrupted
 * writing step compensated and restarted) or rolled back and escalated when unclear.
 */
export async function recoverRuns(options: RecoverOptions): Promise<RecoveryReport[]> {
  return withSetup(options, (context) => recoverAll(context));
}

async function recoverAll(context: Setup): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  // A dead holder's lock goes first; its run, if unfinished, is recovered with the others below.
  const lockPath = join(context.env.repoRoot, context.paths.lock);
  const probe = probeRunLock(lockPath);
  const staleLock = probe.state === 'dead' ? probe.holder : undefined;
  if (probe.state === 'dead') breakStaleLock(lockPath, probe.holder);
  const journals = join(context.env.repoRoot, context.paths.journals);
  const anchored = anchoredAttempts(repositoryAnchors(context.env.repoRoot, context.paths));
  for (const folder of runFolders(context.env.repoRoot, context.paths)) {
    const id = `sha256:${folder}` as Sha256;
    const peeked = foldJournal(readJournal(join(journals, folder, JOURNAL_FILE)).entries);
    if (!needsRecovery(peeked, join(journals, folder), anchored)) continue;
    // Checked again under the lock: it was recovered already if it was the dead holder's run.
    const report = await withLock(context, id, peeked.mission ?? 'unknown', () => recoverUnderLock(context, id, staleLock), (recovered) => reports.push(recovered));
    if (report) reports.push(report);
  }
  return reports;
}

/** Take the lock for `runId`, recovering a dead holder's run first; release it at the end. */
async function withLock<T>(
  context: Setup,
  runId: Sha256,
  missionType: string,
  body: () => Promise<T>,
  onRecovered?: (report: RecoveryReport) => void,
): Promise<T> {
  const lockPath = join(context.env.repoRoot, context.paths.lock);
  let stale: RunLockInfo | undefined;
  const info = { run_id: runId, run_id_audit: randomUUID(), mission_type: missionType, acquired_at: context.env.now().toISOString(), journal_entries: journalLines(context, runId) };
  const key = context.env.signingKey;
  const sign = key ? (payload: string) => signWith(key, payload) : undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = acquireRunLock(lockPath, info, sign);
    if (!taken.acquired) {
      // Break the dead holder's lock (only one process can), take ours, then recover its run under it.
      breakStaleLock(lockPath, taken.stale);
      stale = taken.stale;
      continue;
    }
    try {
      if (stale) {
        const recovered = await recoverStaleHolder(context, stale);
        if (recovered) onRecovered?.(recovered);
      }
      return await body();
    } finally {
      releaseRunLock(lockPath, runId);
    }
  }
  throw new Error(`could not take the run lock ${lockPath} after recovering its previous holder`);
}

/** The dead holder's run is recovered before the lock is broken. */
async function recoverStaleHolder(context: Setup, stale: RunLockInfo): Promise<RecoveryReport | undefined> {
  if (!/^sha256:[0-9a-f]{64}$/.test(stale.run_id)) return undefined;
  const id = stale.run_id as Sha256;
  const folder = join(context.env.repoRoot, context.paths.journals, runDirName(id));
  // No journal or plan yet: the holder died before its run started, so there is nothing to undo.
  if (!existsSync(join(folder, JOURNAL_FILE)) || !existsSync(join(folder, 'plan.json'))) return undefined;
  return recoverUnderLock(context, id, stale);
}

async function recoverUnderLock(context: Setup, runId: Sha256, staleLock: RunLockInfo | undefined): Promise<RecoveryReport | undefined> {
  const run = openRun(context, runId);
  try {
    return await recoverIfNeeded(context.env, run, { staleLock, accepted: accepted(context, runId) });
  } finally {
    run.journal.close();
  }
}

/** The mission a run's journal names, read without opening it for writing. */
function peekMission(context: Setup, runId: Sha256): string {
  const path = join(context.env.repoRoot, context.paths.journals, runDirName(runId), JOURNAL_FILE);
  if (!existsSync(path)) throw new RunPreconditionFailed(`no journal for run ${runId} at ${path}`);
  return foldJournal(readJournal(path).entries).mission ?? 'unknown';
}

/** Open a run for writing: torn tail set aside, journal verified, plan checked against its hash. */
function openRun(context: Setup, runId: Sha256): OpenRun {
  const folder = join(context.env.repoRoot, context.paths.journals, runDirName(runId));
  const journalPath = join(folder, JOURNAL_FILE);
  if (!existsSync(journalPath)) throw new RunPreconditionFailed(`no journal for run ${runId} at ${journalPath}`);
  const torn = quarantineTornTail(journalPath);
  const journal = JournalWriter.open(journalPath, runId, journalOptions(context));
  const state = foldJournal(journal.opened);
  const planPath = join(folder, 'plan.json');
  const planText = readFileSync(planPath, 'utf8');
  if (state.plan_hash && sha256(planText) !== state.plan_hash) {
    journal.close();
    throw new RunPreconditionFailed(`${planPath} does not match the plan hash in the journal (${state.plan_hash}): it was changed after the run started`);
  }
  return { plan: JSON.parse(planText) as ExecutionPlan, journal, state, runDir: runDirName(runId), torn };
}

/** How many lines the run's journal has now (0 if none): recorded in the lock it takes. */
function journalLines(context: Setup, runId: Sha256): number {
  let lines = 0;
  try {
    readChunks(join(context.env.repoRoot, context.paths.journals, runDirName(runId), JOURNAL_FILE), (bytes, end) => {
      for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) lines++;
    });
  } catch {
    return lines;
  }
  return lines;
}

/** Whether the operator accepted the run's unanchored journal tail (an id or a prefix of it). */
function accepted(context: Setup, runId: Sha256): boolean {
  const hex = runId.slice('sha256:'.length);
  return (context.options.acceptUnanchored ?? []).map((given) => given.replace(/^sha256:/, '')).some((prefix) => /^[0-9a-f]{6,64}$/.test(prefix) && hex.startsWith(prefix));
}

function journalOptions(context: Setup): { fsync: boolean; now: () => Date } {
  return { fsync: context.options.fsync ?? true, now: context.env.now };
}

/** Whether the run of that journal was started with this plan's mission and inputs. */
function startedWith(journalPath: string, plan: ExecutionPlan): boolean {
  const started = readJournal(journalPath).entries.find((entry) => entry.type === 'run_started');
  return started?.data.mission_hash === plan.mission_hash && started.data.inputs_hash === plan.inputs_hash;
}

/** The mission and, when it came from a file, that file. */
function findMission(missionOrName: Mission | string, registry: Registry): { mission: Mission; file?: string } {
  if (typeof missionOrName !== 'string') return { mission: missionOrName };
  const { mission, registry: extended, diagnostics } = resolveMission(missionOrName, registry);
  if (!mission) throw new RunPreconditionFailed(diagnostics.map((d) => d.message).join('\n') || `unknown mission "${missionOrName}"`);
  const file = extended.missions.get(mission.mission)?.file;
  return file === undefined ? { mission } : { mission, file };
}

function nestedMissionFiles(nodes: readonly PlanNode[], registry: Registry): Array<string | undefined> {
  return [...planNodes(nodes)].map((node) => (node.type === 'mission' ? registry.missions.get(node.mission)?.file : undefined));
}

function requireHandlers(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>): void {
  const missing = missingHandlers(nodes, handlers);
  if (missing.size > 0) {
    const list = [...missing].map(([operation, node]) => `"${operation}" (first used by step ${node})`).join(', ');
    throw new RunPreconditionFailed(`no handler for operation ${list}; register one: runMission({ handlers }), or \`lifeos-mission run --handlers MODULE\``);
  }
}

function nestedMissionHashes(nodes: readonly PlanNode[], registry: Registry): Record<string, Sha256> {
  const hashes: Record<string, Sha256> = {};
  for (const node of planNodes(nodes)) {
    const entry = node.type === 'mission' ? registry.missions.get(node.mission) : undefined;
    if (entry) hashes[entry.mission.mission] = hashCanonical(entry.mission);
  }
  return hashes;
}

/** Spec §5.6.3: the work tree must be clean (the engine's own files do not count). */
function requireCleanRepo(repoRoot: string, paths: RunPaths): void {
  const status = git(repoRoot, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all', '--', '.', ...excludePathspecs(paths)]);
  const entries = status.split('\0').filter(Boolean);
  if (entries.length > 0) {
    const shown = entries.slice(0, 10).join(', ');
    throw new RunPreconditionFailed(
      `the work tree of ${repoRoot} is not clean (${entries.length} change${entries.length === 1 ? '' : 's'}: ${shown}); commit or stash them before running a mission`,
    );
  }
}

