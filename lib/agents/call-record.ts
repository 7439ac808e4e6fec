/**
 * The call log entry of one model call (spec §5.1.3 logging contract), made once the call's
 * outcome is known: `success` with the output packet's hash, `invalid_response` with what was
 * wrong with the reply, `timeout`, `error` or `model_unavailable` with the error. A replay says
 * how its fixture matched (`hit`, `code_drift`, `version_drift`) and the commit it was recorded
 * at. Redacted, then sealed into the run's hash-chained log (call-log.ts).
 */
import { randomUUID } from 'node:crypto';
import { hashCanonical, type Sha256 } from '../core/canonical.ts';
import type { Redact } from '../core/redact.ts';
import { appendCallLog, callLogPath, type CallLogEntry } from './call-log.ts';
import type { StructuredOutput } from './client.ts';
import type { ReplayStatus } from './replay-match.ts';

/** What an answered call records besides its status. */
export interface CallOutcome {
  model_requested: string;
  model_used: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number;
  latency_ms: number;
  structured_output?: StructuredOutput;
  model_mismatch?: boolean;
  replay?: { status: ReplayStatus; recorded_code_version: string | null };
}

export interface CallRecorder {
  /** The reply arrived: its packet (null when the step names no schema and it held none), or what is wrong with it. */
  answered(outcome: CallOutcome, result: { packet: Record<string, unknown> | null } | { problem: string }): void;
  /** No usable answer. */
  failed(fields: Partial<CallOutcome> & { status: Exclude<CallLogEntry['status'], 'success' | 'invalid_response'>; error: string }): void;
  /** Whether this call's entry is written (a failure after it is not logged twice). */
  readonly done: boolean;
}

/** What of the step's context a call log entry names. */
export interface CallContext {
  run_id: Sha256;
  node_id: string;
  mode: 'live' | 'record' | 'replay';
}

export interface CallIdentity {
  settings: { callsDir: string; redact: Redact };
  context: CallContext;
  callId: Sha256;
  role: string;
  promptHash: Sha256;
  packetHash: Sha256;
  /** The first model of the chain, until the outcome names the one asked. */
  requested: string;
}

export function callRecorder(identity: CallIdentity): CallRecorder {
  const { settings, context } = identity;
  let done = false;
  const write = (fields: Partial<CallLogEntry> & Pick<CallLogEntry, 'status'>, outcome: Partial<CallOutcome>): void => {
    const entry: CallLogEntry = {
      call_id_deterministic: identity.callId,
      call_id_audit: randomUUID(),
      timestamp: new Date().toISOString(),
      node: context.node_id,
      role: identity.role,
      model_requested: outcome.model_requested ?? identity.requested,
      model_used: outcome.model_used ?? null,
      model_version: outcome.model_used ?? null,
      input_packet_hash: identity.packetHash,
      prompt_hash: identity.promptHash,
      input_tokens: outcome.usage?.input_tokens ?? 0,
      output_tokens: outcome.usage?.output_tokens ?? 0,
      cost_usd: outcome.cost_usd ?? 0,
      latency_ms: outcome.latency_ms ?? 0,
      output_packet_hash: null,
      mode: context.mode,
      replay_status: outcome.replay?.status ?? null,
      recorded_code_version: outcome.replay?.recorded_code_version ?? null,
      structured_output: outcome.structured_output ?? null,
      model_mismatch: outcome.model_mismatch ?? false,
      error: null,
      ...fields,
    };
    appendCallLog(callLogPath(settings.callsDir, context.run_id), context.run_id, settings.redact(entry));
    done = true;
  };
  return {
    answered(outcome, result) {
      if ('problem' in result) write({ status: 'invalid_response', error: result.problem }, outcome);
      else write({ status: 'success', output_packet_hash: result.packet === null ? null : hashCanonical(result.packet) }, outcome);
    },
    failed({ status, error, ...outcome }) {
      write({ status, error }, outcome);
    },
    get done() {
      return done;
    },
  };
}
