/**
 * The agent call log (spec §5.1 logging contract, §5.8): one JSONL file per run,
 * `logs/agent_calls/<run>.jsonl`, hash-chained exactly like the mission journal (the same
 * sealing, the same genesis bound to the run id), so `lifeos-mission verify` checks it too.
 * Entries are redacted before they are sealed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { sealEntry, type JournalEntry } from '../core/journal-chain.ts';
import { parseJournalText } from '../core/journal-check.ts';

export interface CallLogEntry {
  call_id_deterministic: Sha256;
  call_id_audit: string;
  timestamp: string;
  node: string;
  role: string;
  model_requested: string;
  model_used: string | null;
  model_version: string | null;
  input_packet_hash: Sha256;
  prompt_hash: Sha256;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_ms: number;
  output_packet_hash: Sha256 | null;
  status: 'success' | 'error' | 'timeout' | 'invalid_response' | 'model_unavailable';
  mode: 'live' | 'record' | 'replay';
  /** How a replay's fixture matched (agents/replay-match.ts); null outside replay. */
  replay_status: 'hit' | 'code_drift' | 'version_drift' | null;
  /** The commit the replayed fixture was recorded at, when it says. */
  recorded_code_version: string | null;
  /** The response format the call asked for (null in replay). */
  structured_output: 'json_schema' | 'json_object' | 'none' | null;
  /** The endpoint answered with a model outside the role's chain, and the mapping accepts that. */
  model_mismatch: boolean;
  error: string | null;
}

export function callLogPath(callsDir: string, runId: Sha256): string {
  return join(callsDir, `${runId.slice('sha256:'.length)}.jsonl`);
}

/** Append one sealed entry to the run's call log (fsync'd); the chain is read back from the file. */
export function appendCallLog(path: string, runId: Sha256, entry: CallLogEntry): JournalEntry {
  let previous: JournalEntry | undefined;
  if (existsSync(path)) {
    const { entries, verification } = parseJournalText(readFileSync(path, 'utf8'), { runId });
    if (!verification.ok) throw new Error(`call log ${path} does not verify (${verification.errors[0]?.kind} at line ${verification.errors[0]?.line}); run \`lifeos-mission verify ${path}\``);
    previous = entries[entries.length - 1];
  }
  const { entry: sealed, line } = sealEntry({ run_id: runId, type: 'agent_call', at: entry.timestamp, data: { ...entry } }, previous);
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return sealed;
}
