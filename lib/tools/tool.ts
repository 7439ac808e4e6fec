/**
 * What a `tool_invoke` back end is: named actions, each taking the step's resolved params and
 * the operation context (envelopes in force, protected paths, repository, signal) and returning
 * the step's output. Throwing fails the step; EscalationRequired escalates it; EnvelopeViolation
 * (requireAccess) ends the run escalated, as the diff gate would.
 */
import { EnvelopeViolation } from '../core/governance-errors.ts';
import type { AccessOperation, PathAccessResult } from '../governance/envelope.ts';
import { validateInChain } from '../governance/step-guards.ts';
import type { OperationContext } from '../operations/handler.ts';

export type ToolContext = Pick<OperationContext, 'repo_root' | 'envelopes' | 'protected_paths' | 'exclude_pathspecs' | 'signal' | 'run_id' | 'mission_type' | 'node_id' | 'engine_paths' | 'sandbox' | 'child_env'>;

export type ToolAction = (params: Record<string, unknown>, context: ToolContext) => unknown;

export interface Tool {
  name: string;
  actions: Readonly<Record<string, ToolAction>>;
}

/** The path checked against every envelope in force and the protected paths; EnvelopeViolation when refused. */
export function requireAccess(path: string, operation: AccessOperation, context: ToolContext): PathAccessResult {
  const result = validateInChain(path, operation, context.envelopes, { repoRoot: context.repo_root, protectedPaths: context.protected_paths });
  if (!result.allowed) throw new EnvelopeViolation(path, operation, result.reason, { ...result.evidence });
  return result;
}
