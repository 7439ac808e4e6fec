/**
 * What a `tool_invoke` back end is: named actions, each taking the step's resolved params and
 * the operation context (envelopes in force, protected paths, repository, signal) and returning
 * the step's output. Throwing fails the step; EscalationRequired escalates it; EnvelopeViolation
 * (requireAccess) ends the run escalated, as the diff gate would.
 */
import type { Sha256 } from '../core/canonical.ts';
import { EnvelopeViolation } from '../core/governance-errors.ts';
import type { Envelope } from '../core/types.ts';
import type { AccessOperation, PathAccessResult, ResolvedRoot } from '../governance/envelope.ts';
import { validateInChain } from '../governance/step-guards.ts';
import type { ChildEnvPolicy } from './child-env.ts';
import type { SandboxSettings } from './sandbox.ts';

/** What a tool sees of the operation context (operations/handler.ts extends it). */
export interface ToolContext {
  run_id: Sha256;
  mission_type: string;
  repo_root: string;
  /**
   * The repository root as the run resolved it when the attempt began (path checks then do not
   * resolve it again on every request); writeGuarded still refuses a write once it leads elsewhere.
   */
  repo_root_resolved?: ResolvedRoot;
  /** The plan node (`review/run_seats[risk]`). */
  node_id: string;
  /** Aborted on step or mission timeout, or when the host cancels: stop promptly. */
  signal: AbortSignal;
  /**
   * Every envelope in force for this step, outermost first (mission, nested missions, step): a
   * path must be allowed by all of them (see `writeGuarded` and `validatePathAccess`).
   */
  envelopes: readonly Envelope[];
  /** The host's protected paths, added to the built-in list (governance/protected-paths.ts). */
  protected_paths: readonly string[];
  /** Git pathspecs that leave the engine's own files out (journals, call logs, lock, store). */
  exclude_pathspecs: readonly string[];
  /** Engine-owned paths (repository-relative) that stay read-only inside a sandbox. */
  engine_paths: readonly string[];
  /** How builders and tests are confined (tools/sandbox.ts). */
  sandbox: SandboxSettings;
  /** What child processes may see of the host's environment (tools/child-env.ts). */
  child_env: ChildEnvPolicy;
}

export type ToolAction = (params: Record<string, unknown>, context: ToolContext) => unknown;

export interface Tool {
  name: string;
  actions: Readonly<Record<string, ToolAction>>;
}

/** The path checked against every envelope in force and the protected paths; EnvelopeViolation when refused. */
export function requireAccess(path: string, operation: AccessOperation, context: ToolContext): PathAccessResult {
  const result = validateInChain(path, operation, context.envelopes, { repoRoot: context.repo_root, protectedPaths: context.protected_paths, root: context.repo_root_resolved });
  if (!result.allowed) throw new EnvelopeViolation(path, operation, result.reason, { ...result.evidence });
  return result;
}
