/**
 * The hash chain of a mission journal (spec §5.7, §5.8), as pure functions over entries and
 * text: sealing a new entry and verifying a whole journal. Files are read and written by
 * runtime/journal.ts.
 *
 * An entry is one JSON line. `entry_hash` is the sha256 of the canonical JSON of the entry
 * without `entry_hash` (so it covers `seq`, `run_id` and `prev_entry_hash`); the first entry's
 * `prev_entry_hash` is a genesis hash bound to the run id, so an entry cannot be moved to the
 * head of another run's journal.
 */
import { canonicalJson, hashCanonical, isSha256, sha256, type Sha256 } from './canonical.ts';

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

/** The chain's own kinds, and (from a run folder's check) a finished attempt's bundle that is missing or does not match its journal. */
export type JournalErrorKind = 'parse_error' | 'hash_mismatch' | 'chain_break' | 'sequence_gap' | 'torn_tail' | 'bundle_missing' | 'bundle_mismatch';

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

const UNKNOWN = Symbol('unknown hash');

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

/**
 * Verify journal text: every line parses, carries the hash of its own content, follows the
 * previous line (`seq` + 1, `prev_entry_hash` = previous `entry_hash`, same `run_id`), and the
 * file ends with a newline. Each line is checked against the previous line as written, so one
 * tampered entry yields one error rather than a cascade. `anchors` (from completion bundles)
 * make a truncated or rewritten tail detectable.
 */
export function verifyJournalText(text: string, options: JournalCheckOptions = {}): JournalVerification {
  return parseJournalText(text, options).verification;
}

export interface JournalCheckOptions {
  runId?: Sha256;
  anchors?: readonly JournalAnchor[];
}

/** Parse and verify journal text in one pass: the entries that parse, and the verification. */
export function parseJournalText(text: string, options: JournalCheckOptions = {}): { entries: JournalEntry[]; verification: JournalVerification } {
  const entries: JournalEntry[] = [];
  const errors: JournalError[] = [];
  const lines = text.split('\n');
  const complete = lines.pop() === '' ? lines : undefined;
  if (complete === undefined) {
    errors.push({ line: lines.length + 1, kind: 'torn_tail', message: 'the last line is incomplete (no closing newline): the write was cut off' });
  }
  const checked = complete ?? lines;
  let runId: Sha256 | null = options.runId ?? null;
  let previous: { seq: number; hash: unknown } | undefined;
  const hashes: unknown[] = [];
  checked.forEach((text, index) => {
    const line = index + 1;
    let entry: Record<string, unknown>;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      entry = parsed as Record<string, unknown>;
    } catch (error) {
      errors.push({ line, kind: 'parse_error', message: `not a journal entry: ${(error as Error).message}` });
      // Assume the unreadable line held the next entry, so the lines after it are still checked.
      previous = { seq: (previous?.seq ?? 0) + 1, hash: UNKNOWN };
      hashes.push(undefined);
      return;
    }
    entries.push(entry as unknown as JournalEntry);
    hashes.push(entry.entry_hash);
    const problem = checkEntry(entry, previous, runId, text);
    if (problem) errors.push({ line, ...problem });
    if (runId === null && isSha256(entry.run_id)) runId = entry.run_id;
    previous = { seq: typeof entry.seq === 'number' ? entry.seq : NaN, hash: entry.entry_hash };
  });
  for (const anchor of options.anchors ?? []) {
    const problem = checkAnchor(anchor, hashes);
    if (problem) errors.push(problem);
  }
  const last = hashes[hashes.length - 1];
  const verification: JournalVerification = {
    ok: errors.length === 0,
    entries: entries.length,
    headHash: hashes.length === 0 ? (runId ? genesisHash(runId) : null) : isSha256(last) ? last : null,
    runId,
    errors: errors.sort((a, b) => a.line - b.line),
  };
  return { entries, verification };
}

function checkEntry(
  entry: Record<string, unknown>,
  previous: { seq: number; hash: unknown } | undefined,
  runId: Sha256 | null,
  line: string,
): Omit<JournalError, 'line'> | undefined {
  if (!isSha256(entry.entry_hash) || !isSha256(entry.prev_entry_hash) || !isSha256(entry.run_id) || !Number.isSafeInteger(entry.seq)) {
    return { kind: 'parse_error', message: 'entry lacks seq, run_id, prev_entry_hash or entry_hash' };
  }
  let body: string;
  try {
    const { entry_hash: _ignored, ...rest } = entry;
    body = canonicalJson(rest);
  } catch (error) {
    return { kind: 'parse_error', message: (error as Error).message };
  }
  const actual = sha256(body);
  if (actual !== entry.entry_hash) {
    return { kind: 'hash_mismatch', message: `entry ${String(entry.seq)}: content hashes to ${actual}, but the entry says ${entry.entry_hash}` };
  }
  // Strict form: exactly the bytes the writer writes (canonical JSON, entry_hash last, LF), so
  // this verifier and any other one (the Python one in docs/journal-format.md) never disagree.
  if (line !== `${body.slice(0, -1)},"entry_hash":"${entry.entry_hash}"}`) {
    return { kind: 'parse_error', message: `entry ${String(entry.seq)} is not written in the journal's canonical form (canonical JSON with entry_hash last, LF line ends${line.endsWith('\r') ? '; this line ends with CR' : ''})` };
  }
  const expectedSeq = previous ? previous.seq + 1 : 1;
  if (entry.seq !== expectedSeq) {
    return { kind: 'sequence_gap', message: `expected seq ${expectedSeq}, found ${String(entry.seq)}` };
  }
  if (runId !== null && entry.run_id !== runId) {
    return { kind: 'chain_break', message: `entry belongs to run ${entry.run_id}, not ${runId}` };
  }
  const expectedPrev = previous ? previous.hash : genesisHash(entry.run_id);
  if (expectedPrev !== UNKNOWN && entry.prev_entry_hash !== expectedPrev) {
    const what = previous ? 'the previous entry_hash' : 'the genesis hash of the run';
    return { kind: 'chain_break', message: `prev_entry_hash ${entry.prev_entry_hash} is not ${what} (${String(expectedPrev)})` };
  }
  return undefined;
}

function checkAnchor(anchor: JournalAnchor, hashes: readonly unknown[]): JournalError | undefined {
  const from = anchor.source ? ` (${anchor.source})` : '';
  if (hashes.length < anchor.entry_count) {
    return {
      line: hashes.length + 1,
      kind: 'torn_tail',
      message: `the journal ends after ${hashes.length} entries, but ${anchor.entry_count} were recorded${from}: entries were removed from its end`,
    };
  }
  const recorded = hashes[anchor.entry_count - 1];
  if (anchor.entry_count > 0 && recorded !== anchor.head_hash) {
    return {
      line: anchor.entry_count,
      kind: 'hash_mismatch',
      message: `entry ${anchor.entry_count} has hash ${String(recorded)}, but ${anchor.head_hash} was recorded${from}`,
    };
  }
  return undefined;
}
