/**
 * Completion bundles (spec §5.5, §5.8): written when an attempt ends, for success and failure
 * alike, beside the journal as `bundle.<attempt>.json`. A bundle holds the receipts, the final
 * state and its hash, the escalations, the call log, and the journal's entry count and head
 * hash, which bind it to the journal beside it (the chain binds every earlier entry to that
 * hash) and later anchor `verify` against a truncated or rewritten tail. It embeds a copy of the
 * journal only when asked (`embedJournal`): a bundle that must be verifiable without its run
 * folder; by default a long run's bundle does not double the run's size on disk.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { entryLine, type JournalEntry, type JournalError, type JournalVerification } from '../core/journal-chain.ts';
import { verifyJournalText } from '../core/journal-check.ts';
import type { RecordedSnapshot, RunStatus } from '../core/run-state.ts';
import { JOURNAL_FILE } from './journal.ts';
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
  /** The journal it closes; `entries`, a copy of its first `entry_count` entries, only in a bundle written with embedJournal. */
  journal: { file: string; entry_count: number; head_hash: Sha256; entries?: JournalEntry[] };
  /**
   * The run's agent call log as it stood (spec §5.5: the decision-affecting calls), so the
   * evidence survives the call logs' retention window.
   */
  agent_calls: { file: string; entries: JournalEntry[] } | null;
}

export function bundlePath(runDir: string, attempt: number): string {
  return join(runDir, `bundle.${attempt}.json`);
}

/** A bundle's fields other than those streamed from files or lists (receipts, journal, call log). */
export type BundleHeader = Omit<CompletionBundle, 'receipts' | 'journal' | 'agent_calls'>;

/**
 * Where the rest comes from: the receipts, the journal (its first `entry_count` lines, copied
 * when `embed`) and the call log (all of it), as repository-relative and absolute paths.
 */
export interface BundleSources {
  receipts: readonly unknown[];
  journal: { file: string; path: string; entry_count: number; head_hash: Sha256; embed: boolean };
  agentCalls: { file: string; path: string } | null;
}

/**
 * Write a bundle: the header, then the receipts one by one, the journal and the call log copied
 * line by line from their files (each line is already one entry's JSON), so a long run's bundle
 * is never held in memory. Written to a temporary file and renamed into place: a crash leaves no
 * bundle or a whole one. Returns the hash of the bytes written (what the anchor names).
 */
export function writeBundle(path: string, header: BundleHeader, sources: BundleSources): Sha256 {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  const hash = createHash('sha256');
  try {
    const out = (text: string | Uint8Array): void => {
      const bytes = typeof text === 'string' ? Buffer.from(text) : text;
      hash.update(bytes);
      writeAll(fd, bytes);
    };
    const { receipts, journal, agentCalls } = sources;
    out(`${JSON.stringify(header, null, 1).slice(0, -2)},\n "receipts": [`);
    receipts.forEach((receipt, index) => out(`${index === 0 ? '\n' : ',\n'}${JSON.stringify(receipt)}`));
    out(`],\n "journal": {"file":${JSON.stringify(journal.file)},"entry_count":${journal.entry_count},"head_hash":${JSON.stringify(journal.head_hash)}`);
    if (journal.embed) {
      out(',"entries":[\n');
      const copied = copyLines(journal.path, journal.entry_count, out);
      if (copied !== journal.entry_count) throw new Error(`${journal.path} has ${copied} entries, not the ${journal.entry_count} the run wrote`);
      out(']');
    }
    out('},\n "agent_calls": ');
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
  return `sha256:${hash.digest('hex')}`;
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

/**
 * Verify a bundle's binding to its journal: the journal it embeds, or else the journal beside it
 * (`journal.jsonl` in the same run folder), must chain and hold the recorded count and head hash.
 */
export function verifyBundle(path: string): JournalVerification {
  const fail = (message: string, kind: JournalError['kind'] = 'parse_error'): JournalVerification => ({ ok: false, entries: 0, headHash: null, runId: null, errors: [{ line: 1, kind, message }] });
  let bundle: Partial<CompletionBundle>;
  try {
    bundle = JSON.parse(readEvidenceFile(path).toString('utf8')) as Partial<CompletionBundle>;
  } catch (error) {
    return fail(`not a bundle: ${(error as Error).message}`);
  }
  const journal = bundle.journal;
  if (!journal || typeof journal !== 'object') return fail('the bundle has no journal { file, entry_count, head_hash }');
  let text: string;
  if (journal.entries === undefined) {
    const beside = join(dirname(path), JOURNAL_FILE);
    try {
      text = readEvidenceFile(beside).toString('utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not beside it' : `cannot be read (${(error as Error).message})`;
      return fail(`the bundle holds no copy of its journal (${String(journal.file)}, ${String(journal.entry_count)} entries, head ${String(journal.head_hash)}) and that journal ${reason}: verify the run folder, or write bundles with --embed-journal to verify them on their own`, 'bundle_mismatch');
    }
  } else {
    try {
      if (!Array.isArray(journal.entries)) throw new Error('journal.entries is not a list');
      text = journal.entries.map((entry) => `${entryLine(entry)}\n`).join('');
    } catch (error) {
      return fail(`the bundle's journal copy is not journal entries: ${(error as Error).message}`);
    }
  }
  return verifyJournalText(text, {
    ...(bundle.run_id ? { runId: bundle.run_id } : {}),
    anchors: [{ entry_count: journal.entry_count, head_hash: journal.head_hash, source: 'the bundle header' }],
  });
}
