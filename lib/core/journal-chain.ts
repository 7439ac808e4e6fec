/**
 * The hash chain of a mission journal (spec §5.7, §5.8), as pure functions over entries and
 * text: sealing a new entry (verification is core/journal-check.ts). Files are read and written by
 * runtime/journal.ts.
 *
 * An entry is one JSON line. `entry_hash` is the sha256 of the canonical JSON of the entry
 * without `entry_hash` (so it covers `seq`, `run_id` and `prev_entry_hash`); the first entry's
 * `prev_entry_hash` is a genesis hash bound to the run id, so an entry cannot be moved to the
 * head of another run's journal.
 */
import { canonicalJson, hashCanonical, sha256, type Sha256 } from './canonical.ts';

/** Journal format version, part of the genesis hash. */
export const JOURNAL_FORMAT = 'lifeos-mission/journal/v1';

export interface JournalEntry<T extends string = string> {
  /** 1, 2, 3 ... within one journal. */
  seq: number;
  run_id: Sha256;
  type: T;
  /** ISO 8601 time of writing: audit metadata only, never read by a decision. */
  at: string;
  data: Record<string, unknown>;
  prev_entry_hash: Sha256;
  entry_hash: Sha256;
}

/**
 * The chain's own kinds; from a run folder's check, a finished attempt's bundle that is missing
 * or does not match its journal; from the anchor log, an attempt it does not anchor, an anchor
 * the run no longer matches, and an anchor whose signature does not verify.
 */
export type JournalErrorKind =
  | 'parse_error'
  | 'hash_mismatch'
  | 'chain_break'
  | 'sequence_gap'
  | 'torn_tail'
  | 'bundle_missing'
  | 'bundle_mismatch'
  | 'unexpected_entry'
  | 'decision_mismatch'
  | 'anchor_missing'
  | 'anchor_mismatch'
  | 'signature_invalid';

export interface JournalError {
  /** 1-based line of the journal (for a truncation: the line where the missing entry belongs). */
  line: number;
  kind: JournalErrorKind;
  message: string;
}

/** What a completion bundle (or the state store) recorded about the journal's end. */
export interface JournalAnchor {
  entry_count: number;
  head_hash: Sha256;
  /** Where the anchor comes from, for messages (`bundle.1.json`). */
  source?: string;
}

export interface JournalVerification {
  ok: boolean;
  /** Entries read (lines that parsed), whether or not they verified. */
  entries: number;
  /** `entry_hash` of the last entry, or the genesis hash of an empty journal; null if unknown. */
  headHash: Sha256 | null;
  runId: Sha256 | null;
  errors: JournalError[];
}

/** The `prev_entry_hash` of a run's first entry. */
export function genesisHash(runId: Sha256): Sha256 {
  return hashCanonical({ genesis: JOURNAL_FORMAT, run_id: runId });
}

/**
 * Seal the next entry after `previous` (undefined for the first). Returns the entry and its
 * line (canonical JSON of the entry with `entry_hash` appended, then a newline), serialised once.
 */
export function sealEntry(
  fields: { run_id: Sha256; type: string; at: string; data: Record<string, unknown> },
  previous: Pick<JournalEntry, 'seq' | 'entry_hash'> | undefined,
): { entry: JournalEntry; line: string } {
  const unsealed = {
    at: fields.at,
    data: fields.data,
    prev_entry_hash: previous ? previous.entry_hash : genesisHash(fields.run_id),
    run_id: fields.run_id,
    seq: previous ? previous.seq + 1 : 1,
    type: fields.type,
  };
  const body = canonicalJson(unsealed);
  const entryHash = sha256(body);
  return {
    entry: { ...unsealed, entry_hash: entryHash },
    line: `${body.slice(0, -1)},"entry_hash":"${entryHash}"}\n`,
  };
}

/** The line a journal holds for an entry: its canonical JSON without `entry_hash`, then `entry_hash` last (no newline). */
export function entryLine(entry: JournalEntry): string {
  const { entry_hash: hash, ...rest } = entry;
  return `${canonicalJson(rest).slice(0, -1)},"entry_hash":"${hash}"}`;
}

/** The hash an entry should carry: sha256 of its canonical JSON without `entry_hash`. */
export function entryHash(entry: Record<string, unknown>): Sha256 {
  const { entry_hash: _ignored, ...rest } = entry;
  return hashCanonical(rest);
}
