/**
 * Completion bundles (spec §5.5, §5.8): written when an attempt ends, for success and failure
 * alike, beside the journal as `bundle.<attempt>.json`. A bundle holds the whole journal, the
 * receipts, the final state and its hash, the escalations, and the journal's entry count and
 * head hash, which later anchor `verify` against a truncated or rewritten tail.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { entryLine, type JournalEntry, type JournalVerification } from '../core/journal-chain.ts';
import { verifyJournalText } from '../core/journal-check.ts';
import type { RecordedSnapshot, RunStatus } from '../core/run-state.ts';
import { readEvidenceFile, readLines } from './journal-lines.ts';

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

/** A bundle's fields other than the two copies, which are streamed from their files. */
export type BundleHeader = Omit<CompletionBundle, 'journal' | 'agent_calls'>;

/** Where the copies come from: the journal (its first `entry_count` lines) and the call log (all of it), as repository-relative and absolute paths. */
export interface BundleSources {
  journal: { file: string; path: string; entry_count: number; head_hash: Sha256 };
  agentCalls: { file: string; path: string } | null;
}

/**
 * Write a bundle: the header, then the journal and the call log copied line by line from their
 * files (each line is already one entry's JSON), so a long run's bundle never holds its journal
 * in memory. Written to a temporary file and renamed into place: a crash leaves no bundle or a
 * whole one.
 */
export function writeBundle(path: string, header: BundleHeader, sources: BundleSources): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    const out = (text: string | Uint8Array): void => writeAll(fd, typeof text === 'string' ? Buffer.from(text) : text);
    out(`${JSON.stringify(header, null, 1).slice(0, -2)},\n "journal": `);
    const { journal, agentCalls } = sources;
    out(`{"file":${JSON.stringify(journal.file)},"entry_count":${journal.entry_count},"head_hash":${JSON.stringify(journal.head_hash)},"entries":[\n`);
    const copied = copyLines(journal.path, journal.entry_count, out);
    if (copied !== journal.entry_count) throw new Error(`${journal.path} has ${copied} entries, not the ${journal.entry_count} the run wrote`);
    out(']},\n "agent_calls": ');
    if (agentCalls) {
      out(`{"file":${JSON.stringify(agentCalls.file)},"entries":[\n`);
      copyLines(agentCalls.path, Number.POSITIVE_INFINITY, out, parsesAsObject);
      out(']}');
    } else out('null');
    out('\n}\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** Copy up to `limit` whole lines (those `accept` accepts) as JSON array items; returns how many were copied. */
function copyLines(file: string, limit: number, out: (bytes: Uint8Array) => void, accept: (line: Buffer) => boolean = () => true): number {
  let copied = 0;
  readLines(file, (bytes, start, end) => {
    if (copied >= limit || !accept(bytes.subarray(start, end))) return;
    out(Buffer.from(copied === 0 ? '' : ',\n'));
    out(bytes.subarray(start, end));
    copied++;
  });
  if (copied > 0) out(Buffer.from('\n'));
  return copied;
}

// The call log is not verified before it is copied: a line that is not an entry (a crash's
// leftovers) is left out, as verify's reading of the call log leaves it out.
function parsesAsObject(line: Buffer): boolean {
  try {
    const value = JSON.parse(line.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written);
}

/** Verify a bundle: its journal copy chains, and its recorded count and head hash match it. */
export function verifyBundle(path: string): JournalVerification {
  let bundle: Partial<CompletionBundle>;
  try {
    bundle = JSON.parse(readEvidenceFile(path).toString('utf8')) as Partial<CompletionBundle>;
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
