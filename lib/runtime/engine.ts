/**
 * The one loop that acts (CONVENTIONS habit 1): walks an execution plan, calls operation
 * handlers, and journals every transition before acting on it. A writing operation's
 * pre-state is journaled before it runs, so a crash at any point can be undone. When a run
 * cannot complete, every write it made is compensated in reverse order, each verified against
 * its pre-state, and the repository is checked against the run's baseline (restored to it
 * if a compensation fell short): a mission completes or leaves nothing behind (spec §3.8).
 *
 * Used by runMission (a fresh attempt), resumeMission (after a human decision) and recovery
 * (after a crash); they differ only in the journal they continue.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson, hashCanonical, type Sha256 } from '../core/canonical.ts';
import type { JournalEntry } from '../core/journal-chain.ts';
import { planNodes, type ExecutionPlan, type PlanHumanNode, type PlanMissionNode, type PlanNode, type PlanOperationNode } from '../core/plan.ts';
import { resolveValue } from '../core/resolve.ts';
import type { Redact } from '../core/redact.ts';
import { missionId, runRows, type EscalationRecord } from '../core/store-rows.ts';
import type { Envelope } from '../core/types.ts';
import { BudgetExceeded, EnvelopeViolation, GovernanceMismatch } from '../core/governance-errors.ts';
import { EscalationRequired, KillSwitchActive, OperationFailed } from '../core/run-errors.ts';
import { applyEntry, openAttempt, type AttemptState, type InFlightOperation, type OperationReceipt, type RunState, type RunStatus } from '../core/run-state.ts';
import { callLogPath } from '../agents/call-log.ts';
import { BASELINE_FILE, governanceRecord, verifyGovernanceBaseline } from '../governance/baseline.ts';
import { diffGateViolations, envelopeChains, missionBudget, reportedCost, toolOrRoleProblem } from '../governance/step-guards.ts';
import { builderPolicy, writeChain } from '../governance/write-policy.ts';
import { filesHoldingSecrets } from '../governance/secret-scan.ts';
import type { OperationContext, OperationHandler, PacketTransform } from '../operations/handler.ts';
import type { ChildEnvPolicy } from '../tools/child-env.ts';
import type { SandboxSettings } from '../tools/sandbox.ts';
import { appendAnchor, fileHash, type AnchorFields } from './anchor-log.ts';
import { bundlePath, writeBundle, BUNDLE_VERSION, type BundleHeader } from './bundle.ts';
import type { SigningKey } from './signing.ts';
import { compensate } from './compensation.ts';
import { spentOnDay } from './daily-spend.ts';
import { describeForeign, foreignChanges, undoOwnChanges } from './foreign-changes.ts';
import { captureProtected, protectedChanges, restoreProtected, type ProtectedCapture } from './protected-state.ts';
import { changedEntries, MAX_WORKTREE_FILE_BYTES, restoreRepo, snapshotDiff, snapshotRepo, stateHash, type RepoSnapshot } from './git-state.ts';
import type { JournalWriter } from './journal.ts';
import { killSwitchPresent, writeKillSwitchEvidence } from './kill-switch.ts';
import { checkParams } from './params-check.ts';
import { engineFiles, excludePathspecs, type RunPaths } from './run-paths.ts';
import { isOpen, type StateStore } from './store/state-store.ts';

/** An escalation (spec §5.5): raised through one interface, always journaled first. */
export interface Escalation {
  /** Deterministic: the same run, node and reason give the same id. */
  escalation_id: Sha256;
  run_id: Sha256;
  mission: string;
  node: string | null;
  reason: string;
  severity: 'info' | 'warning' | 'critical';
  evidence: Record<string, unknown>;
}

/** Where escalations go besides the journal (the state store's queue backs it). */
export type EscalationSink = (escalation: Escalation) => void | Promise<void>;

/** A journal entry as a host sees it (onEvent). */
export type RunEvent = JournalEntry;

export interface EngineEnvironment {
  repoRoot: string;
  paths: RunPaths;
  handlers: ReadonlyMap<string, OperationHandler>;
  transforms: ReadonlyMap<string, PacketTransform>;
  schemas: ReadonlyMap<string, object>;
  mode: 'live' | 'record' | 'replay';
  signal: AbortSignal | undefined;
  onEvent: ((event: RunEvent) => void) | undefined;
  escalations: EscalationSink | undefined;
  store: StateStore | undefined;
  /** Governance surface patterns added to the built-in ones (spec §2.3). */
  governanceSurfaces: readonly string[];
  /** Protected paths added to the built-in ones (spec §2.4). */
  protectedPaths: readonly string[];
  /** The day's spending ceiling across runs, in USD. */
  dailyBudgetUsd: number | undefined;
  /** Removes secrets from everything the engine writes or returns. */
  redact: Redact;
  /** The secret values themselves (the API key, the host's), which no step may write into a file. */
  secrets: readonly string[];
  /** How builders and tests are confined. */
  sandbox: SandboxSettings;
  /** What child processes may see of the host's environment. */
  childEnv: ChildEnvPolicy;
  /** Signs the anchor log's entries (LIFEOS_SIGNING_KEY); none: anchors are unsigned. */
  signingKey: SigningKey | undefined;
  /** fsync journal and anchor appends. */
  fsync: boolean;
  now: () => Date;
}

/** Entries that change the run's mission_runs row or step_logs. */
const INDEXED: ReadonlySet<string> = new Set([
  'run_started',
  'recovery',
  'step_started',
  'step_skipped',
  'step_finished',
  'operation_failed',
  'compensated',
  'human_requested',
  'run_paused',
  'run_resumed',
  'run_finished',
]);

/** Of those, the ones saved at once; the others at most every STORE_INTERVAL_MS. */
const SAVED_AT_ONCE: ReadonlySet<string> = new Set(['run_started', 'recovery', 'run_paused', 'run_resumed', 'run_finished']);

/**
 * Each save re-derives the attempt's rows and rewrites them (a whole file for lowdb), so saving
 * after every step would make a 10,000-step fan-out quadratic. Step rows lag by at most this.
 */
const STORE_INTERVAL_MS = 250;
export interface MissionResult {
  status: RunStatus;
  runId: Sha256;
  runIdAudit: string;
  mission: string;
  outputs: Record<string, unknown> | null;
  journalPath: string;
  /** The completion bundle; null while the run waits for a human. */
  bundlePath: string | null;
  escalation?: Escalation;
  /** Why the run did not complete. */
  error?: { message: string; node: string | null };
  /** The approval request a paused run waits for. */
  awaiting?: { request_id: string; node: string };
  /** HEAD after the run, when the run moved it (a commit). */
  commit: string | null;
  /** Evidence folder of a run that did not complete. */
  evidencePath?: string;
}

/** Stops the run without rollback: a human step waits for a decision. */
class HumanPause {
  constructor(
    readonly requestId: string,
    readonly node: string,
    readonly escalation?: Escalation,
  ) {}
}

/** A governance breach, already escalated: the run ends escalated and is rolled back. */
class GovernanceHalt extends Error {
  constructor(
    readonly nodeId: string | null,
    readonly escalation: Escalation,
  ) {
    super(escalation.reason);
  }
}

/** The host cancelled the run through its AbortSignal. */
class HostAbort extends Error {}

export class RunEngine {
  private readonly outputs = new Map<string, { value: unknown }>();
  private storeFailed = false;
  /** Envelopes in force for each operation node, outermost first. */
  private readonly envelopes: Map<string, Envelope[]>;
  private spentUsd = 0;
  private spentTodayUsd = 0;
  /** Governance hashes in force, from the check at the start of drive(). */
  private governance: { baseline_hash: Sha256 | null; surfaces_hash: Sha256; envelope_policy_hash: Sha256 } | undefined;
  private storeDirty = false;
  // Every entry of the run, for the store's rows (runRows folds them all at each save).
  private readonly entries: JournalEntry[];
  private storeSavedAt = 0;
  /** State hash after the last write: the pre- and post-state of a read-only operation. */
  private lastStateHash: Sha256 | undefined;
  /** The state itself, where known (a journal written before post-states were kept has only the hash). */
  private lastState: RepoSnapshot | undefined;
  /** The repository's builder policy (config/envelope_policy.yaml), read once the surfaces are verified. */
  private policy: Envelope[] = [];
  /** Git's protected parts (and the lock) as the run last left them: nothing may change them between writing steps. */
  private settled: ProtectedCapture | undefined;
  private readonly runSignal: AbortSignal;
  // Own timers rather than AbortSignal.timeout(), whose unref'd timer lets the process exit while
  // a handler waits for the signal.
  private readonly missionTimeout = new AbortController();
  /** What tools leave out of `git status` (the engine's files), and those files; fixed for the run. */
  private readonly excludePathspecs: readonly string[];
  private readonly enginePaths: readonly string[];
  private missionTimer: NodeJS.Timeout | undefined;
  private env: EngineEnvironment;

  constructor(
    env: EngineEnvironment,
    private readonly plan: ExecutionPlan,
    private readonly journal: JournalWriter,
    private readonly state: RunState,
    /** The run's folder name (its id without `sha256:`). */
    private readonly runDir: string,
  ) {
    this.env = env;
    this.excludePathspecs = excludePathspecs(env.paths);
    this.enginePaths = engineFiles(env.paths).map((file) => file.path);
    this.runSignal = env.signal ? AbortSignal.any([env.signal, this.missionTimeout.signal]) : this.missionTimeout.signal;
    this.envelopes = envelopeChains(plan);
    this.entries = [...journal.opened];
  }

  get runId(): Sha256 {
    return this.journal.runId;
  }

  /** Append an entry, fold it into the run state, index it in the store, tell the host. */
  record(type: string, data: Record<string, unknown>): JournalEntry {
    const entry = this.journal.append(type, this.env.redact(data));
    this.entries.push(entry);
    applyEntry(this.state, entry);
    this.index(entry);
    try {
      this.env.onEvent?.(entry);
    } catch {
      // A host's event callback cannot break the run.
    }
    return entry;
  }

  /**
   * Keep the store in step with the journal: the attempt's rows, and the approval queue. The
   * journal is the source of truth, so a store that fails is recorded once and then left alone
   * for the rest of the run (`lifeos-mission store rebuild` re-derives it), never fatal.
   */
  private index(entry: JournalEntry): void {
    const store = this.env.store;
    if (!store || this.storeFailed) return;
    try {
      const attempt = this.state.attempts[this.state.attempts.length - 1];
      const mission = attempt ? missionId(this.plan.mission, this.runId, attempt.attempt) : null;
      const data = entry.data;
      if (entry.type === 'escalated' && data.delivery_error === undefined) {
        store.queueEscalation(queued(data.escalation_id as Sha256, mission, String(data.reason), data.severity as Escalation['severity'], entry.at));
      } else if (entry.type === 'human_requested') {
        store.queueEscalation(queued(data.request_id as Sha256, mission, `step ${String(data.node)} asks for a human decision`, 'info', entry.at));
      } else if (entry.type === 'human_decided') {
        const row = store.findEscalation(String(data.request_id));
        if (row && isOpen(row)) {
          store.resolveEscalation(row.escalation_id, { resolution: data.decision as 'approved' | 'rejected', resolved_by: String(data.by), resolved_at: entry.at, notes: (data.note as string | null) ?? null });
        }
      }
      if (INDEXED.has(entry.type)) this.storeDirty = true;
      if (this.storeDirty && (SAVED_AT_ONCE.has(entry.type) || performance.now() - this.storeSavedAt >= STORE_INTERVAL_MS)) {
        const rows = runRows(this.entries, (n) => relativeTo(this.env.repoRoot, bundlePath(dirname(this.journal.path), n)));
        const last = rows[rows.length - 1];
        if (last) store.saveRun(last);
        this.storeDirty = false;
        this.storeSavedAt = performance.now();
      }
    } catch (error) {
      this.storeFailed = true;
      this.record('store_failed', { store: store.path, message: (error as Error).message });
    }
  }

  /** Drive the plan to its end from wherever the journal stands (completed steps are skipped). */
  async drive(): Promise<MissionResult> {
    const attempt = this.attempt();
    // The walk starts at the first step; skipped steps move it along their recorded states.
    this.lastStateHash = stateHash(attempt.baseline);
    this.lastState = attempt.baseline as RepoSnapshot;
    // Mission files inside the repository are governance surfaces: no step may write them. And an
    // attempt goes on in the mode it started in: a replay run recovered or resumed stays replay,
    // whatever key the environment holds now.
    this.env = { ...this.env, protectedPaths: [...this.env.protectedPaths, ...missionFilesOf(this.entries)], mode: journaledMode(this.entries, attempt.started_seq) ?? this.env.mode };
    this.missionTimer = setTimeout(() => this.missionTimeout.abort(), this.plan.timeout_seconds * 1000);
    try {
      this.checkKillSwitch('before the mission');
      this.checkGovernance();
      this.policy = builderPolicy(this.env.repoRoot);
      this.settled = captureProtected(this.env.repoRoot, this.env.paths);
      this.spentUsd = this.entries.filter((e) => e.type === 'operation_finished' && e.seq > attempt.started_seq).reduce((sum, e) => sum + reportedCost(e.data.output), 0);
      if (this.env.dailyBudgetUsd !== undefined) this.spentTodayUsd = spentOnDay(this.env.repoRoot, this.env.paths, this.env.now().toISOString().slice(0, 10));
      for (const [index, condition] of this.plan.preconditions.entries()) {
        if (resolveValue(condition, this.output) !== true) {
          throw new OperationFailed(this.plan.mission, 'precondition', `precondition ${index + 1} is false`);
        }
      }
      for (const node of this.plan.steps) await this.runNode(node);
      const outputs = resolveValue(this.plan.outputs, this.output) as Record<string, unknown>;
      await this.requireSettled(null, captureProtected(this.env.repoRoot, this.env.paths), 'at the end of the run');
      const final = snapshotRepo(this.env.repoRoot, this.env.paths);
      await this.requireOwnState(null, final, 'at the end of the run');
      this.record('run_finished', { status: 'completed', outputs, final_state: final, final_state_hash: stateHash(final) });
      return this.finish('completed', final, outputs);
    } catch (error) {
      return this.stop(error);
    } finally {
      clearTimeout(this.missionTimer);
    }
  }

  private attempt() {
    const attempt = openAttempt(this.state);
    if (!attempt) throw new Error(`run ${this.runId} has no attempt in progress`);
    return attempt;
  }

  /** A finished node's output, for resolving references. */
  private readonly output = (id: string): { value: unknown } | undefined => this.outputs.get(id);

  private async runNode(node: PlanNode): Promise<void> {
    switch (node.type) {
      case 'operation':
        return this.runOperation(node);
      case 'human':
        return this.runHuman(node);
      case 'mission':
        return this.runMission(node);
      case 'fan_out': {
        this.record('step_started', { node: node.id, step_id: node.step_id, kind: 'fan_out', instances: node.instances.length });
        for (const instance of node.instances) await this.runNode(instance);
        this.outputs.set(node.id, { value: node.instances.map((instance) => this.outputs.get(instance.id)?.value ?? null) });
        this.record('step_finished', { node: node.id, status: 'completed' });
        return;
      }
    }
  }

  private async runMission(node: PlanMissionNode): Promise<void> {
    this.record('step_started', { node: node.id, step_id: node.step_id, kind: 'mission', mission: node.mission });
    for (const [index, condition] of node.preconditions.entries()) {
      if (this.resolve(node.id, 'precondition', condition) !== true) {
        throw new OperationFailed(node.id, `mission ${node.mission}`, `precondition ${index + 1} is false`);
      }
    }
    for (const step of node.steps) await this.runNode(step);
    this.outputs.set(node.id, { value: this.resolve(node.id, `mission ${node.mission}`, node.outputs) });
    this.record('step_finished', { node: node.id, status: 'completed' });
  }

  private resolve(nodeId: string, what: string, value: Parameters<typeof resolveValue>[0]): unknown {
    try {
      return resolveValue(value, this.output);
    } catch (error) {
      throw new OperationFailed(nodeId, what, (error as Error).message, { cause: error });
    }
  }

  private runHuman(node: PlanHumanNode): void {
    this.checkKillSwitch(`before step ${node.id}`);
    const params = this.resolve(node.id, 'human', node.params) as Record<string, unknown>;
    const requestId = hashCanonical({ run_id: this.runId, node: node.id, params });
    const decision = this.state.human_decisions.get(requestId);
    if (decision?.decision === 'approved') {
      this.outputs.set(node.id, { value: { approved: true, by: decision.by, note: decision.note } });
      this.record('step_finished', { node: node.id, status: 'completed', request_id: requestId });
      return;
    }
    if (decision?.decision === 'rejected') {
      throw new OperationFailed(node.id, 'human', `rejected by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`);
    }
    if (!this.state.human_requests.has(requestId)) {
      this.record('step_started', { node: node.id, step_id: node.step_id, kind: 'human' });
      this.record('human_requested', { node: node.id, request_id: requestId, params });
    }
    throw new HumanPause(requestId, node.id);
  }

  /**
   * A step raised an escalation (spec §5.5): it is journaled and queued, and the run stops for
   * the CEO's decision (awaiting_human). Approved, the step is passed as a CEO override when the
   * run resumes; rejected, the run ends and is rolled back.
   */
  private async escalateStep(nodeId: string, error: EscalationRequired): Promise<never> {
    const escalation = await this.escalate(nodeId, error.reason, error.severity, error.evidence);
    this.record('human_requested', { node: nodeId, request_id: escalation.escalation_id, kind: 'escalation', reason: error.reason, severity: error.severity, evidence: error.evidence });
    throw new HumanPause(escalation.escalation_id, nodeId, escalation);
  }

  /**
   * The escalation this step raised earlier in the attempt, if any: approved, the step completes
   * as a CEO override without running again (returns true); rejected, the run fails; undecided,
   * the run pauses again.
   */
  private decidedEscalation(node: PlanOperationNode): boolean {
    const attempt = this.attempt();
    const request = [...this.state.human_requests].find(([, r]) => r.node === node.id && r.kind === 'escalation' && r.seq > attempt.started_seq);
    if (!request) return false;
    const [requestId] = request;
    const decision = this.state.human_decisions.get(requestId);
    if (!decision) throw new HumanPause(requestId, node.id);
    if (decision.decision === 'rejected') {
      throw new OperationFailed(node.id, node.operation, `escalation rejected by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`);
    }
    const output = { ceo_override: true, escalation_id: requestId, by: decision.by, rationale: decision.note };
    this.outputs.set(node.id, { value: output });
    this.record('step_finished', { node: node.id, status: 'completed', ceo_override: output });
    return true;
  }

  private async runOperation(node: PlanOperationNode): Promise<void> {
    this.checkKillSwitch(`before step ${node.id}`);
    const handler = this.env.handlers.get(node.operation);
    if (!handler) throw new OperationFailed(node.id, node.operation, `no handler is registered for operation "${node.operation}"`);
    const params = this.resolve(node.id, node.operation, node.params) as Record<string, unknown>;
    // The state the step starts from is part of its key: the same step on a different state is
    // a different operation, never skipped.
    const key = hashCanonical({ run_id: this.runId, node: node.id, operation: node.operation, params, pre_state_hash: this.lastStateHash as Sha256 });
    const operationId = hashCanonical({ run_id: this.runId, operation_node: node.id });
    const done = this.state.completed.get(key);
    // A write completed by an earlier attempt is not in this attempt's repository (it was undone,
    // or the attempt started from a clean baseline without it): only read-only results carry over.
    if (done && (!done.writes || done.attempt === this.attempt().attempt)) {
      this.outputs.set(node.id, { value: done.output });
      this.lastStateHash = done.receipt.post_state_hash;
      if (done.writes) this.lastState = (done.post as RepoSnapshot | null) ?? undefined;
      this.record('step_skipped', { node: node.id, operation_id: operationId, idempotency_key: key, completed_seq: done.seq });
      return;
    }
    if (this.decidedEscalation(node)) return;
    this.record('step_started', { node: node.id, step_id: node.step_id, kind: 'runtime', operation: node.operation });
    const problem = await checkParams(handler, params);
    if (problem) throw new OperationFailed(node.id, node.operation, problem);
    const chain = this.envelopes.get(node.id) ?? [];
    const forbidden = toolOrRoleProblem(node.operation, params, chain);
    if (forbidden) await this.haltForGovernance(node.id, `envelope violation at step ${node.id}: ${forbidden}`, { operation: node.operation, params, envelopes: chain });
    this.checkKillSwitch(`before operation ${node.id}`);
    this.checkSignal(node);
    const pre = node.writes ? snapshotRepo(this.env.repoRoot, this.env.paths) : null;
    if (pre) await this.requireOwnState(node.id, pre, `before step ${node.id}`);
    const preHash = pre ? stateHash(pre) : (this.lastStateHash as Sha256);
    this.record('operation_started', {
      node: node.id,
      operation: node.operation,
      operation_id: operationId,
      idempotency_key: key,
      writes: node.writes,
      compensation_type: node.compensation.type,
      compensation_command: node.compensation.command,
      params,
      pre,
      pre_state_hash: preHash,
    });
    const context = this.context(node, operationId, params);
    // Captured after the last journal entry before the handler runs: the journal is protected too.
    const preProtected = node.writes ? captureProtected(this.env.repoRoot, this.env.paths) : null;
    if (preProtected) await this.requireSettled(node.id, preProtected, `before step ${node.id}`);
    let output: unknown;
    try {
      output = await this.invoke(handler, params, context, node);
      output = output === undefined ? null : output;
      canonicalJson(output);
    } catch (error) {
      this.record('operation_failed', { node: node.id, operation_id: operationId, error: describeError(error) });
      const inFlight = this.attempt().in_flight;
      if (inFlight) await this.compensateOne(inFlight);
      if (error instanceof EscalationRequired) await this.escalateStep(node.id, error);
      // A tool that refused a path itself (before writing) is the same breach as one the diff gate finds.
      if (error instanceof EnvelopeViolation) await this.haltForGovernance(node.id, `envelope violation at step ${node.id}: ${error.message}`, { violation: error.evidence });
      throw error instanceof OperationFailed || error instanceof HostAbort || error instanceof GovernanceMismatch ? error : new OperationFailed(node.id, node.operation, (error as Error).message ?? String(error), { cause: error });
    }
    // Protected parts first: a driver or hook a step put into .git/config is removed before the engine runs git again.
    const hidden = preProtected ? this.restoreHidden(node, params, preProtected) : [];
    const seen = { oversize: [] as string[] };
    const post = node.writes ? snapshotRepo(this.env.repoRoot, this.env.paths, seen) : null;
    if (pre && post) await this.diffGate(node, operationId, context.envelopes, pre, post, hidden, seen.oversize);
    const postHash = post ? stateHash(post) : preHash;
    this.lastStateHash = postHash;
    if (post) this.lastState = post;
    const receipt: OperationReceipt = {
      operation_id: operationId,
      timestamp: this.env.now().toISOString(),
      pre_state_hash: preHash,
      post_state_hash: postHash,
      compensation_type: node.compensation.type,
      compensation_command: node.compensation.command,
      idempotency_key: key,
      compensation_verified: false,
      governance_baseline_hash: this.governance?.baseline_hash ?? null,
      governance_surfaces_hash: this.governance?.surfaces_hash ?? null,
      envelope_policy_hash: this.governance?.envelope_policy_hash ?? null,
    };
    this.record('operation_finished', { node: node.id, operation_id: operationId, output, receipt, post });
    this.outputs.set(node.id, { value: output });
    this.record('step_finished', { node: node.id, status: 'completed' });
    await this.checkBudget(node, chain, reportedCost(output));
  }

  /**
   * A governance breach (spec §5.5: an envelope violation, a write to a protected path, a budget
   * passed) HALTs the run: it is escalated, and the run ends `escalated`, rolled back to its
   * pre-run state. Unlike a gate's escalation, there is nothing to override and go on with.
   */
  private async haltForGovernance(nodeId: string, reason: string, evidence: Record<string, unknown>): Promise<never> {
    throw new GovernanceHalt(nodeId, await this.escalate(nodeId, reason, 'critical', evidence));
  }

  /**
   * The repository-state lock (spec §5.6.3): the state found must be the one the run left. Any
   * other change is someone else's work: the run halts (escalated) and its rollback undoes only
   * the run's own changes.
   */
  private async requireOwnState(nodeId: string | null, found: RepoSnapshot, when: string): Promise<void> {
    if (stateHash(found) === this.lastStateHash) return;
    const foreign = this.lastState ? foreignChanges(this.env.repoRoot, this.lastState, found) : null;
    const what = foreign ? describeForeign(foreign) : 'the repository state differs from the one the run left';
    const reason = `the repository was changed outside the run ${when}: ${what}; those changes are left as they are and nothing is committed`;
    throw new GovernanceHalt(nodeId, await this.escalate(nodeId, reason, 'critical', { foreign_changes: foreign, expected_state_hash: this.lastStateHash ?? null, found_state_hash: stateHash(found) }));
  }

  /** Protected parts (git's and the engine's) a writing step changed, put back at once; their paths. */
  private restoreHidden(node: PlanOperationNode, params: Record<string, unknown>, before: ProtectedCapture): string[] {
    const refsMayMove = node.operation === 'tool_invoke' && params.tool === 'git' && ['branch', 'checkout', 'commit'].includes(String(params.action));
    const after = captureProtected(this.env.repoRoot, this.env.paths);
    const hidden = protectedChanges(before, after, { refsMayMove });
    if (hidden.length > 0) restoreProtected(before, hidden, this.env.repoRoot);
    this.settled = hidden.length > 0 ? captureProtected(this.env.repoRoot, this.env.paths) : after;
    return hidden;
  }

  /**
   * Git's parts and the lock must be as the last writing step left them. Between steps, a change
   * there is a step declared read-only that wrote, or someone else (a new branch, a stash): it is
   * left as found (it may be someone's work) and the run halts. The engine's own git calls are
   * hardened, so nothing injected there runs meanwhile.
   */
  private async requireSettled(nodeId: string | null, now: ProtectedCapture, when: string): Promise<void> {
    if (!this.settled) return;
    const changed = protectedChanges(this.settled, now, { gitOnly: true });
    if (changed.length === 0) return;
    const reason = `envelope violation ${when}: ${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ` (and ${changed.length - 3} more)` : ''} changed outside any writing step (git's configuration, hooks and refs are protected); left as found, for a person to look at`;
    throw new GovernanceHalt(nodeId, await this.escalate(nodeId, reason, 'critical', { protected_changed: changed }));
  }

  /**
   * The post-run diff gate (spec §5.5): every path a writing operation changed must be one its
   * envelopes allow it to write (or delete) and not a protected one; otherwise the operation is
   * undone and the run halts.
   */
  private async diffGate(node: PlanOperationNode, operationId: string, chain: readonly Envelope[], pre: RepoSnapshot, post: RepoSnapshot, hidden: readonly string[], oversize: readonly string[]): Promise<void> {
    // The index too: a path staged without touching the work tree would be committed by the next `git commit`.
    const changed = uniqueByPath([...changedEntries(this.env.repoRoot, pre, post), ...changedEntries(this.env.repoRoot, pre, post, 'index_tree')]);
    const violations = diffGateViolations(changed, chain, { repoRoot: this.env.repoRoot, protectedPaths: this.env.protectedPaths });
    const leaks = filesHoldingSecrets(this.env.repoRoot, changed.filter((c) => !c.deleted).map((c) => c.path), this.env.secrets);
    if (violations.length === 0 && hidden.length === 0 && leaks.length === 0 && oversize.length === 0) return;
    const reasons = [
      ...hidden.map((path) => `${path} is protected from modification (outside the work tree: git's configuration, hooks or refs, or the engine's own state)`),
      ...leaks.map((path) => `${path} holds a secret (an API key or a value the host marked secret)`),
      ...oversize.map((path) => `${path} is over ${MAX_WORKTREE_FILE_BYTES} bytes and is refused unread`),
      ...violations.map((v) => v.reason),
    ];
    const reason = `envelope violation at step ${node.id}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : ''}`;
    this.record('operation_failed', { node: node.id, operation_id: operationId, error: { name: 'EnvelopeViolation', message: reason } });
    const inFlight = this.attempt().in_flight;
    if (inFlight) await this.compensateOne(inFlight);
    await this.haltForGovernance(node.id, reason, { violations: violations.map((v) => v.evidence), protected_changed: hidden, secret_in: leaks, oversize });
  }

  /** Budgets (spec §5.5): the run's spending against the envelopes' limit and the day's against the host's ceiling. */
  private async checkBudget(node: PlanOperationNode, chain: readonly Envelope[], cost: number): Promise<void> {
    if (cost === 0) return;
    this.spentUsd += cost;
    this.spentTodayUsd += cost;
    const limit = missionBudget(chain);
    const exceeded =
      limit !== undefined && this.spentUsd > limit
        ? new BudgetExceeded('mission', limit, this.spentUsd)
        : this.env.dailyBudgetUsd !== undefined && this.spentTodayUsd > this.env.dailyBudgetUsd
          ? new BudgetExceeded('daily', this.env.dailyBudgetUsd, this.spentTodayUsd)
          : undefined;
    if (exceeded) await this.haltForGovernance(node.id, `${exceeded.message} after step ${node.id}`, { limit: exceeded.limit, limit_usd: exceeded.limitUsd, spent_usd: exceeded.spentUsd });
  }

  private context(node: PlanOperationNode, operationId: string, params: Record<string, unknown>): Omit<OperationContext, 'signal'> {
    const baseline = this.attempt().baseline;
    return {
      run_id: this.runId,
      run_id_audit: this.state.run_id_audit ?? '',
      mission_id: missionId(this.plan.mission, this.runId, this.attempt().attempt),
      mission_type: this.plan.mission,
      step_id: node.step_id,
      repo_root: this.env.repoRoot,
      baseline_commit: baseline.head,
      envelope: node.envelope ?? this.plan.envelope,
      journal: this.journal,
      node_id: node.id,
      operation: {
        operation_id: operationId,
        type: node.operation,
        params,
        compensation_type: node.compensation.type,
        compensation_command: node.compensation.command,
      },
      mode: this.env.mode,
      transforms: this.env.transforms,
      schemas: this.env.schemas,
      envelopes: writeChain(this.envelopes.get(node.id) ?? [], node.operation, params, this.policy),
      protected_paths: this.env.protectedPaths,
      exclude_pathspecs: this.excludePathspecs,
      engine_paths: this.enginePaths,
      sandbox: this.env.sandbox,
      child_env: this.env.childEnv,
    };
  }

  /** Call the handler under the step's and the mission's time limits. */
  private async invoke(handler: OperationHandler, params: Record<string, unknown>, base: Omit<OperationContext, 'signal'>, node: PlanOperationNode): Promise<unknown> {
    const stepTimeout = node.timeout_seconds === null ? undefined : new AbortController();
    const stepTimer = stepTimeout && setTimeout(() => stepTimeout.abort(), (node.timeout_seconds as number) * 1000);
    // A signal of its own for every step, even without a timeout: listeners a handler (or a
    // library it uses) leaves on it go with the step instead of piling up on the run's signal.
    const signal = AbortSignal.any(stepTimeout ? [this.runSignal, stepTimeout.signal] : [this.runSignal]);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.abortError(node, stepTimeout?.signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([Promise.resolve().then(() => handler.execute(params, { ...base, signal })), aborted]);
    } finally {
      clearTimeout(stepTimer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  private abortError(node: PlanOperationNode, stepTimeout?: AbortSignal): Error {
    if (this.env.signal?.aborted) return new HostAbort(`the host cancelled the run during step ${node.id}`);
    if (this.missionTimeout.signal.aborted) return new OperationFailed(node.id, node.operation, `mission timeout of ${this.plan.timeout_seconds} s exceeded`);
    if (stepTimeout?.aborted) return new OperationFailed(node.id, node.operation, `step timeout of ${String(node.timeout_seconds)} s exceeded`);
    return new OperationFailed(node.id, node.operation, 'aborted');
  }

  private checkSignal(node: PlanOperationNode): void {
    if (this.runSignal.aborted) throw this.abortError(node);
  }

  /**
   * The governance surfaces must match the approved baseline before the mission goes on (spec
   * §2.3); their hashes then go into every receipt. Checked again when a paused run resumes.
   */
  private checkGovernance(): void {
    const check = verifyGovernanceBaseline({ repoRoot: this.env.repoRoot, governanceSurfaces: this.env.governanceSurfaces, exclude: this.enginePaths });
    this.governance = { ...governanceRecord(check), envelope_policy_hash: envelopePolicyHash(this.plan) };
    if (!check.ok) {
      const shown = check.mismatches.slice(0, 5).map((m) => `${m.path} (${m.kind})`).join(', ');
      throw new GovernanceMismatch(check.mismatches, `${check.mismatches.length} governance surface(s) differ from ${BASELINE_FILE}: ${shown}`);
    }
  }

  private checkKillSwitch(checkpoint: string): void {
    const path = join(this.env.repoRoot, this.env.paths.killSwitch);
    if (killSwitchPresent(path)) throw new KillSwitchActive(this.env.paths.killSwitch, checkpoint);
  }

  /** Undo one writing operation and journal the outcome. */
  private async compensateOne(op: InFlightOperation, receipt?: OperationReceipt): Promise<boolean> {
    if (!op.pre) return true;
    const handler = this.env.handlers.get(op.operation);
    const outcome = await compensate({
      repoRoot: this.env.repoRoot,
      paths: this.env.paths,
      type: op.compensation_type,
      pre: op.pre as RepoSnapshot,
      ...(handler?.compensate
        ? { custom: () => handler.compensate?.(op.params, { ...this.contextFor(op), signal: new AbortController().signal }, receipt ?? null) as Promise<void> }
        : {}),
    });
    this.record('compensated', {
      node: op.node,
      operation_id: op.operation_id,
      idempotency_key: op.idempotency_key,
      compensation_type: op.compensation_type,
      ...outcome,
    });
    return outcome.compensation_verified;
  }

  private contextFor(op: InFlightOperation): Omit<OperationContext, 'signal'> {
    const node = findOperationNode(this.plan.steps, op.node);
    if (!node) throw new Error(`plan has no operation node ${op.node}`);
    return this.context(node, op.operation_id, op.params);
  }

  /** The run cannot complete: record why, escalate if needed, roll back, write the bundle. */
  private async stop(error: unknown): Promise<MissionResult> {
    if (error instanceof HumanPause) {
      const state = snapshotRepo(this.env.repoRoot, this.env.paths);
      this.record('run_paused', { status: 'awaiting_human', request_id: error.requestId, node: error.node, state });
      this.anchor('paused', null);
      return {
        ...this.baseResult('awaiting_human', null),
        bundlePath: null,
        awaiting: { request_id: error.requestId, node: error.node },
        ...(error.escalation ? { escalation: error.escalation } : {}),
      };
    }
    const node = error instanceof OperationFailed ? error.nodeId : null;
    const message = (error as Error)?.message ?? String(error);
    if (error instanceof GovernanceHalt) return this.end('escalated', error.escalation.reason, error.nodeId, error.escalation);
    if (error instanceof GovernanceMismatch) {
      const escalation = await this.escalate(null, error.message, 'critical', { mismatches: error.mismatches });
      return this.end('halted', error.message, null, escalation);
    }
    if (error instanceof KillSwitchActive) {
      const entry = this.record('kill_switch', { checkpoint: error.checkpoint, path: error.path });
      const evidence = writeKillSwitchEvidence(join(this.env.repoRoot, this.env.paths.killSwitchActivations), this.runDir, {
        run_id: this.runId,
        mission: this.plan.mission,
        checkpoint: error.checkpoint,
        seq: entry.seq,
        at: entry.at,
      });
      const escalation = await this.escalate(null, `kill switch ${error.path} detected ${error.checkpoint}`, 'critical', { evidence: relativeTo(this.env.repoRoot, evidence) });
      return this.end('halted', message, node, escalation);
    }
    return this.end(error instanceof HostAbort ? 'halted' : 'failed', message, node);
  }

  /** End an attempt that did not complete: roll back, record the end, write the bundle. */
  async end(status: RunStatus, rawMessage: string, node: string | null, escalation?: Escalation): Promise<MissionResult> {
    const message = this.env.redact(rawMessage);
    const evidencePath = await this.rollback(status, message, node, escalation);
    const final = snapshotRepo(this.env.repoRoot, this.env.paths);
    this.record('run_finished', {
      status,
      error: { message, node },
      escalation_id: escalation?.escalation_id ?? null,
      final_state: final,
      final_state_hash: stateHash(final),
    });
    const result = this.finish(status, final, null);
    return { ...result, error: { message, node }, evidencePath, ...(escalation ? { escalation } : {}) };
  }

  async escalate(node: string | null, reason: string, severity: Escalation['severity'], evidence: Record<string, unknown>): Promise<Escalation> {
    const escalation: Escalation = this.env.redact({
      escalation_id: hashCanonical({ run_id: this.runId, node, reason }),
      run_id: this.runId,
      mission: this.plan.mission,
      node,
      reason,
      severity,
      evidence,
    });
    this.record('escalated', { ...escalation });
    try {
      await this.env.escalations?.(escalation);
    } catch (sinkError) {
      this.record('escalated', { ...escalation, delivery_error: (sinkError as Error).message });
    }
    return escalation;
  }

  /**
   * Undo the attempt: evidence first (the failed state and its diff, so no work is lost), then
   * each write compensated in reverse order, then the repository checked against the baseline.
   */
  async rollback(status: RunStatus, reason: string, node: string | null, escalation?: Escalation): Promise<string> {
    const attempt = this.attempt();
    const failedState = snapshotRepo(this.env.repoRoot, this.env.paths);
    const evidenceDir = join(this.env.repoRoot, this.env.paths.failedMissions, this.runDir, `attempt-${attempt.attempt}`);
    mkdirSync(evidenceDir, { recursive: true });
    writeFileSync(join(evidenceDir, 'changes.patch'), snapshotDiff(this.env.repoRoot, attempt.baseline as RepoSnapshot, failedState));
    writeFileSync(
      join(evidenceDir, 'evidence.json'),
      `${JSON.stringify({ run_id: this.runId, mission: this.plan.mission, status, reason, node, escalation: escalation ?? null, baseline: attempt.baseline, failed_state: failedState, writes: attempt.writes.map((op) => op.receipt) }, null, 1)}\n`,
    );
    if (!attempt.rollback) this.record('rollback_started', { status, reason, failed_state: failedState, evidence: relativeTo(this.env.repoRoot, evidenceDir) });
    const foreign = this.lastState && this.lastStateHash !== stateHash(failedState) ? foreignChanges(this.env.repoRoot, this.lastState, failedState) : null;
    if (foreign && this.lastState) {
      // Someone else changed the repository: undo only the run's own changes, leave theirs.
      const undo = undoOwnChanges(this.env.repoRoot, attempt.baseline as RepoSnapshot, this.lastState, foreign);
      this.record('rollback_finished', { foreign_changes_kept: foreign, ...undo, state_hash: stateHash(snapshotRepo(this.env.repoRoot, this.env.paths)), matches_baseline: false });
      return evidenceDir;
    }
    let allVerified = true;
    for (const op of [...attempt.writes].reverse()) allVerified = (await this.compensateOne(op, op.receipt)) && allVerified;
    const baselineHash = stateHash(attempt.baseline);
    let stateNow = stateHash(snapshotRepo(this.env.repoRoot, this.env.paths));
    const fallback = stateNow !== baselineHash;
    if (fallback) {
      restoreRepo(this.env.repoRoot, attempt.baseline as RepoSnapshot, this.env.paths);
      stateNow = stateHash(snapshotRepo(this.env.repoRoot, this.env.paths));
    }
    this.record('rollback_finished', {
      compensations_verified: allVerified,
      fallback_restore: fallback,
      state_hash: stateNow,
      matches_baseline: stateNow === baselineHash,
    });
    if (stateNow !== baselineHash) {
      await this.escalate(node, `rollback could not restore the pre-run state (${stateNow} != ${baselineHash})`, 'critical', { evidence: relativeTo(this.env.repoRoot, evidenceDir) });
    }
    return evidenceDir;
  }

  private baseResult(status: RunStatus, outputs: Record<string, unknown> | null): Omit<MissionResult, 'bundlePath'> {
    return {
      status,
      runId: this.runId,
      runIdAudit: this.state.run_id_audit ?? '',
      mission: this.plan.mission,
      outputs,
      journalPath: this.journal.path,
      commit: null,
    };
  }

  /** Write the completion bundle of a finished attempt. */
  finish(status: RunStatus, final: RepoSnapshot, outputs: Record<string, unknown> | null): MissionResult {
    const attempt = this.state.attempts[this.state.attempts.length - 1];
    if (!attempt) throw new Error('no attempt to finish');
    const commit = final.head !== attempt.baseline.head ? final.head : null;
    const path = bundlePath(dirname(this.journal.path), attempt.attempt);
    const callLog = callLogPath(join(this.env.repoRoot, this.env.paths.agentCalls), this.runId);
    const header: BundleHeader = {
      bundle_version: BUNDLE_VERSION,
      run_id: this.runId,
      run_id_audit: this.state.run_id_audit ?? '',
      mission: this.plan.mission,
      attempt: attempt.attempt,
      status,
      baseline_commit: attempt.baseline.head,
      result_commit: commit,
      final_state: final,
      final_state_hash: stateHash(final),
      outputs,
      escalations: this.state.escalations,
      receipts: this.entries.filter((entry) => entry.type === 'operation_finished').map((entry) => entry.data.receipt),
    };
    // Journal entries and call-log entries were redacted before they were sealed.
    writeBundle(path, this.env.redact(header), {
      journal: { file: relativeTo(this.env.repoRoot, this.journal.path), path: this.journal.path, entry_count: this.journal.count, head_hash: this.journal.headHash as Sha256 },
      agentCalls: existsSync(callLog) ? { file: relativeTo(this.env.repoRoot, callLog), path: callLog } : null,
    });
    this.anchor('finished', fileHash(path));
    return { ...this.baseResult(status, outputs), bundlePath: path, commit };
  }

  /** Anchor the journal's head outside the run folder (anchor-log.ts), signed when a key is set. */
  private anchor(moment: AnchorFields['moment'], bundleHash: Sha256 | null): void {
    const attempt = this.state.attempts[this.state.attempts.length - 1] as AttemptState;
    const fields: AnchorFields = { run_id: this.runId, attempt: attempt.attempt, moment, entry_count: this.journal.count, head_hash: this.journal.headHash as Sha256, bundle_hash: bundleHash };
    appendAnchor(join(this.env.repoRoot, this.env.paths.anchors), fields, this.env.signingKey, { fsync: this.env.fsync, now: this.env.now });
  }
}

/** The envelopes in force for the run: each operation's chain (mission, nested missions, step), hashed. */
export function envelopePolicyHash(plan: ExecutionPlan): Sha256 {
  return hashCanonical(Object.fromEntries(envelopeChains(plan)));
}

/** The LLM mode the attempt started at `startedSeq` was journaled with. */
function journaledMode(entries: readonly JournalEntry[], startedSeq: number): EngineEnvironment['mode'] | undefined {
  const mode = entries.find((entry) => entry.seq === startedSeq)?.data.mode;
  return mode === 'live' || mode === 'record' || mode === 'replay' ? mode : undefined;
}

/** The repository-relative mission files the run was started from (run_started `mission_files`). */
function missionFilesOf(entries: readonly JournalEntry[]): string[] {
  const started = entries.findLast((entry) => entry.type === 'run_started');
  return Object.keys((started?.data.mission_files as Record<string, string> | undefined) ?? {});
}

function queued(escalationId: Sha256, mission: string | null, reason: string, severity: Escalation['severity'], at: string): EscalationRecord {
  return { escalation_id: escalationId, mission_id: mission, reason, severity, created_at: at, resolved_at: null, resolution: null, resolved_by: null, notes: null };
}

function findOperationNode(nodes: readonly PlanNode[], id: string): PlanOperationNode | undefined {
  for (const node of planNodes(nodes)) if (node.type === 'operation' && node.id === id) return node;
  return undefined;
}

function uniqueByPath(entries: ReadonlyArray<{ path: string; deleted: boolean }>): Array<{ path: string; deleted: boolean }> {
  return [...new Map(entries.map((entry) => [entry.path, entry])).values()];
}

function describeError(error: unknown): { name: string; message: string } {
  return { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) };
}

function relativeTo(root: string, path: string): string {
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}
