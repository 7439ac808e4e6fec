/**
 * The guard pipeline around one operation (spec §2.3, §2.4, §5.5, §5.6.3). Each guard looks at
 * the run's state and the operation and gives a verdict: nothing, or why the run must halt and
 * the evidence. They decide; the step (operation-step.ts) escalates and halts on a verdict. The
 * kill switch and the governance baseline end the run differently (halted, not escalated), so
 * those two throw their own errors.
 */
import { join } from 'node:path';
import { hashCanonical, type Sha256 } from '../../core/canonical.ts';
import { BudgetExceeded, GovernanceMismatch } from '../../core/governance-errors.ts';
import type { ExecutionPlan, PlanOperationNode } from '../../core/plan-model.ts';
import { KillSwitchActive } from '../../core/run-errors.ts';
import type { Envelope } from '../../core/types.ts';
import { BASELINE_FILE, governanceRecord, verifyGovernanceBaseline } from '../../governance/baseline.ts';
import { filesHoldingSecrets } from '../../governance/secret-scan.ts';
import { diffGateViolations, envelopeChains, missionBudget } from '../../governance/step-guards.ts';
import { describeForeign, foreignChanges } from '../foreign-changes.ts';
import { changedEntries, MAX_WORKTREE_FILE_BYTES, stateHash, type RepoSnapshot } from '../git-state.ts';
import { killSwitchPresent } from '../kill-switch.ts';
import { captureProtected, protectedChanges, restoreProtected, type ProtectedCapture } from '../protected-state.ts';
import type { RunPaths } from '../run-paths.ts';
import type { EngineEnvironment } from './types.ts';

/** Why the run must halt, and what shows it. */
export interface Verdict {
  reason: string;
  evidence: Record<string, unknown>;
}

/** Where the repository stands as the run last left it: the pre- and post-state of a read-only step. */
export interface RepoPosition {
  hash: Sha256 | undefined;
  /** The state itself, where known (a journal written before post-states were kept has only the hash). */
  state: RepoSnapshot | undefined;
}

/** Governance hashes in force, from the check at the start of the drive; they go into every receipt. */
export interface GovernanceInForce {
  baseline_hash: Sha256 | null;
  surfaces_hash: Sha256;
  envelope_policy_hash: Sha256;
}

/** What the run has spent, against the envelopes' limit and the host's daily ceiling. */
export interface Spend {
  runUsd: number;
  todayUsd: number;
}

/** The kill switch (spec §5.6.2), checked before every mission, step and operation. */
export function checkKillSwitch(env: Pick<EngineEnvironment, 'repoRoot' | 'paths' | 'killSwitches'>, checkpoint: string): void {
  if (killSwitchPresent(join(env.repoRoot, env.paths.killSwitch))) throw new KillSwitchActive(env.paths.killSwitch, checkpoint);
  const other = env.killSwitches.find((path) => killSwitchPresent(path));
  if (other) throw new KillSwitchActive(other, checkpoint);
}

/**
 * The governance surfaces must match the approved baseline before the mission goes on (spec
 * §2.3). Checked at the start of every drive, so again when a paused run resumes.
 */
export function checkGovernance(options: { repoRoot: string; governanceSurfaces: readonly string[]; exclude: readonly string[] }, plan: ExecutionPlan): GovernanceInForce {
  const check = verifyGovernanceBaseline({ repoRoot: options.repoRoot, governanceSurfaces: options.governanceSurfaces, exclude: options.exclude });
  if (!check.ok) {
    const shown = check.mismatches.slice(0, 5).map((m) => `${m.path} (${m.kind})`).join(', ');
    throw new GovernanceMismatch(check.mismatches, `${check.mismatches.length} governance surface(s) differ from ${BASELINE_FILE}: ${shown}`);
  }
  return { ...governanceRecord(check), envelope_policy_hash: envelopePolicyHash(plan) };
}

/** The envelopes in force for the run: each operation's chain (mission, nested missions, step), hashed. */
export function envelopePolicyHash(plan: ExecutionPlan): Sha256 {
  return hashCanonical(Object.fromEntries(envelopeChains(plan)));
}

/**
 * The repository-state lock (spec §5.6.3): the state found must be the one the run left. Any
 * other change is someone else's work: the run halts, and its rollback undoes only its own.
 */
export function ownStateVerdict(repoRoot: string, left: RepoPosition, found: RepoSnapshot, when: string): Verdict | null {
  if (stateHash(found) === left.hash) return null;
  const foreign = left.state ? foreignChanges(repoRoot, left.state, found) : null;
  const what = foreign ? describeForeign(foreign) : 'the repository state differs from the one the run left';
  return {
    reason: `the repository was changed outside the run ${when}: ${what}; those changes are left as they are and nothing is committed`,
    evidence: { foreign_changes: foreign, expected_state_hash: left.hash ?? null, found_state_hash: stateHash(found) },
  };
}

/**
 * Git's parts and the lock must be as the last writing step left them. Between steps, a change
 * there is a step declared read-only that wrote, or someone else (a new branch, a stash): it is
 * left as found (it may be someone's work). The engine's own git calls are hardened, so nothing
 * injected there runs meanwhile.
 */
export function settledVerdict(settled: ProtectedCapture | undefined, now: ProtectedCapture, when: string): Verdict | null {
  if (!settled) return null;
  const changed = protectedChanges(settled, now, { gitOnly: true });
  if (changed.length === 0) return null;
  return {
    reason: `envelope violation ${when}: ${listed(changed)} changed outside any writing step (git's configuration, hooks and refs are protected); left as found, for a person to look at`,
    evidence: { protected_changed: changed },
  };
}

/**
 * Protected parts (git's and the engine's) a writing step changed are put back at once, before
 * the engine runs git again (a driver or hook put into .git/config). Returns their paths and
 * the protected state as now settled.
 */
export function restoreHidden(repoRoot: string, paths: RunPaths, node: PlanOperationNode, params: Record<string, unknown>, before: ProtectedCapture): { hidden: string[]; settled: ProtectedCapture } {
  const refsMayMove = node.operation === 'tool_invoke' && params.tool === 'git' && ['branch', 'checkout', 'commit'].includes(String(params.action));
  const after = captureProtected(repoRoot, paths);
  const hidden = protectedChanges(before, after, { refsMayMove });
  if (hidden.length === 0) return { hidden, settled: after };
  restoreProtected(before, hidden, repoRoot);
  return { hidden, settled: captureProtected(repoRoot, paths) };
}

export interface DiffGateInput {
  repoRoot: string;
  protectedPaths: readonly string[];
  secrets: readonly string[];
  node: PlanOperationNode;
  chain: readonly Envelope[];
  pre: RepoSnapshot;
  post: RepoSnapshot;
  /** Protected parts the step changed (put back already). */
  hidden: readonly string[];
  /** Files too large to read. */
  oversize: readonly string[];
}

/**
 * The post-run diff gate (spec §5.5): every path a writing operation changed must be one its
 * envelopes allow it to write (or delete), not a protected one, and free of secrets.
 */
export function diffGateVerdict(input: DiffGateInput): Verdict | null {
  const { repoRoot, pre, post, hidden, oversize } = input;
  // The index too: a path staged without touching the work tree would be committed by the next `git commit`.
  const changed = uniqueByPath([...changedEntries(repoRoot, pre, post), ...changedEntries(repoRoot, pre, post, 'index_tree')]);
  const violations = diffGateViolations(changed, input.chain, { repoRoot, protectedPaths: input.protectedPaths });
  const leaks = filesHoldingSecrets(repoRoot, changed.filter((c) => !c.deleted).map((c) => c.path), input.secrets);
  if (violations.length === 0 && hidden.length === 0 && leaks.length === 0 && oversize.length === 0) return null;
  const reasons = [
    ...hidden.map((path) => `${path} is protected from modification (outside the work tree: git's configuration, hooks or refs, or the engine's own state)`),
    ...leaks.map((path) => `${path} holds a secret (an API key or a value the host marked secret)`),
    ...oversize.map((path) => `${path} is over ${MAX_WORKTREE_FILE_BYTES} bytes and is refused unread`),
    ...violations.map((v) => v.reason),
  ];
  return {
    reason: `envelope violation at step ${input.node.id}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? ` (and ${reasons.length - 3} more)` : ''}`,
    evidence: { violations: violations.map((v) => v.evidence), protected_changed: hidden, secret_in: leaks, oversize },
  };
}

/** Budgets (spec §5.5): the run's spending (this step's included) against the envelopes' limit, the day's against the host's ceiling. */
export function budgetVerdict(spend: Spend, chain: readonly Envelope[], dailyBudgetUsd: number | undefined, nodeId: string): Verdict | null {
  const limit = missionBudget(chain);
  const exceeded =
    limit !== undefined && spend.runUsd > limit
      ? new BudgetExceeded('mission', limit, spend.runUsd)
      : dailyBudgetUsd !== undefined && spend.todayUsd > dailyBudgetUsd
        ? new BudgetExceeded('daily', dailyBudgetUsd, spend.todayUsd)
        : undefined;
  if (!exceeded) return null;
  return { reason: `${exceeded.message} after step ${nodeId}`, evidence: { limit: exceeded.limit, limit_usd: exceeded.limitUsd, spent_usd: exceeded.spentUsd } };
}

function listed(paths: readonly string[]): string {
  return `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` (and ${paths.length - 3} more)` : ''}`;
}

function uniqueByPath(entries: ReadonlyArray<{ path: string; deleted: boolean }>): Array<{ path: string; deleted: boolean }> {
  return [...new Map(entries.map((entry) => [entry.path, entry])).values()];
}
