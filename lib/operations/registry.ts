/**
 * The operation handlers built into the engine, and the handler table of one run: built-ins,
 * then the host's handlers (a host handler replaces a built-in of the same type).
 */
import { planNodes, type PlanNode } from '../core/plan-model.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { escalate } from './escalate.ts';
import { gateCheck } from './gate-check.ts';
import type { OperationHandler } from './handler.ts';
import { noop } from './noop.ts';
import { packetRoute } from './packet-route.ts';

export const BUILTIN_HANDLERS: readonly OperationHandler[] = [gateCheck, escalate, packetRoute, noop];

export function handlerTable(extra: Iterable<OperationHandler> = []): Map<string, OperationHandler> {
  const table = new Map(BUILTIN_HANDLERS.map((handler) => [handler.type, handler]));
  for (const handler of extra) table.set(handler.type, handler);
  return table;
}

/** Operation types the plan uses that have no handler, each with the first step using it. */
export function missingHandlers(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>): Map<string, string> {
  const missing = new Map<string, string>();
  for (const node of planNodes(nodes)) {
    if (node.type === 'operation' && !handlers.has(node.operation) && !missing.has(node.operation)) missing.set(node.operation, node.id);
  }
  return missing;
}

/** Refuse to go on when an operation the plan uses has no handler; `fix` says how to give one. */
export function requireHandlers(nodes: readonly PlanNode[], handlers: ReadonlyMap<string, OperationHandler>, fix: string): void {
  const missing = missingHandlers(nodes, handlers);
  if (missing.size > 0) {
    const list = [...missing].map(([operation, node]) => `"${operation}" (first used by step ${node})`).join(', ');
    throw new RunPreconditionFailed(`no handler for operation ${list}; ${fix}`);
  }
}
