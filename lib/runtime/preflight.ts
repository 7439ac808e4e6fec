/**
 * Pre-flight: before the first step of a run, each operation's own checks (OperationHandler
 * preflight) on the params that are known already (literals and inputs; not what an earlier step
 * will output), so a missing prompt, key or program, or a task that is not in the backlog, is
 * reported before anything is paid for, not after a dozen model calls. A step whose `when` is
 * known to be false is not checked: it will not run.
 */
import { knownSkipped, knownValue } from '../core/known-values.ts';
import { planNodes, type PlanNode, type PlanValue } from '../core/plan-model.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import type { OperationHandler, PreflightContext } from '../operations/handler.ts';

/**
 * Every problem the steps' pre-flight checks find, each once, as `step <id>: <problem>` (or
 * `steps <id> and <id>: <problem>` when several steps have the same one, as one misspelt input
 * passed to every nested review gives).
 */
export function preflightProblems(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>, context: PreflightContext, done: ReadonlySet<string> = new Set()): string[] {
  const problems = new Map<string, Set<string>>();
  for (const node of planNodes(nodes)) {
    if (node.type !== 'operation' || done.has(node.id)) continue;
    const check = handlers.get(node.operation)?.preflight;
    if (!check) continue;
    if (knownSkipped(node)) continue;
    const known = knownParams(node.params);
    for (const problem of check(known, context)) problems.set(problem, (problems.get(problem) ?? new Set()).add(node.id));
  }
  return [...problems].map(([problem, ids]) => `${stepList([...ids])}: ${problem}`);
}

/** `step a`, `steps a and b`, `steps a, b and 3 more`. */
function stepList(ids: readonly string[]): string {
  if (ids.length === 1) return `step ${ids[0]}`;
  if (ids.length === 2) return `steps ${ids[0]} and ${ids[1]}`;
  return `steps ${ids[0]}, ${ids[1]} and ${ids.length - 2} more`;
}

/**
 * Refuse to start (or, with the steps already `done`, to resume) a run whose steps' pre-flight
 * checks find problems; all of them are listed.
 */
export function requirePreflight(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>, context: PreflightContext, done?: ReadonlySet<string>): void {
  const problems = preflightProblems(nodes, handlers, context, done);
  if (problems.length > 0) throw new RunPreconditionFailed(`the run was not ${done ? 'resumed, no decision was recorded' : 'started'}, nothing was called: ${problems.join('; ')}`);
}

/** The params whose values are known before the run (each resolved alone; one that reads a step's output is left out). */
function knownParams(params: Record<string, PlanValue>): Record<string, unknown> {
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    // One that reads an earlier step's output is known only once that step has run.
    const resolved = knownValue(value);
    if (resolved) known[key] = resolved.value;
  }
  return known;
}
