/**
 * The named checks of `gate_check` (`check: <name>`), used by the built-in missions:
 *
 *   builder_envelope   `scope` (a BUILD_PACKET's payload.scope): every allowed path the design
 *                      asks for lies inside the envelopes in force, outside the protected paths,
 *                      and inside the repository's envelope policy (config/envelope_policy.yaml,
 *                      `builder.allowed_paths`), when it has one
 *   steward_envelope   `paths`: every path the steward will commit may be written here
 *   council_approval   `decision` (a COUNCIL_APPROVAL_PACKET): approved or approved with
 *                      conditions; fix_required (after its second cycle), rejected and
 *                      escalated_to_ceo fail, and with on_fail: escalate go to the CEO
 */
import type { Envelope } from '../core/types.ts';
import { validateInChain } from '../governance/step-guards.ts';
import { builderPolicy } from '../governance/write-policy.ts';
import type { OperationContext } from './handler.ts';

export interface Check {
  check: string;
  passed: boolean;
  detail: string;
}

type NamedCheck = (params: Record<string, unknown>, context: OperationContext) => Check;

export const NAMED_CHECKS: Readonly<Record<'builder_envelope' | 'steward_envelope' | 'council_approval', NamedCheck>> = {
  builder_envelope: (params, context) => {
    const scope = (params.scope ?? {}) as { allowed_paths?: unknown };
    const patterns = Array.isArray(scope.allowed_paths) ? scope.allowed_paths : [];
    if (patterns.length === 0) return { check: 'builder_envelope', passed: false, detail: 'the design names no allowed paths (payload.scope.allowed_paths)' };
    const chain = [...context.envelopes, ...builderPolicy(context.repo_root)];
    const refused = patterns.flatMap((pattern) => pathProblems(String(pattern), chain, context));
    return refused.length === 0
      ? { check: 'builder_envelope', passed: true, detail: `scope ${patterns.join(', ')} lies inside the envelope` }
      : { check: 'builder_envelope', passed: false, detail: `the design's scope reaches outside the envelope: ${refused.join('; ')}` };
  },
  steward_envelope: (params, context) => {
    const paths = Array.isArray(params.paths) ? params.paths.map(String) : [];
    if (paths.length === 0) return { check: 'steward_envelope', passed: false, detail: 'there are no artifacts to commit' };
    const refused = paths.flatMap((path) => pathProblems(path, context.envelopes, context));
    return refused.length === 0
      ? { check: 'steward_envelope', passed: true, detail: `${paths.length} artifact(s) may be committed` }
      : { check: 'steward_envelope', passed: false, detail: `artifacts outside the envelope: ${refused.join('; ')}` };
  },
  council_approval: (params) => {
    const decision = (params.decision ?? {}) as { verdict?: unknown; cycle?: unknown; rationale?: unknown };
    const verdict = String(decision.verdict ?? '(none)');
    if (verdict === 'approved' || verdict === 'approved_with_conditions') return { check: 'council_approval', passed: true, detail: `the council ${verdict.replaceAll('_', ' ')}` };
    const why = verdict === 'fix_required' ? `the council still requires fixes after ${String(decision.cycle ?? 2)} cycles` : `the council verdict is ${verdict}`;
    return { check: 'council_approval', passed: false, detail: `${why}: ${String(decision.rationale ?? '')}` };
  },
};

/**
 * A scope pattern checked as a write target: a plain path as itself, a glob by a probe path in
 * its literal folder (`src/**` -> `src/<probe>`), so a scope passes only if the envelope lets
 * the builder write inside it. Problems as text.
 */
function pathProblems(pattern: string, chain: readonly Envelope[], context: OperationContext): string[] {
  const parts = pattern.split('/');
  const cut = parts.findIndex((part) => /[*?[\]]/.test(part));
  const path = cut < 0 ? pattern : [...parts.slice(0, cut), 'lifeos-scope-probe'].join('/');
  const result = validateInChain(path, 'write', chain, { repoRoot: context.repo_root, protectedPaths: context.protected_paths, root: context.repo_root_resolved });
  return result.allowed ? [] : [`${pattern}: ${result.reason}`];
}
