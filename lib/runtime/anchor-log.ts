/**
 * The anchor log (`logs/anchors.jsonl`, docs/journal-format.md): outside every run's folder, one
 * hash-chained entry each time a run pauses or an attempt finishes, holding the run id, the
 * attempt, the journal's entry count and head hash and (when it finished) the sha256 of its
 * completion bundle. A journal rewritten with a correct chain, a bundle replaced by another
 * run's, or a run folder removed no longer matches it. Signed with an Ed25519 key kept outside
 * the repository (signing.ts), it also holds against someone who rewrites the anchor log too.
 *
 * Appends happen under the run lock (one run at a time per repository), so they never race.
 */
import { join } from 'node:path';
import { canonicalJson, hashCanonical, isSha256, sha256, type Sha256 } from '../core/canonical.ts';
import { genesisHash, type JournalEntry, type JournalError, type JournalVerification } from '../core/journal-chain.ts';
import { MAX_ERRORS } from '../core/journal-check.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { checkLines, JournalWriter, type JournalWriterOptions } from './journal.ts';
import { readEvidenceFile } from './journal-lines.ts';
import type { RunPaths } from './run-paths.ts';
import { signedBy, signWith, type PublicKey, type Signature, type SigningKey } from './signing.ts';

/** The anchor log's own chain id (its genesis), the same in every repository. */
export const ANCHOR_LOG_ID: Sha256 = hashCanonical({ anchor_log: 'lifeos-mission/anchors/v1' });

export const ANCHOR_TYPE = 'run_anchored';

export interface AnchorFields {
  run_id: Sha256;
  attempt: number;
  /** `finished`: the attempt ended and its bundle was written; `paused`: it waits for a human. */
  moment: 'finished' | 'paused';
  entry_count: number;
  head_hash: Sha256;
  /** sha256 of the bundle file's bytes; null for a pause. */
  bundle_hash: Sha256 | null;
}

export interface AnchorRecord extends AnchorFields {
  /** The signing key's signature of `anchorPayload(...)`, or null when anchors are unsigned. */
  signature: Signature | null;
  /** Where the anchor is: its seq (line) in the anchor log and the hash it chains from. */
  seq: number;
  prev_entry_hash: Sha256;
}

/**
 * What a signature covers: the anchor and its place in the log (seq and previous hash), so a
 * signed anchor cannot be moved, and an anchor cannot be dropped from the middle of the log.
 */
export function anchorPayload(fields: AnchorFields, seq: number, prev: Sha256): string {
  const { run_id, attempt, moment, entry_count, head_hash, bundle_hash } = fields;
  return canonicalJson({ anchor: { run_id, attempt, moment, entry_count, head_hash, bundle_hash }, prev_entry_hash: prev, seq, signed: 'lifeos-mission/anchor-signature/v1' });
}

/** Whether an anchor of the log carries `key`'s signature of its content and place. */
export function anchorSignedBy(anchor: AnchorRecord, key: PublicKey): boolean {
  return signedBy(anchor.signature, key, anchorPayload(anchor, anchor.seq, anchor.prev_entry_hash));
}

/** Append one anchor, signed when a key is given. */
export function appendAnchor(path: string, fields: AnchorFields, key: SigningKey | undefined, options: JournalWriterOptions = {}): void {
  const log = JournalWriter.open(path, ANCHOR_LOG_ID, options);
  try {
    const seq = log.count + 1;
    const prev = log.headHash ?? genesisHash(ANCHOR_LOG_ID);
    const signature = key ? signWith(key, anchorPayload(fields, seq, prev)) : null;
    log.append(ANCHOR_TYPE, { ...fields, signature });
  } finally {
    log.close();
  }
}

/**
 * The anchor log's entries as anchors, and the verification of its chain. An entry that is not
 * exactly an anchor (a field missing, of the wrong shape, or one more) is a problem of the log,
 * and never counts as an anchor. A missing log has none.
 */
export function readAnchorLog(path: string): { anchors: AnchorRecord[]; verification: JournalVerification } {
  const anchors: AnchorRecord[] = [];
  const malformed: JournalError[] = [];
  const { verification } = checkLines(path, {
    runId: ANCHOR_LOG_ID,
    onEntry: (entry: JournalEntry) => {
      const problem = anchorProblem(entry);
      if (problem) malformed.push({ line: entry.seq, kind: 'anchor_mismatch', message: `anchor ${entry.seq} is not an anchor: ${problem}` });
      else anchors.push({ ...(entry.data as unknown as AnchorFields & { signature: Signature | null }), seq: entry.seq, prev_entry_hash: entry.prev_entry_hash });
    },
  });
  const errors = [...verification.errors, ...malformed.slice(0, MAX_ERRORS)].sort((a, b) => a.line - b.line);
  if (malformed.length > MAX_ERRORS) errors.push({ line: verification.entries, kind: 'anchor_mismatch', message: `${malformed.length - MAX_ERRORS} more entries that are not anchors, not listed` });
  return { anchors, verification: { ...verification, ok: errors.length === 0, errors } };
}

const FIELDS = ['attempt', 'bundle_hash', 'entry_count', 'head_hash', 'moment', 'run_id', 'signature'];

function anchorProblem(entry: JournalEntry): string | undefined {
  if (entry.type !== ANCHOR_TYPE) return `its type is ${JSON.stringify(entry.type)}`;
  const data = entry.data as Record<string, unknown> | null;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'it has no data object';
  const keys = Object.keys(data).sort();
  if (keys.join() !== FIELDS.join()) return `its fields are ${keys.join(', ')}, not ${FIELDS.join(', ')}`;
  if (!isSha256(data.run_id) || !isSha256(data.head_hash)) return 'run_id and head_hash must be sha256 hashes';
  if (!Number.isSafeInteger(data.attempt) || (data.attempt as number) < 1 || !Number.isSafeInteger(data.entry_count) || (data.entry_count as number) < 1) return 'attempt and entry_count must be positive integers';
  if (data.moment !== 'finished' && data.moment !== 'paused') return 'moment must be finished or paused';
  if (data.moment === 'finished' ? !isSha256(data.bundle_hash) : data.bundle_hash !== null) return 'bundle_hash must be the bundle\'s hash when finished, null when paused';
  const signature = data.signature as Record<string, unknown> | null;
  if (signature !== null && (typeof signature !== 'object' || Object.keys(signature).sort().join() !== 'key_id,value' || !isSha256(signature.key_id) || typeof signature.value !== 'string')) return 'signature must be null or { key_id, value }';
  return undefined;
}

/** The anchors of a repository's anchor log (the `anchors` run path), read once for every check a command makes. */
export function repositoryAnchors(repoRoot: string, paths: Pick<RunPaths, 'anchors'>): AnchorRecord[] {
  return readAnchorLog(join(repoRoot, paths.anchors)).anchors;
}

/**
 * A run does not start or go on over an anchor log that does not verify: it would do its work,
 * commit, and then fail to anchor the attempt it finished.
 */
export function requireVerifiedAnchorLog(repoRoot: string, paths: Pick<RunPaths, 'anchors'>): void {
  const { verification } = readAnchorLog(join(repoRoot, paths.anchors));
  const [problem] = verification.errors;
  if (problem) {
    throw new RunPreconditionFailed(`the anchor log ${paths.anchors} does not verify (line ${problem.line}: ${problem.kind}: ${problem.message}); nothing was run. It is written by the engine only: put it back from a copy, and check it with \`lifeos-mission verify ${paths.anchors}\``);
  }
}

/** `run:attempt` of every finished attempt the log anchors (for recovery's "was this anchored?"). */
export function anchoredAttempts(anchors: readonly AnchorRecord[]): Set<string> {
  return new Set(anchors.filter((a) => a.moment === 'finished').map((a) => `${a.run_id}:${a.attempt}`));
}

/** sha256 of a file's bytes; a file that is not a readable regular evidence file hashes to null. */
export function fileHash(path: string): Sha256 | null {
  try {
    return sha256(readEvidenceFile(path));
  } catch {
    return null;
  }
}
