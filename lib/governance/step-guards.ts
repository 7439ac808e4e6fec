/**
 * The guards the engine applies around each operation (spec §2.4, §5.2.1, §5.5):
 *
 *   - envelopes nest: the mission's, each enclosing nested mission's, then the step's own; a
 *     path, tool or role must be allowed by every one of them, so an inner envelope can only
 *     narrow. Without any envelope, only self-modification protection applies.
 *   - `allowed_tools` / `allowed_roles` are checked before a `tool_invoke` / `llm_call` runs.
 *   - the diff gate: after a writing operation, every path it changed (added, modified,
 *     deleted, renamed: the two work-tree snapshots' diff) is checked as a write or delete.
 *   - budgets: the cost operations report (`cost_usd` in their output) against the smallest
 *     `max_budget_usd` of the chain and the host's daily ceiling.
 */
import type { ExecutionPlan, PlanNode } from '../core/plan-model.ts';
import type { Envelope } from '../core/types.ts';
import { resolveRepoRoot, validatePathAccess, type AccessOperation, type PathAccessOptions, type PathAccessResult } from './envelope.ts';

/** The envelopes in force for each operation node, outermost first. */
export function envelopeChains(plan: ExecutionPlan): Map<string, Envelope[]> {
  const chains = new Map<string, Envelope[]>();
  const walk = (nodes: readonly PlanNode[], outer: Envelope[]): void => {
    for (const node of nodes) {
      if (node.type === 'operation') chains.set(node.id, node.envelope ? [...outer, node.envelope] : outer);
      else if (node.type === 'mission') walk(node.steps, node.envelope ? [...outer, node.envelope] : outer);
      else if (node.type === 'fan_out') walk(node.instances, outer);
    }
  };
  walk(plan.steps, plan.envelope ? [plan.envelope] : []);
  return chains;
}

// No envelope in force: the whole repository, less the protected paths.
const OPEN_ENVELOPE: Envelope = { allowed_paths: ['**'] };

/** The narrowest envelope of a chain (the innermost), for writeGuarded's check at the moment of use. */
export function innermostEnvelope(chain: readonly Envelope[]): Envelope {
  return chain.at(-1) ?? OPEN_ENVELOPE;
}

/** What the checks of a chain are given: the repository, the host's protected paths, the root if resolved already. */
export type ChainCheckOptions = Pick<PathAccessOptions, 'repoRoot' | 'protectedPaths' | 'root'>;

/** A path checked against every envelope of a chain; the first denial, or the last allowance. */
export function validateInChain(path: string, operation: AccessOperation, chain: readonly Envelope[], options: ChainCheckOptions): PathAccessResult {
  const envelopes = chain.length > 0 ? chain : [OPEN_ENVELOPE];
  // The envelopes of a chain check one path at one moment: against one resolution of the root.
  const checks = envelopes.length > 1 ? withRoot(options) : options;
  let result: PathAccessResult | undefined;
  for (const envelope of envelopes) {
    result = validatePathAccess(path, operation, envelope, checks);
    if (!result.allowed) return result;
  }
  return result as PathAccessResult;
}

/** Why a `tool_invoke` or `llm_call` may not run under the chain, or undefined. */
export function toolOrRoleProblem(operation: string, params: Record<string, unknown>, chain: readonly Envelope[]): string | undefined {
  if (operation === 'tool_invoke') {
    const tool = String(params.tool ?? '');
    const action = params.action === undefined ? undefined : String(params.action);
    for (const envelope of chain) {
      const allowed = envelope.allowed_tools;
      if (allowed && !allowed.some((entry) => entry === tool || (action !== undefined && entry === `${tool}.${action}`))) {
        return `tool ${action ? `${tool}.${action}` : tool} is not in allowed_tools (${allowed.join(', ') || 'none'})`;
      }
    }
  }
  if (operation === 'llm_call') {
    const role = String(params.role ?? '');
    for (const envelope of chain) {
      const allowed = envelope.allowed_roles;
      if (allowed && !allowed.includes(role)) return `role ${role} is not in allowed_roles (${allowed.join(', ') || 'none'})`;
    }
  }
  return undefined;
}

/** The diff gate: each changed path that the chain does not allow to be written or deleted. */
export function diffGateViolations(changed: ReadonlyArray<{ path: string; deleted: boolean }>, chain: readonly Envelope[], options: ChainCheckOptions): PathAccessResult[] {
  // One operation's changes are checked together, after it ended: the root is resolved once for them.
  const checks = changed.length > 1 ? withRoot(options) : options;
  return changed.map((c) => validateInChain(c.path, c.deleted ? 'delete' : 'write', chain, checks)).filter((r) => !r.allowed);
}

/** `options` with the root resolved now, unless it was given for this repository already. */
function withRoot(options: ChainCheckOptions): ChainCheckOptions {
  return options.root?.given === options.repoRoot ? options : { ...options, root: resolveRepoRoot(options.repoRoot) };
}

/** The smallest `max_budget_usd` of the chain, if any sets one. */
export function missionBudget(chain: readonly Envelope[]): number | undefined {
  const limits = chain.map((e) => e.max_budget_usd).filter((n): n is number => typeof n === 'number');
  return limits.length > 0 ? Math.min(...limits) : undefined;
}

/** The cost an operation reports: a finite, non-negative `cost_usd` in its output. */
export function reportedCost(output: unknown): number {
  const cost = (output as { cost_usd?: unknown } | null)?.cost_usd;
  return typeof cost === 'number' && Number.isFinite(cost) && cost > 0 ? cost : 0;
}
