/**
 * One streaming pass over a run's journal for `verify` (verify-run.ts): the chain's verification,
 * and what the journal says beyond its chain. For each finished attempt, what its bundle must
 * say (so the bundle is compared without the journal held in memory: receipts as a running
 * hash); every human decision bound to the request and the state it was made on; and nothing
 * after a finished attempt but the start of the next one.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type Sha256 } from '../core/canonical.ts';
import type { JournalAnchor, JournalEntry, JournalError, JournalVerification } from '../core/journal-chain.ts';
import { MAX_ERRORS, parseJournalText, type JournalCheckOptions } from '../core/journal-check.ts';
import { decisionContentHash } from '../core/run-state.ts';
import { stateHash, type RepoSnapshot } from './git-state.ts';
import { checkLines } from './journal.ts';

/** What a finished attempt's bundle must say, summarised from the journal as it streams past. */
export interface AttemptEnd {
  end: JournalEntry;
  mission: unknown;
  runIdAudit: string;
  baseline: string | null;
  escalations: unknown[];
  receipts: { count: number; hash: string };
}

export interface RunSummary {
  verification: JournalVerification;
  attempts: AttemptEnd[];
  /** Every pause for a human: its run_paused entry's seq and the attempt it paused. */
  pauses: Array<{ seq: number; attempt: number }>;
  /** unexpected_entry and decision_mismatch problems. */
  errors: JournalError[];
}

const SUMMARISED = new Set(['run_started', 'run_finished', 'escalated', 'operation_finished', 'human_requested', 'run_paused', 'human_decided']);

/** Summarise a journal file, or (for a bundle's copy) journal text. */
export function summariseRun(source: { path: string } | { text: string }, options: { runId: Sha256 | undefined; withReceipts: boolean; anchors: readonly JournalAnchor[] }): RunSummary {
  const attempts: AttemptEnd[] = [];
  const errors: JournalError[] = [];
  let started: JournalEntry | undefined;
  let ended: JournalEntry | undefined;
  const escalations: unknown[] = [];
  const receipts = createHash('sha256');
  let receiptCount = 0;
  const requests = new Map<string, JournalEntry>();
  const pauses = new Map<string, JournalEntry>();
  const report = (error: JournalError): void => {
    if (errors.length < MAX_ERRORS) errors.push(error);
  };
  const after = { count: 0, first: { line: 0, type: '' } };
  const paused: RunSummary['pauses'] = [];
  const closeAfter = (): void => {
    if (after.count === 0 || !ended) return;
    const { line, type } = after.first;
    report({ line, kind: 'unexpected_entry', message: `${after.count === 1 ? `a ${type} entry follows` : `${after.count} entries (the first a ${type}) follow`} the end of attempt ${attempts.length} (line ${ended.seq}); only run_started may` });
    after.count = 0;
  };
  const check = (checkOptions: JournalCheckOptions) => ('path' in source ? checkLines(source.path, checkOptions) : parseJournalText(source.text, checkOptions));
  const { verification } = check({
    ...(options.runId ? { runId: options.runId } : {}),
    anchors: options.anchors,
    keep: (type, line) => {
      // A finished attempt is final: only a new attempt may follow it (reported once per run of such entries).
      if (ended && type !== 'run_started') {
        if (after.count++ === 0) after.first = { line, type };
      } else if (type === 'run_started') closeAfter();
      if (type === 'run_started') ended = undefined;
      return SUMMARISED.has(type) && (options.withReceipts || type !== 'operation_finished');
    },
    onEntry: (entry) => {
      if (entry.data === null || typeof entry.data !== 'object' || Array.isArray(entry.data)) {
        report({ line: entry.seq, kind: 'parse_error', message: `entry ${entry.seq} (${String(entry.type)}) has no data object` });
        return;
      }
      switch (entry.type) {
        case 'run_started':
          started = entry;
          break;
        case 'escalated':
          escalations.push(entry.data);
          break;
        case 'operation_finished':
          receipts.update(`${canonicalJsonOrNull(entry.data.receipt)}\n`);
          receiptCount++;
          break;
        case 'human_requested':
          requests.set(String(entry.data.request_id), entry);
          break;
        case 'run_paused':
          pauses.set(String(entry.data.request_id), entry);
          paused.push({ seq: entry.seq, attempt: attempts.length + 1 });
          break;
        case 'human_decided': {
          const problem = decisionProblem(entry, requests, pauses);
          if (problem) report({ line: entry.seq, kind: 'decision_mismatch', message: problem });
          break;
        }
        case 'run_finished':
          ended = entry;
          attempts.push({
            end: entry,
            // The bundle names the latest attempt's mission and audit id, as the engine's run state does.
            mission: started?.data.mission,
            runIdAudit: String(started?.data.run_id_audit ?? ''),
            baseline: (started?.data.baseline as { head?: string | null } | undefined)?.head ?? null,
            escalations: [...escalations],
            receipts: { count: receiptCount, hash: receipts.copy().digest('hex') },
          });
          break;
        default:
          break;
      }
    },
  });
  closeAfter();
  return { verification, attempts, pauses: paused, errors };
}

/**
 * A decision must follow a pause on its request and carry the hash of that request and the
 * state the run paused in (what the human saw), as the engine writes it (runtime/decisions.ts).
 */
function decisionProblem(decided: JournalEntry, requests: ReadonlyMap<string, JournalEntry>, pauses: ReadonlyMap<string, JournalEntry>): string | undefined {
  const id = String(decided.data.request_id);
  const request = requests.get(id);
  const paused = pauses.get(id);
  if (!request || !paused || paused.seq > decided.seq) return `the decision on ${id} follows no request and pause on it`;
  let expected: Sha256;
  try {
    expected = decisionContentHash(request.data, stateHash(paused.data.state as RepoSnapshot));
  } catch {
    return `the pause before the decision on ${id} has no readable state`;
  }
  if (decided.data.content_hash === expected) return undefined;
  return `the decision on ${id} is bound to ${String(decided.data.content_hash)}, but its request and the state the run paused in hash to ${expected}`;
}

/** Canonical JSON, or `null` for a value that has none (a forged receipt still compares unequal). */
export function canonicalJsonOrNull(value: unknown): string {
  try {
    return canonicalJson(value ?? null);
  } catch {
    return 'null';
  }
}
