/**
 * Verifying a run's evidence as an auditor would (spec §5.7, §5.8): the journal's hash chain,
 * and every completion bundle checked field by field against the journal it closes. A bundle is
 * derived from the journal (status, outputs, final state, receipts, escalations, the journal
 * copy, its count and head), so each field is recomputed from the journal and compared: an
 * edited field is reported by name. A finished attempt whose bundle is missing or unreadable is
 * a failure, never a silent downgrade; a bundle's copy of the call log must be what the call log
 * on disk begins with. The journal's own rules (run-summary.ts) and the anchor log
 * (verify-anchors.ts) are checked in the same pass.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { canonicalJson, isSha256, type Sha256 } from '../core/canonical.ts';
import { entryLine, type JournalEntry, type JournalError, type JournalVerification } from '../core/journal-chain.ts';
import { parseJournalText, verifyJournalText } from '../core/journal-check.ts';
import { fileHash } from './anchor-log.ts';
import { BUNDLE_VERSION, bundlePath, verifyBundle, type CompletionBundle } from './bundle.ts';
import { JOURNAL_FILE, readAnchors } from './journal.ts';
import { readEvidenceFile } from './journal-lines.ts';
import { canonicalJsonOrNull, summariseRun, type AttemptEnd } from './run-summary.ts';
import { anchoredHeads, runAnchorErrors, type AnchorContext } from './verify-anchors.ts';

export interface RunVerification extends JournalVerification {
  /** The run folder (or file) verified. */
  path: string;
}

/** The fields a bundle has; any other is an error (a field added by hand). */
const BUNDLE_FIELDS = ['bundle_version', 'run_id', 'run_id_audit', 'mission', 'attempt', 'status', 'baseline_commit', 'result_commit', 'final_state', 'final_state_hash', 'outputs', 'escalations', 'receipts', 'journal', 'agent_calls'];

/** The fields of a bundle's `journal`; `entries` only in a bundle that embeds the journal. */
const JOURNAL_FIELDS = ['file', 'entry_count', 'head_hash', 'entries'];

/** The run folders a path names: a run folder, a folder of run folders, a journal or a bundle. Empty when it holds none. */
export function runFoldersIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [dirname(path)];
  if (existsSync(join(path, JOURNAL_FILE))) return [path];
  return readdirSync(path)
    .sort()
    .map((name) => join(path, name))
    .filter((folder) => existsSync(join(folder, JOURNAL_FILE)));
}

/**
 * Verify one run folder: its journal (streamed: memory does not grow with its length), and each
 * finished attempt's bundle against it.
 */
export function verifyRunFolder(folder: string, anchors?: AnchorContext): RunVerification {
  // Absolute, so the repository root can be told from the bundle's repository-relative paths.
  const journalPath = join(resolve(folder), JOURNAL_FILE);
  // The run is the one its folder is named after; a folder named otherwise (`.`, a copy) is the run its journal names.
  const name = basename(resolve(folder));
  const runId = /^[0-9a-f]{64}$/.test(name) ? (`sha256:${name}` as Sha256) : firstRunId(journalPath);
  const bundles = existsSync(folder) ? readdirSync(folder).filter((file) => /^bundle\.\d+\.json$/.test(file)) : [];
  const ends = summariseRun({ path: journalPath }, { runId, withReceipts: bundles.length > 0, anchors: [...readAnchors(folder), ...(anchors ? anchoredHeads(anchors, runId) : [])] });
  const errors: JournalError[] = [...ends.verification.errors, ...ends.errors];
  if (anchors) errors.push(...runAnchorErrors(anchors, runId, ends.attempts.map((a) => a.end), ends.pauses, folder));
  ends.attempts.forEach((attempt, index) => {
    const file = bundlePath(folder, index + 1);
    if (!existsSync(file)) errors.push({ line: attempt.end.seq, kind: 'bundle_missing', message: `attempt ${index + 1} finished (line ${attempt.end.seq}) but ${basename(file)} is missing` });
    else errors.push(...checkBundle(file, index + 1, attempt, { journalPath, final: index === ends.attempts.length - 1 && attempt.end.seq === ends.verification.entries }));
  });
  for (const file of bundles) {
    const attempt = Number(/^bundle\.(\d+)\.json$/.exec(file)?.[1]);
    if (file !== basename(bundlePath(folder, attempt))) errors.push({ line: ends.verification.entries, kind: 'bundle_mismatch', message: `${file}: not a name the engine writes (bundle.${attempt}.json), so it was not checked; remove it or name it as its attempt's bundle` });
    else if (attempt > ends.attempts.length) errors.push({ line: ends.verification.entries, kind: 'bundle_mismatch', message: `${file}: the journal has no finished attempt ${attempt} (it has ${ends.attempts.length})` });
  }
  return { ...ends.verification, path: folder, ok: errors.length === 0, errors: errors.sort((a, b) => a.line - b.line) };
}

/**
 * A bundle whose journal is not beside it: its copy of the journal must verify (a bundle without
 * one cannot be verified on its own, and says so), its fields must be what that copy says, and, where there is an anchor log (or with a public key), its bytes
 * must be the ones an anchor names.
 */
export function verifyLoneBundle(path: string, anchors: AnchorContext): RunVerification {
  const chain = verifyBundle(path);
  const errors: JournalError[] = [...chain.errors];
  let bundle: Partial<CompletionBundle> | undefined;
  try {
    bundle = JSON.parse(readEvidenceFile(path).toString('utf8')) as Partial<CompletionBundle>;
  } catch {
    bundle = undefined;
  }
  const entries = bundle?.journal?.entries;
  if (bundle && Array.isArray(entries) && chain.errors.length === 0) {
    const summary = summariseRun({ text: entries.map((entry) => `${entryLine(entry)}\n`).join('') }, { runId: bundle.run_id, withReceipts: true, anchors: [] });
    const last = summary.attempts[summary.attempts.length - 1];
    if (!last || last.end.seq !== entries.length) errors.push({ line: entries.length, kind: 'bundle_mismatch', message: `${basename(path)}: its journal copy does not end with a finished attempt` });
    else errors.push(...summary.errors, ...checkBundle(path, summary.attempts.length, last, undefined));
  }
  if (anchors.present || anchors.signed) {
    const hash = fileHash(path);
    const anchored = anchors.valid.some((anchor) => anchor.moment === 'finished' && anchor.run_id === bundle?.run_id && anchor.attempt === bundle?.attempt && anchor.bundle_hash === hash);
    if (!anchored) errors.push({ line: 1, kind: 'anchor_missing', message: `${basename(path)}: ${anchors.present ? `no${anchors.signed ? ' validly signed' : ''} anchor in ${basename(anchors.path)} names this bundle (run ${String(bundle?.run_id)}, attempt ${String(bundle?.attempt)}, bytes ${hash})` : `there is no anchor log at ${anchors.path} (pass --anchors if it is elsewhere)`}` });
  }
  return { ...chain, path, ok: errors.length === 0, errors: errors.sort((a, b) => a.line - b.line) };
}

/** The run id on the journal's first line, if it has one. */
function firstRunId(journalPath: string): Sha256 | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(journalPath, constants.O_RDONLY | constants.O_NONBLOCK);
    const head = Buffer.alloc(64 * 1024);
    const read = readSync(fd, head, 0, head.length, 0);
    const runId = (JSON.parse(head.toString('utf8', 0, head.indexOf(0x0a) === -1 ? read : head.indexOf(0x0a))) as { run_id?: unknown }).run_id;
    return isSha256(runId) ? runId : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Every field of one bundle recomputed from the journal and compared. */
function checkBundle(file: string, attempt: number, summary: AttemptEnd, calls: { journalPath: string; final: boolean } | undefined): JournalError[] {
  const { end } = summary;
  const label = basename(file);
  const error = (message: string): JournalError => ({ line: end.seq, kind: 'bundle_mismatch', message: `${label}: ${message}` });
  let bundle: Record<string, unknown>;
  try {
    const parsed = JSON.parse(readEvidenceFile(file).toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    bundle = parsed as Record<string, unknown>;
  } catch (cause) {
    return [{ line: end.seq, kind: 'parse_error', message: `${label}: not a bundle: ${(cause as Error).message}` }];
  }
  const final = end.data.final_state as { head?: string | null } | undefined;
  const expected: Record<string, unknown> = {
    bundle_version: BUNDLE_VERSION,
    run_id: end.run_id,
    run_id_audit: summary.runIdAudit,
    mission: summary.mission,
    attempt,
    status: end.data.status,
    baseline_commit: summary.baseline,
    result_commit: final?.head && final.head !== summary.baseline ? final.head : null,
    final_state: end.data.final_state,
    final_state_hash: end.data.final_state_hash,
    outputs: end.data.outputs ?? null,
    escalations: summary.escalations,
  };
  const problems: JournalError[] = [];
  for (const field of BUNDLE_FIELDS) if (!(field in bundle)) problems.push(error(`field ${field} is missing`));
  for (const field of Object.keys(bundle)) if (!BUNDLE_FIELDS.includes(field)) problems.push(error(`field ${field} is not a bundle field`));
  for (const [field, value] of Object.entries(expected)) {
    if (field in bundle && !same(bundle[field], value)) problems.push(error(`field ${field} differs from the journal (${show(bundle[field])} in the bundle, ${show(value)} in the journal)`));
  }
  if ('receipts' in bundle) problems.push(...checkReceipts(bundle.receipts, summary.receipts).map(error));
  const copy = bundle.journal as { file?: unknown; entry_count?: unknown; head_hash?: unknown; entries?: unknown } | null | undefined;
  if (!('journal' in bundle)) return problems;
  if (!copy || typeof copy !== 'object') return [...problems, error('field journal is not { file, entry_count, head_hash } (with entries when embedded)')];
  for (const field of Object.keys(copy)) if (!JOURNAL_FIELDS.includes(field)) problems.push(error(`field journal.${field} is not a bundle field`));
  if (copy.entry_count !== end.seq) problems.push(error(`field journal.entry_count is ${show(copy.entry_count)}; the attempt ends at entry ${end.seq}`));
  if (copy.head_hash !== end.entry_hash) problems.push(error(`field journal.head_hash is ${show(copy.head_hash)}; the journal's entry ${end.seq} is ${end.entry_hash}`));
  // A bundle written without embedJournal has no copy: the count and head hash above bind it.
  if ('entries' in copy && !copyMatches(copy.entries, end)) problems.push(error('field journal.entries is not the journal up to the end of the attempt'));
  if (calls) problems.push(...checkCallLog(bundle.agent_calls, copy.file, calls).map((message) => error(message)));
  return problems;
}

function checkReceipts(receipts: unknown, journal: AttemptEnd['receipts']): string[] {
  if (!Array.isArray(receipts)) return ['field receipts is not a list'];
  const hash = createHash('sha256');
  for (const receipt of receipts) hash.update(`${canonicalJsonOrNull(receipt)}\n`);
  if (receipts.length === journal.count && hash.digest('hex') === journal.hash) return [];
  return [`field receipts differs from the journal (${receipts.length} receipts in the bundle, ${journal.count} in the journal${receipts.length === journal.count ? ', one or more changed' : ''})`];
}

/**
 * The copy is the journal up to the attempt's end when it is a verifying chain of the same run
 * that ends at the same entry hash: the chain binds every earlier entry to that hash.
 */
function copyMatches(entries: unknown, end: JournalEntry): boolean {
  if (!Array.isArray(entries) || entries.length !== end.seq) return false;
  try {
    const text = entries.map((entry) => `${entryLine(entry as JournalEntry)}\n`).join('');
    return verifyJournalText(text, { runId: end.run_id, anchors: [{ entry_count: end.seq, head_hash: end.entry_hash }] }).ok;
  } catch {
    return false;
  }
}


/**
 * The bundle's copy of the call log must be what the call log on disk begins with: it may have
 * grown since, by a later attempt's calls, never shrunk or changed; after the last attempt it
 * must be exactly the copy. A bundle without a copy (null) is right only if there is no log.
 */
function checkCallLog(calls: unknown, journalFile: unknown, where: { journalPath: string; final: boolean }): string[] {
  // Both paths are relative to the repository: the journal's own path tells where that is.
  const { journalPath, final } = where;
  const root = typeof journalFile === 'string' && journalPath.endsWith(journalFile) ? journalPath.slice(0, journalPath.length - journalFile.length) : undefined;
  if (root === undefined) return [`field journal.file (${show(journalFile)}) is not this journal's path, so the call log cannot be found`];
  if (calls === null) {
    const runDir = basename(dirname(journalPath));
    const expected = join(root, dirname(dirname(dirname(journalFile as string))), 'agent_calls', `${runDir}.jsonl`);
    return existsSync(expected) ? [`field agent_calls is null, but the run has a call log (${expected.slice(root.length)})`] : [];
  }
  const { file, entries } = calls as { file?: unknown; entries?: unknown };
  if (typeof file !== 'string' || !Array.isArray(entries)) return ['field agent_calls is not { file, entries }'];
  const path = join(root, file);
  if (!existsSync(path)) return [`the call log ${file} the bundle holds a copy of is missing`];
  let onDisk: ReturnType<typeof parseJournalText>;
  try {
    onDisk = parseJournalText(readEvidenceFile(path).toString('utf8'));
  } catch (error) {
    return [`the call log ${file} cannot be read: ${(error as Error).message}`];
  }
  const problems = onDisk.verification.errors.map((e) => `call log ${file}:${e.line}: ${e.kind}: ${e.message}`);
  if (onDisk.entries.length < entries.length) problems.push(`the call log ${file} has ${onDisk.entries.length} entries, fewer than the ${entries.length} the bundle holds: it was truncated`);
  else if (!same(onDisk.entries.slice(0, entries.length), entries)) problems.push(`the call log ${file} does not begin with the entries the bundle holds: it was changed`);
  else if (final && onDisk.entries.length > entries.length) problems.push(`the call log ${file} has ${onDisk.entries.length - entries.length} entries more than the bundle holds, though no attempt ran after it: they were added`);
  return problems;
}

function same(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'undefined';
  } catch {
    return '(a value too deep to show)';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
