/**
 * Completion bundles (spec §5.5, §5.8): written when an attempt ends, for success and failure
 * alike, beside the journal as `bundle.<attempt>.json`. A bundle holds the whole journal, the
 * receipts, the final state and its hash, the escalations, and the journal's entry count and
 * head hash, which later anchor `verify` against a truncated or rewritten tail.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { entryLine, verifyJournalText, type JournalEntry, type JournalVerification } from '../core/journal-chain.ts';
import type { RecordedSnapshot, RunStatus } from '../core/run-state.ts';

export const BUNDLE_VERSION = 'lifeos-mission/bundle/v1';

export interface CompletionBundle {
  bundle_version: typeof BUNDLE_VERSION;
  run_id: Sha256;
  run_id_audit: string;
  mission: string;
  attempt: number;
  status: RunStatus;
  baseline_commit: string | null;
  /** HEAD at the end, when the run moved it (a commit); else null. */
  result_commit: string | null;
  final_state: RecordedSnapshot;
  final_state_hash: Sha256;
  outputs: unknown;
  escalations: unknown[];
  receipts: unknown[];
  journal: { file: string; entry_count: number; head_hash: Sha256; entries: JournalEntry[] };
  /**
   * The run's agent call log as it stood (spec §5.5: the decision-affecting calls), so the
   * evidence survives the call logs' retention window.
   */
  agent_calls: { file: string; entries: JournalEntry[] } | null;
}

export function bundlePath(runDir: string, attempt: number): string {
  return join(runDir, `bundle.${attempt}.json`);
}

/** Written to a temporary file and renamed into place: a crash leaves no bundle or a whole one. */
export function writeBundle(path: string, bundle: CompletionBundle): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeFileSync(fd, `${JSON.stringify(bundle, null, 1)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Verify a bundle: its journal copy chains, and its recorded count and head hash match it. */
export function verifyBundle(path: string): JournalVerification {
  let bundle: Partial<CompletionBundle>;
  try {
    bundle = JSON.parse(readFileSync(path, 'utf8')) as Partial<CompletionBundle>;
  } catch (error) {
    return { ok: false, entries: 0, headHash: null, runId: null, errors: [{ line: 1, kind: 'parse_error', message: `not a bundle: ${(error as Error).message}` }] };
  }
  const journal = bundle.journal;
  if (!journal || !Array.isArray(journal.entries)) {
    return { ok: false, entries: 0, headHash: null, runId: null, errors: [{ line: 1, kind: 'parse_error', message: 'the bundle has no journal.entries' }] };
  }
  let text: string;
  try {
    text = journal.entries.map((entry) => `${entryLine(entry)}\n`).join('');
  } catch (error) {
    return { ok: false, entries: 0, headHash: null, runId: null, errors: [{ line: 1, kind: 'parse_error', message: `the bundle's journal copy is not journal entries: ${(error as Error).message}` }] };
  }
  return verifyJournalText(text, {
    ...(bundle.run_id ? { runId: bundle.run_id } : {}),
    anchors: [{ entry_count: journal.entry_count, head_hash: journal.head_hash, source: 'the bundle header' }],
  });
}
