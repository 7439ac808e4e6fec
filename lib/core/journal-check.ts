/**
 * Verifying a journal's hash chain (spec §5.8) one line at a time, in bounded memory: each line
 * must be exactly the bytes the writer writes (lib/core/journal-chain.ts), carry the hash of its
 * own content and follow the previous line. Files are fed to it by runtime/journal-lines.ts.
 *
 * The writer writes canonical lines, so the common case is a byte scan (journal-line-scan.ts)
 * plus one sha256 per line; a line the scan does not accept takes the exact path (parse,
 * re-serialise, compare), which also produces the precise message. Either way the verdict is
 * the same: the scan only accepts lines the exact path would accept.
 */
import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import { canonicalJson, isSha256, sha256, type Sha256 } from './canonical.ts';
import { genesisHash, type JournalAnchor, type JournalEntry, type JournalError, type JournalVerification } from './journal-chain.ts';
import { scanJournalLine, type ScannedLine } from './journal-line-scan.ts';

export interface JournalCheckOptions {
  runId?: Sha256;
  /** What completion bundles or the anchor log recorded about the journal's end. */
  anchors?: readonly JournalAnchor[];
  /** Which entries to parse and hand back (default: all), asked of every line that parses. Verification does not need them. */
  keep?: (type: string, line: number) => boolean;
  /** Receives each kept entry instead of `entries` collecting it (so memory does not grow). */
  onEntry?: (entry: JournalEntry) => void;
}

const UNKNOWN = 'unknown';
/** Errors kept per file: a file of garbage has one per line, and the first ones tell the story. */
export const MAX_ERRORS = 1000;
const CLOSE = 0x7d;
const LF = 0x0a;

// Node >= 20.12 hashes a buffer in one call; older 20.x builds a Hash object per line.
const hashHex: (data: Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash: (algorithm: string, data: Uint8Array) => string }).hash('sha256', data)
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * Checks runs of whole lines in order (`lines`, `linesHashed`); `finish()` gives the verification.
 * Holds only the previous line's hash and the anchored hashes, whatever the journal's length.
 */
export class JournalChecker {
  readonly entries: JournalEntry[] = [];
  private readonly errors: JournalError[] = [];
  private readonly anchors: readonly JournalAnchor[];
  private readonly anchored = new Map<number, string>();
  private readonly keep: (type: string, line: number) => boolean;
  private readonly take: (entry: JournalEntry) => void;
  private runId: Sha256 | null;
  private previous: { seq: number; hash: string } | undefined;
  private lineCount = 0;
  private unlisted = 0;
  private parsed = 0;
  private head: string | undefined;

  constructor(options: JournalCheckOptions = {}) {
    this.runId = options.runId ?? null;
    this.anchors = options.anchors ?? [];
    for (const anchor of this.anchors) this.anchored.set(anchor.entry_count, UNKNOWN);
    this.keep = options.keep ?? (() => true);
    this.take = options.onEntry ?? ((entry) => this.entries.push(entry));
  }

  /**
   * Check the whole lines in bytes[from, to), each ending in LF; `utf8` tells they are known to
   * be valid UTF-8. The bytes may be changed during the call and are put back before it returns.
   */
  lines(bytes: Buffer, from: number, to: number, utf8: boolean): void {
    for (let start = from; start < to; ) {
      const end = bytes.indexOf(LF, start);
      this.line(bytes, start, end, utf8);
      start = end + 1;
    }
  }

  /**
   * The same for lines another thread scanned and hashed (runtime/line-worker.ts), from its
   * status byte per line: 0 not in the writer's form, 1 in it with a matching hash, 2 in it with
   * another hash. Their fields are read off their fixed tail, or by the scan where it is unusual.
   */
  linesHashed(bytes: Buffer, from: number, to: number, statuses: Uint8Array): void {
    for (let start = from, index = 0; start < to; index++) {
      const end = bytes.indexOf(LF, start);
      const scanned = statuses[index] === 0 ? undefined : (tailFields(bytes, start, end) ?? scanJournalLine(bytes, start, end));
      if (!scanned) this.exactLine(bytes.subarray(start, end));
      else this.scannedLine(bytes, start, end, scanned, statuses[index] === 1 ? scanned.entryHash : this.bodyHash(bytes, start, scanned.bodyEnd));
      start = end + 1;
    }
  }

  private line(bytes: Buffer, start: number, end: number, utf8: boolean): void {
    const scanned = utf8 || isUtf8(bytes.subarray(start, end)) ? scanJournalLine(bytes, start, end) : undefined;
    if (!scanned) this.exactLine(bytes.subarray(start, end));
    else this.scannedLine(bytes, start, end, scanned, this.bodyHash(bytes, start, scanned.bodyEnd));
  }

  /** A line in the writer's form whose body hashes to `actual`. */
  private scannedLine(bytes: Buffer, start: number, end: number, scanned: ScannedLine, actual: string): void {
    const line = ++this.lineCount;
    this.parsed++;
    const problem = actual !== scanned.entryHash
      ? { kind: 'hash_mismatch' as const, message: `entry ${scanned.seq}: content hashes to ${actual}, but the entry says ${scanned.entryHash}` }
      : this.links(scanned.seq, scanned.runId, scanned.prevHash);
    if (problem) this.report({ line, ...problem });
    if (this.keep(scanned.type, line)) this.take(JSON.parse(bytes.toString('utf8', start, end)) as JournalEntry);
    this.advance(scanned.seq, scanned.entryHash, scanned.runId);
  }

  /** The file ended in an unfinished line (no closing newline). */
  tornTail(): void {
    this.report({ line: this.lineCount + 1, kind: 'torn_tail', message: 'the last line is incomplete (no closing newline): the write was cut off' });
  }

  finish(): JournalVerification {
    const errors = [...this.errors];
    if (this.unlisted > 0) errors.push({ line: this.lineCount, kind: 'parse_error', message: `${this.unlisted} more problems not listed (the first ${MAX_ERRORS} are)` });
    for (const anchor of this.anchors) {
      const problem = this.checkAnchor(anchor);
      if (problem) errors.push(problem);
    }
    const head = this.head;
    return {
      ok: errors.length === 0,
      entries: this.parsed,
      headHash: this.lineCount === 0 ? (this.runId ? genesisHash(this.runId) : null) : head !== undefined && isSha256(head) ? head : null,
      runId: this.runId,
      errors: errors.sort((a, b) => a.line - b.line),
    };
  }

  private report(error: JournalError): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(error);
    else this.unlisted++;
  }

  /** sha256 of the body: the line up to `,"entry_hash"`, closed by `}` (written over the comma for the call, then put back). */
  private bodyHash(bytes: Buffer, start: number, bodyEnd: number): string {
    const comma = bytes[bodyEnd] as number;
    bytes[bodyEnd] = CLOSE;
    try {
      return `sha256:${hashHex(bytes.subarray(start, bodyEnd + 1))}`;
    } finally {
      bytes[bodyEnd] = comma;
    }
  }

  /** The exact path: parse, re-serialise canonically, compare the bytes. */
  private exactLine(raw: Buffer): void {
    const line = ++this.lineCount;
    const text = raw.toString('utf8');
    let entry: Record<string, unknown>;
    try {
      if (!isUtf8(raw)) throw new Error('the line is not valid UTF-8');
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      entry = parsed as Record<string, unknown>;
    } catch (error) {
      this.report({ line, kind: 'parse_error', message: `not a journal entry: ${(error as Error).message}` });
      // Assume the unreadable line held the next entry, so the lines after it are still checked.
      this.advance((this.previous?.seq ?? 0) + 1, UNKNOWN, undefined);
      return;
    }
    this.parsed++;
    if (this.keep(String(entry.type), line)) this.take(entry as unknown as JournalEntry);
    const problem = this.exactForm(entry, text) ?? this.links(entry.seq, entry.run_id, entry.prev_entry_hash);
    if (problem) this.report({ line, ...problem });
    this.advance(typeof entry.seq === 'number' ? entry.seq : NaN, typeof entry.entry_hash === 'string' ? entry.entry_hash : UNKNOWN, entry.run_id);
  }

  private exactForm(entry: Record<string, unknown>, line: string): Omit<JournalError, 'line'> | undefined {
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
    return undefined;
  }

  /** The line follows the previous one: next seq, same run, prev_entry_hash = the previous entry_hash. */
  private links(seq: unknown, runId: unknown, prev: unknown): Omit<JournalError, 'line'> | undefined {
    const expectedSeq = this.previous ? this.previous.seq + 1 : 1;
    if (seq !== expectedSeq) return { kind: 'sequence_gap', message: `expected seq ${expectedSeq}, found ${String(seq)}` };
    if (this.runId !== null && runId !== this.runId) return { kind: 'chain_break', message: `entry belongs to run ${String(runId)}, not ${this.runId}` };
    const expectedPrev = this.previous ? this.previous.hash : genesisHash(runId as Sha256);
    if (expectedPrev !== UNKNOWN && prev !== expectedPrev) {
      const what = this.previous ? 'the previous entry_hash' : 'the genesis hash of the run';
      return { kind: 'chain_break', message: `prev_entry_hash ${String(prev)} is not ${what} (${expectedPrev})` };
    }
    return undefined;
  }

  private advance(seq: number, hash: string, runId: unknown): void {
    if (this.runId === null && isSha256(runId)) this.runId = runId;
    this.previous = { seq, hash };
    this.head = hash === UNKNOWN ? undefined : hash;
    if (this.anchored.has(this.lineCount)) this.anchored.set(this.lineCount, hash);
  }

  private checkAnchor(anchor: JournalAnchor): JournalError | undefined {
    const from = anchor.source ? ` (${anchor.source})` : '';
    if (this.lineCount < anchor.entry_count) {
      return { line: this.lineCount + 1, kind: 'torn_tail', message: `the journal ends after ${this.lineCount} entries, but ${anchor.entry_count} were recorded${from}: entries were removed from its end` };
    }
    const recorded = this.anchored.get(anchor.entry_count);
    if (anchor.entry_count > 0 && recorded !== anchor.head_hash) {
      return { line: anchor.entry_count, kind: 'hash_mismatch', message: `entry ${anchor.entry_count} has hash ${recorded === UNKNOWN ? 'unknown (the line does not parse)' : String(recorded)}, but ${anchor.head_hash} was recorded${from}` };
    }
    return undefined;
  }
}

const TYPE_KEY = Buffer.from(',"type":"');
const SEQ_KEY = Buffer.from(',"seq":');
const RUN_KEY = Buffer.from(',"run_id":"');
const PREV_KEY = Buffer.from(',"prev_entry_hash":"');

/**
 * The fields of a line already known to be in the writer's form, read off its tail, which for
 * an entry of exactly the writer's keys is fixed: `…,"prev_entry_hash":"<71>","run_id":"<71>",
 * "seq":<digits>,"type":"<type>","entry_hash":"<71>"}`. Undefined when the tail is anything else
 * (the caller scans the line instead).
 */
function tailFields(bytes: Buffer, start: number, end: number): ScannedLine | undefined {
  const bodyEnd = end - 88;
  if (bodyEnd - start < 200 || bytes[bodyEnd - 1] !== 0x22) return undefined;
  const typeStart = bytes.lastIndexOf(0x22, bodyEnd - 2) + 1;
  if (!at(bytes, typeStart - TYPE_KEY.length, TYPE_KEY)) return undefined;
  const seqEnd = typeStart - TYPE_KEY.length;
  let seqStart = seqEnd;
  while (seqStart > start && bytes[seqStart - 1] !== 0x3a) seqStart--;
  if (seqStart === seqEnd || !at(bytes, seqStart - SEQ_KEY.length, SEQ_KEY)) return undefined;
  const runEnd = seqStart - SEQ_KEY.length - 1;
  const prevEnd = runEnd - 71 - RUN_KEY.length - 1;
  if (bytes[runEnd] !== 0x22 || !at(bytes, runEnd - 71 - RUN_KEY.length, RUN_KEY) || bytes[prevEnd] !== 0x22 || !at(bytes, prevEnd - 71 - PREV_KEY.length, PREV_KEY)) return undefined;
  return {
    seq: Number(bytes.toString('latin1', seqStart, seqEnd)),
    type: bytes.toString('utf8', typeStart, bodyEnd - 1),
    runId: bytes.toString('latin1', runEnd - 71, runEnd),
    prevHash: bytes.toString('latin1', prevEnd - 71, prevEnd),
    entryHash: bytes.toString('latin1', end - 73, end - 2),
    bodyEnd,
  };
}

function at(bytes: Buffer, offset: number, expected: Buffer): boolean {
  return offset >= 0 && bytes.compare(expected, 0, expected.length, offset, offset + expected.length) === 0;
}

/** Parse and verify journal text in one pass: the entries that parse, and the verification. */
export function parseJournalText(text: string, options: JournalCheckOptions = {}): { entries: JournalEntry[]; verification: JournalVerification } {
  const checker = new JournalChecker(options);
  const bytes = Buffer.from(text, 'utf8');
  const whole = bytes.lastIndexOf(LF) + 1;
  checker.lines(bytes, 0, whole, true);
  if (whole < bytes.length) checker.tornTail();
  return { entries: checker.entries, verification: checker.finish() };
}

/**
 * Verify journal text: every line parses, carries the hash of its own content, follows the
 * previous line (`seq` + 1, `prev_entry_hash` = previous `entry_hash`, same `run_id`), and the
 * file ends with a newline. Each line is checked against the previous line as written, so one
 * tampered entry yields one error rather than a cascade. `anchors` make a truncated or
 * rewritten tail detectable.
 */
export function verifyJournalText(text: string, options: JournalCheckOptions = {}): JournalVerification {
  return parseJournalText(text, { ...options, keep: () => false }).verification;
}
