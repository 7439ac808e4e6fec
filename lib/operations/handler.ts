/**
 * What an operation handler is (CONVENTIONS habit 3): an OperationDefinition (type, whether it
 * writes, its compensation, whether it is idempotent) plus the code that runs it. Hosts pass
 * their own handlers to runMission; a handler with a built-in's type replaces the built-in.
 * `llm_call` and `tool_invoke` handlers (their own issues) plug in through this same shape.
 */
import type { Sha256 } from '../core/canonical.ts';
import { BUILTIN_OPERATIONS, type OperationDefinition } from '../core/registry.ts';
import type { OperationReceipt } from '../core/run-state.ts';
import type { Envelope } from '../core/types.ts';
import type { ToolContext } from '../tools/tool.ts';

/** Appendix A.1, same field names. */
export interface ExecutionContext {
  run_id: Sha256;
  /** UUID, audit only. */
  run_id_audit: string;
  mission_id: string;
  mission_type: string;
  step_id: string;
  repo_root: string;
  baseline_commit: string | null;
  envelope: Envelope | null;
  /** Entries of the journal so far (read-only). */
  journal: { readonly count: number; readonly headHash: Sha256 | undefined } | null;
}

/** Appendix A.2. */
export interface Operation {
  operation_id: string;
  type: string;
  params: Record<string, unknown>;
  compensation_type: OperationReceipt['compensation_type'];
  compensation_command: string;
}

/** A named transform for `packet_route`: (input packet, the step's params) -> output packet. */
export type PacketTransform = (input: unknown, params: Readonly<Record<string, unknown>>) => unknown;

/** What a handler receives besides its params. */
/** The context of one operation: Appendix A.1's, what tools see (tools/tool.ts), and the rest of the run's. */
export interface OperationContext extends ExecutionContext, ToolContext {
  operation: Operation;
  mode: 'live' | 'record' | 'replay';
  transforms: ReadonlyMap<string, PacketTransform>;
  /** JSON Schemas by name, for `gate_check` `schema: <name>`. */
  schemas: ReadonlyMap<string, object>;
  /** The run id's parts but the commit and the model mapping (journaled at run_started), for replay's code-drift match. */
  run_key?: Sha256;
  /** Progress of a call in flight (a retry and why), for the host's display; never journaled. */
  notify?: (event: { kind: 'retry'; node: string; message: string }) => void;
}

export interface OperationHandler extends OperationDefinition {
  /** Do the work; the return value is the step's output. Throw to fail the step. */
  execute(params: Record<string, unknown>, context: OperationContext): unknown;
  /**
   * The undo for `compensation: custom`; must bring the repository back to its pre-state.
   * `receipt` is null when the operation did not finish (it failed or the process crashed).
   */
  compensate?(params: Record<string, unknown>, context: OperationContext, receipt: OperationReceipt | null): unknown;
  /**
   * What can be found wrong before the run starts, from the params known then (those that do not
   * wait for an earlier step's output): a missing prompt, key or program, a backlog item that is
   * not open. Each problem says what to pass or fix. runtime/preflight.ts calls it for every step
   * before the first one runs, so a mistake costs no model call.
   */
  preflight?(known: Readonly<Record<string, unknown>>, context: PreflightContext): string[];
}

/** What a pre-flight check may look at. */
export interface PreflightContext {
  repo_root: string;
  mode: 'live' | 'record' | 'replay';
}

/** Identity, for type inference when defining a handler. */
export function defineOperation(handler: OperationHandler): OperationHandler {
  return handler;
}

/** The core definition of a built-in operation type (what validation and planning know of it). */
export function builtinDefinition(type: string): OperationDefinition {
  const definition = BUILTIN_OPERATIONS.find((candidate) => candidate.type === type);
  if (!definition) throw new Error(`no built-in operation "${type}"`);
  return definition;
}
