/**
 * What a CEO override of an escalated step means downstream (spec §5.5.1 ceo_override). A gate
 * that failed on a council decision stays failed in the record, but the steps after it read that
 * decision too (the build's and the steward's `approval`, whose preconditions ask for an approved
 * verdict). So the council decisions the overridden step read are amended where later steps find
 * them: verdict approved, marked as the CEO's override with the escalation, who decided and why,
 * and the council's own verdict kept beside it. The amendment is journaled with the step, and it
 * is made again from the same decision whenever the run walks past the step (a resume).
 */
import type { PlanOperationNode, PlanValue } from '../../core/plan-model.ts';
import type { RunScope } from './run-scope.ts';

export interface CeoOverride {
  ceo_override: true;
  escalation_id: string;
  by: string;
  rationale: string | null;
}

/** A council decision as the CEO's override turned it. */
export interface AmendedDecision {
  node: string;
  council_decision: Record<string, unknown>;
}

/** Amend, in the run's outputs, every council decision the step's params read; what was amended. */
export function amendCouncilDecisions(scope: RunScope, node: PlanOperationNode, override: CeoOverride): AmendedDecision[] {
  const amended: AmendedDecision[] = [];
  for (const id of referencedNodes(node.params)) {
    const output = scope.outputs.get(id)?.value;
    if (!isRecord(output) || !isRecord(output.council_decision) || typeof output.council_decision.verdict !== 'string') continue;
    const original = output.council_decision;
    const decision = {
      ...original,
      verdict: 'approved',
      ceo_override: true,
      overridden_verdict: original.verdict,
      override_escalation_id: override.escalation_id,
      override_by: override.by,
      override_rationale: override.rationale,
    };
    scope.outputs.set(id, { value: { ...output, ...(typeof output.verdict === 'string' ? { verdict: 'approved' } : {}), council_decision: decision } });
    amended.push({ node: id, council_decision: decision });
  }
  return amended;
}

/** The plan nodes a plan value reads (its `$ref`s, in templates and conditions too), each once. */
function referencedNodes(value: PlanValue, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencedNodes(item, found);
  else if (value !== null && typeof value === 'object') {
    if (typeof (value as { $ref?: unknown }).$ref === 'string') found.add((value as { $ref: string }).$ref);
    for (const item of Object.values(value)) referencedNodes(item as PlanValue, found);
  }
  return found;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
