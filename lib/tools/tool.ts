/**
 * What a `tool_invoke` back end is: named actions, each taking the step's resolved params and
 * the operation context (envelopes in force, protected paths, repository, signal) and returning
 * the step's output. Throwing fails the step; EscalationRequired escalates it.
 */
import type { OperationContext } from '../operations/handler.ts';

export type ToolContext = Pick<OperationContext, 'repo_root' | 'envelopes' | 'protected_paths' | 'exclude_pathspecs' | 'signal' | 'run_id' | 'mission_type' | 'node_id'>;

export type ToolAction = (params: Record<string, unknown>, context: ToolContext) => unknown;

export interface Tool {
  name: string;
  actions: Readonly<Record<string, ToolAction>>;
}
