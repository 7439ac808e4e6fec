/**
 * A fresh attempt of a mission: planned, its handlers present, a crashed run recovered first,
 * the run id computed from the mission, inputs, governance surfaces and HEAD (spec §5.1.3), the
 * work tree required clean, the plan written beside the journal, `run_started` journaled with
 * the baseline, and the engine driven.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { canonicalJson, computeRunId, hashCanonical, sha256, type Sha256 } from '../core/canonical.ts';
import { formatDiagnostic, MissionValidationError } from '../core/errors.ts';
import { planNodes, type ExecutionPlan, type PlanNode } from '../core/plan-model.ts';
import type { Registry } from '../core/registry.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { foldJournal, openAttempt, type AttemptState } from '../core/run-state.ts';
import type { Diagnostic, Mission } from '../core/types.ts';
import { verifyGovernanceBaseline } from '../governance/baseline.ts';
import { requireHandlers } from '../operations/registry.ts';
import { requirePreflight } from './preflight.ts';
import { fileHash, repositoryAnchors, requireVerifiedAnchorLog } from './anchor-log.ts';
import { envelopePolicyHash } from './engine/guards.ts';
import { RunEngine } from './engine/run-engine.ts';
import type { Escalation, MissionResult } from './engine/types.ts';
import { git, snapshotRepo, stateHash } from './git-state.ts';
import { JOURNAL_FILE, JournalWriter, readJournal, runDirName } from './journal.ts';
import { requireRunFolder } from './engine-folders.ts';
import { hiddenChanges } from './hidden-changes.ts';
import { killSwitchPresent } from './kill-switch.ts';
import { accepted, journalOptions, recoverAll, withLock } from './locked-run.ts';
import { planMission, resolveMission } from './mission-library.ts';
import { missionFilesInRepo } from './mission-files.ts';
import { probeRunLock } from './run-lock.ts';
import { MODELS_FILE } from '../agents/config.ts';
import { engineFiles, excludePathspecs } from './run-paths.ts';
import type { RunOptions, Setup } from './run-setup.ts';
import { requireAccountedTail } from './unanchored-tail.ts';

/** Start a new attempt of the mission (the result of a recovery that just completed this very run, if one did). */
export async function startRun(context: Setup, missionOrName: Mission | string, options: RunOptions): Promise<MissionResult> {
  const { mission, file } = await findMission(context, missionOrName);
  const plan = planMission(mission, { inputs: options.inputs ?? {}, registry: context.registry, ...(options.maxOperations === undefined ? {} : { maxOperations: options.maxOperations }) });
  requireHandlers(plan.steps, context.env.handlers, 'register one: runMission({ handlers }), or `lifeos-mission run --handlers MODULE`');
  const { repoRoot } = context.env;
  // A crashed run is recovered first: its rollback may move HEAD, and the run id is computed from
  // HEAD. When recovery completes this very run (same mission and inputs), that is the result.
  if (probeRunLock(join(repoRoot, context.paths.lock)).state === 'dead') {
    const finished = (await recoverAll(context)).find((report) => report.result.status === 'completed' && startedWith(report.result.journalPath, plan));
    if (finished) return finished.result;
  }
  requireVerifiedAnchorLog(repoRoot, context.paths);
  // After recovery: a crashed run's writes (a ticked backlog item) are undone by then.
  requirePreflight(plan.steps, context.env.handlers, { repo_root: repoRoot, mode: context.env.mode });
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
  // The run id's parts but the commit and the model mapping: what a fixture recorded at another
  // commit must share to answer for this run (agents/replay-match.ts).
  const runKey = hashCanonical({ mission: { mission, nested_missions: nestedMissionHashes(plan.steps, context.registry) }, inputs_hash: plan.inputs_hash, governance_surface_hashes: withoutModels(surfaceHashes) });
  return withLock(context, runId, plan.mission, async () => {
    const runFolder = join(repoRoot, context.paths.journals, runDirName(runId));
    requireRunFolder(repoRoot, join(context.paths.journals, runDirName(runId)), JOURNAL_FILE);
    const journal = JournalWriter.open(join(runFolder, JOURNAL_FILE), runId, journalOptions(context));
    try {
      const state = foldJournal(journal.opened);
      if (openAttempt(state)) {
        throw new RunPreconditionFailed(`run ${runId} has an unfinished attempt; continue it with \`lifeos-mission resume ${runId}\``);
      }
      requireSomethingToReplay(context.env.mode, state.attempts, runId, relative(repoRoot, runFolder));
      // A new attempt is anchored with all that precedes it: only what the engine wrote may.
      requireAccountedTail(context.env, repositoryAnchors(repoRoot, context.paths), runId, state, journal.opened, { staleLock: undefined, accepted: accepted(context, runId) });
      const killSwitch = killSwitchPresent(join(repoRoot, context.paths.killSwitch));
      if (!killSwitch) await requireCleanRepo(context, runId, plan.mission);
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
        run_key: runKey,
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
 * A replay where the same run already completed would skip every step it completed and call no
 * model: it would replay nothing and pass. It is refused, saying where to replay instead.
 */
function requireSomethingToReplay(mode: string, attempts: readonly AttemptState[], runId: Sha256, runFolder: string): void {
  const last = attempts[attempts.length - 1];
  if (mode !== 'replay' || last?.finished?.status !== 'completed') return;
  throw new RunPreconditionFailed(
    `run ${runId} already completed in this repository (attempt ${last.attempt}, ${runFolder}): a replay here would skip every step and replay nothing. Replay in a fresh clone, or with replayMission from lifeos-mission/testing, which replays in a private copy of the repository`,
  );
}

function withoutModels(surfaces: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(surfaces).filter(([path]) => path !== MODELS_FILE));
}

/** Whether the run of that journal was started with this plan's mission and inputs. */
function startedWith(journalPath: string, plan: ExecutionPlan): boolean {
  const started = readJournal(journalPath).entries.find((entry) => entry.type === 'run_started');
  return started?.data.mission_hash === plan.mission_hash && started.data.inputs_hash === plan.inputs_hash;
}

/** The mission and, when it came from a file, that file. */
async function findMission(context: Setup, missionOrName: Mission | string): Promise<{ mission: Mission; file?: string }> {
  if (typeof missionOrName !== 'string') return { mission: missionOrName };
  const { mission, registry: extended, diagnostics } = resolveMission(missionOrName, context.registry);
  if (!mission) {
    // A name that is no mission, or a file that cannot be read, is the caller's mistake; a mission that does not validate halts and escalates.
    if (diagnostics.length === 0 || diagnostics.some((d) => d.code === 'E_FILE')) throw new RunPreconditionFailed(diagnostics.map((d) => d.message).join('\n') || `unknown mission "${missionOrName}"`);
    return refuseInvalidMission(context, missionOrName, diagnostics);
  }
  const file = extended.missions.get(mission.mission)?.file;
  return file === undefined ? { mission } : { mission, file };
}

/**
 * Spec §5.3.1: a mission that fails validation halts and escalates: a critical queue item and
 * the host's escalation sink, once per file content and problems (running it again is the same
 * item). There is no run yet, so the escalation has no run id; the diagnostics are its evidence.
 */
async function refuseInvalidMission(context: Setup, file: string, diagnostics: Diagnostic[]): Promise<never> {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const error = new MissionValidationError(diagnostics, `mission file ${file}`);
  const reason = `mission file ${file} is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}): ${errors.slice(0, 3).map(formatDiagnostic).join('; ')}`;
  const queued = await escalateBeforeStart(context, {
    escalation_id: hashCanonical({ refused: 'invalid_mission', file: resolve(file), content: fileHash(file), problems: errors.map(formatDiagnostic) }),
    run_id: null,
    mission: basename(file, extname(file)),
    node: null,
    reason,
    severity: 'critical',
    evidence: { file: resolve(file), diagnostics: errors.slice(0, 100) },
  });
  if (queued !== undefined) error.queueItem = queued;
  throw error;
}

/**
 * A mission refused before it started, escalated (spec §5.3.1, §5.6.3): a critical queue item
 * (the same refusal again is the same item) and the host's sink. Returns the queue item's id.
 */
async function escalateBeforeStart(context: Setup, escalation: Escalation): Promise<number | undefined> {
  const queued = context.env.store?.queueEscalation({ escalation_id: escalation.escalation_id, mission_id: null, reason: `mission ${escalation.mission} halted before it started: ${escalation.reason}`, severity: escalation.severity, created_at: context.env.now().toISOString(), resolved_at: null, resolution: null, resolved_by: null, notes: null });
  try {
    await context.env.escalations?.(escalation);
  } catch {
    // The queue has it; the refusal is what the caller acts on.
  }
  return queued?.id;
}

function nestedMissionFiles(nodes: readonly PlanNode[], registry: Registry): Array<string | undefined> {
  return [...planNodes(nodes)].map((node) => (node.type === 'mission' ? registry.missions.get(node.mission)?.file : undefined));
}

function nestedMissionHashes(nodes: readonly PlanNode[], registry: Registry): Record<string, Sha256> {
  const hashes: Record<string, Sha256> = {};
  for (const node of planNodes(nodes)) {
    const entry = node.type === 'mission' ? registry.missions.get(node.mission) : undefined;
    if (entry) hashes[entry.mission.mission] = hashCanonical(entry.mission);
  }
  return hashes;
}

/**
 * The work tree must be clean (the engine's own files do not count). A dirty one halts the
 * mission before it starts and escalates (spec §5.6.3): queued for
 * the CEO and given to the host's escalation sink, once per state (the same changes refused
 * again are the same item), with the changed paths as evidence.
 */
async function requireCleanRepo(context: Setup, runId: Sha256, mission: string): Promise<void> {
  const { repoRoot } = context.env;
  const status = git(repoRoot, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all', '--', '.', ...excludePathspecs(context.paths)]);
  const entries = [...status.split('\0').filter(Boolean), ...hiddenChanges(repoRoot, context.paths)];
  if (entries.length === 0) return;
  const shown = entries.slice(0, 10).join(', ');
  const reason = `the work tree of ${repoRoot} is not clean (${entries.length} change${entries.length === 1 ? '' : 's'}: ${shown}); commit or stash them before running a mission`;
  const evidence = { changes: entries.slice(0, 100), count: entries.length };
  const queued = await escalateBeforeStart(context, { escalation_id: hashCanonical({ run_id: runId, refused: 'dirty_work_tree', changes: entries }), run_id: runId, mission, node: null, reason, severity: 'critical', evidence });
  throw new RunPreconditionFailed(`${reason}${queued !== undefined ? ` (escalated: queue item ${queued})` : ''}`);
}
