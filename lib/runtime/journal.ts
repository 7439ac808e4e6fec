/**
 * The mission journal on disk (spec §5.7): `logs/mission_journals/<run>/journal.jsonl`,
 * append-only, one hash-chained entry per line (lib/core/journal-chain.ts), each append written
 * with one write(2) and fsync'd before the engine acts on it (unless fsync is turned off).
 * Nothing here rewrites an entry; a torn tail left by a crash is moved aside as evidence by
 * recovery, and recorded in the journal, never silently dropped.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { sealEntry, type JournalAnchor, type JournalEntry, type JournalVerification } from '../core/journal-chain.ts';
import { JournalChecker, type JournalCheckOptions } from '../core/journal-check.ts';
import { readChunks, readEvidenceFile, readLinesBackward, UnreadableLines } from './journal-lines.ts';
import { lineWorker, PARALLEL_MIN_BYTES } from './line-worker.ts';

export const JOURNAL_FILE = 'journal.jsonl';

/** Thrown when a journal cannot be appended to because its chain does not verify. */
export class JournalCorrupt extends Error {
  constructor(
    readonly path: string,
    readonly verification: JournalVerification,
  ) {
    const first = verification.errors[0];
    super(`journal ${path} does not verify${first ? ` (line ${first.line}: ${first.kind}: ${first.message})` : ''}; run \`lifeos-mission verify ${path}\``);
    this.name = 'JournalCorrupt';
  }
}

/** The directory name of a run: its deterministic id without the `sha256:` prefix. */
export function runDirName(runId: Sha256): string {
  return runId.slice('sha256:'.length);
}

export interface JournalWriterOptions {
  /** fsync after every append (default true). Off trades crash durability for speed. */
  fsync?: boolean;
  /** Time source for the `at` field (audit metadata). Default: the wall clock. */
  now?: () => Date;
}

/**
 * Appends entries to one journal. Opening an existing journal reads and verifies it first, so
 * the chain always continues from a verified head. The writer holds only the head (seq and
 * hash), so writing a journal of any length takes constant memory.
 */
export class JournalWriter {
  private fd: number | undefined;
  private last: Pick<JournalEntry, 'seq' | 'entry_hash'> | undefined;
  private readonly fsync: boolean;
  private readonly now: () => Date;

  private constructor(
    readonly path: string,
    readonly runId: Sha256,
    /** The entries the journal held when it was opened (what a resumed run folds). */
    readonly opened: readonly JournalEntry[],
    options: JournalWriterOptions,
  ) {
    this.fsync = options.fsync ?? true;
    this.now = options.now ?? (() => new Date());
    const last = opened[opened.length - 1];
    this.last = last && { seq: last.seq, entry_hash: last.entry_hash };
  }

  /** Open (creating if needed) the journal at `path`; throws JournalCorrupt if it does not verify. */
  static open(path: string, runId: Sha256, options: JournalWriterOptions = {}): JournalWriter {
    const { entries, verification } = readJournal(path, runId);
    if (!verification.ok) throw new JournalCorrupt(path, verification);
    const writer = new JournalWriter(path, runId, entries, options);
    const created = entries.length === 0;
    mkdirSync(dirname(path), { recursive: true });
    writer.fd = openSync(path, 'a');
    if (created && writer.fsync) fsyncDir(dirname(path));
    return writer;
  }

  get count(): number {
    return this.last?.seq ?? 0;
  }

  get headHash(): Sha256 | undefined {
    return this.last?.entry_hash;
  }

  append(type: string, data: Record<string, unknown>): JournalEntry {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const { entry, line } = sealEntry({ run_id: this.runId, type, at: this.now().toISOString(), data }, this.last);
    const bytes = Buffer.from(line);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    if (this.fsync) fsyncSync(this.fd);
    this.last = entry;
    return entry;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Read a journal line by line: its parsed entries (those that parse and that `keep` asks for)
 * and its verification, anchored by the bundles beside it. Missing = empty.
 */
export function readJournal(path: string, runId?: Sha256, keep?: JournalCheckOptions['keep']): { entries: JournalEntry[]; verification: JournalVerification } {
  return checkLines(path, { ...(runId ? { runId } : {}), anchors: readAnchors(dirname(path)), ...(keep ? { keep } : {}) });
}

/**
 * A journal's entries from the end, without verifying it: each whole line that is UTF-8 and
 * parses as a JSON object (the entries `readJournal(path).entries` gives; an unfinished last
 * line left out), only those whose type is in `types` when it is given, last first, handed to
 * `until` until it returns true (the rest is not read). For views that only show a run (the
 * approval queue reads a paused run's last few entries, whatever the journal's length):
 * whatever acts on a run opens its journal with JournalWriter.open, which verifies it.
 */
export function readJournalBackward(path: string, types: ReadonlySet<string> | undefined, until: (entry: JournalEntry) => boolean): void {
  try {
    readLinesBackward(path, (bytes, start, end) => {
      const sniffed = types && tailType(bytes, start, end);
      if ((sniffed && !types.has(sniffed)) || !isUtf8(bytes.subarray(start, end))) return false;
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8', start, end));
      } catch {
        return false;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || (types && !types.has(String((parsed as JournalEntry).type)))) return false;
      return until(parsed as JournalEntry);
    });
  } catch (error) {
    if (!(error instanceof UnreadableLines)) throw error;
  }
}

const TYPE_KEY = Buffer.from(',"type":"');
const HASH_KEY = Buffer.from('","entry_hash":"sha256:');
/** `","entry_hash":"sha256:<64 hex>"}`: how every line the writer writes ends, after its type. */
const HASH_TAIL = HASH_KEY.length + 64 + 2;

/**
 * The type of the line bytes[start, end) read off its end, when that is the writer's
 * `…,"type":"<a-z_>","entry_hash":"sha256:<64 hex>"}` (the hash: 64 bytes without a quote or
 * backslash); undefined otherwise (the caller parses the line). None of those quotes is
 * escaped, so they delimit the members `type` and `entry_hash` of the outermost object, its
 * last two: if the line parses, its `type` (JSON.parse keeps a repeated key's last) is this one.
 */
function tailType(bytes: Buffer, start: number, end: number): string | undefined {
  const typeEnd = end - HASH_TAIL;
  if (typeEnd - start < TYPE_KEY.length + 2 || bytes[end - 1] !== 0x7d || bytes[end - 2] !== 0x22) return undefined;
  if (bytes.compare(HASH_KEY, 0, HASH_KEY.length, typeEnd, typeEnd + HASH_KEY.length) !== 0) return undefined;
  // The hash holds no quote and no backslash (so the quote after it is the only one, unescaped).
  const hash = typeEnd + HASH_KEY.length;
  if (bytes.indexOf(0x22, hash) !== end - 2 || bytes.subarray(hash, end - 2).includes(0x5c)) return undefined;
  let typeStart = typeEnd;
  while (typeStart > start && isTypeByte(bytes[typeStart - 1] as number)) typeStart--;
  const keyStart = typeStart - TYPE_KEY.length;
  if (typeStart === typeEnd || keyStart < start || bytes.compare(TYPE_KEY, 0, TYPE_KEY.length, keyStart, typeStart) !== 0) return undefined;
  return bytes.toString('latin1', typeStart, typeEnd);
}

function isTypeByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

/**
 * Verify a JSON-lines file of journal entries with `options`, streaming. A long file is checked
 * on two threads, the second half of each chunk by the process's worker (line-worker.ts); the
 * links between lines are checked here, in order. A file that cannot be read as lines is a
 * parse_error, not a crash.
 */
export function checkLines(path: string, options: JournalCheckOptions): { entries: JournalEntry[]; verification: JournalVerification } {
  const checker = new JournalChecker(options);
  const worker = sizeOf(path) >= PARALLEL_MIN_BYTES ? lineWorker() : undefined;
  try {
    const { tornTail } = readChunks(path, (bytes, end, utf8) => {
      // The other thread's lines must be known UTF-8 (it has no exact path of its own).
      const half = utf8 && worker ? bytes.indexOf(0x0a, end >> 1) + 1 : end;
      const submitted = half > 0 && half < end && worker !== undefined && worker.submit(bytes, half, end);
      checker.lines(bytes, 0, submitted ? half : end, utf8);
      if (!submitted) return;
      const statuses = worker.statuses();
      if (statuses) checker.linesHashed(bytes, half, end, statuses);
      else checker.lines(bytes, half, end, utf8);
    });
    if (tornTail) checker.tornTail();
    return { entries: checker.entries, verification: checker.finish() };
  } catch (error) {
    if (!(error instanceof UnreadableLines)) throw error;
    const verification = checker.finish();
    return { entries: checker.entries, verification: { ...verification, ok: false, errors: [...verification.errors, { line: verification.entries + 1, kind: 'parse_error', message: error.message }] } };
  }
}

/**
 * Verify a journal file (spec §5.8). When the journal sits in a run folder, the run id is taken
 * from the folder name and the completion bundles beside it anchor its length and head hash.
 */
export function verifyJournal(path: string): JournalVerification {
  // An auditor must never be told "ok" about a journal that is not there.
  if (!existsSync(path)) return { ok: false, entries: 0, headHash: null, runId: null, errors: [{ line: 1, kind: 'parse_error', message: `${path}: no such file` }] };
  const folder = basename(dirname(path));
  const runId = /^[0-9a-f]{64}$/.test(folder) ? (`sha256:${folder}` as Sha256) : undefined;
  return readJournal(path, runId, () => false).verification;
}

/** `{ entry_count, head_hash }` of every completion bundle in a run folder. */
export function readAnchors(runDir: string): JournalAnchor[] {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return [];
  }
  const anchors: JournalAnchor[] = [];
  for (const name of names.filter((n) => /^bundle\.\d+\.json$/.test(n)).sort()) {
    try {
      const bundle = JSON.parse(readEvidenceFile(join(runDir, name)).toString('utf8')) as { journal?: Partial<JournalAnchor> };
      const { entry_count, head_hash } = bundle.journal ?? {};
      if (typeof entry_count === 'number' && typeof head_hash === 'string') anchors.push({ entry_count, head_hash: head_hash as Sha256, source: name });
    } catch {
      // An unreadable bundle is reported when the bundle itself is verified.
    }
  }
  return anchors;
}

/**
 * A crash in the middle of an append leaves a last line without its newline. It is moved, byte
 * for byte, to `journal.torn.<offset>` beside the journal (recovery records that in the journal);
 * the journal then ends at its last whole entry. Nothing is silently dropped.
 */
export function quarantineTornTail(journalPath: string): { offset: number; bytes: number; file: string } | undefined {
  const data = readFileSync(journalPath);
  if (data.length === 0 || data[data.length - 1] === 0x0a) return undefined;
  const offset = data.lastIndexOf(0x0a) + 1;
  const file = join(dirname(journalPath), `journal.torn.${offset}`);
  writeFileSync(file, data.subarray(offset));
  const temporary = `${journalPath}.tmp`;
  writeFileSync(temporary, data.subarray(0, offset));
  const fd = openSync(temporary, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temporary, journalPath);
  return { offset, bytes: data.length - offset, file };
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fsyncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
