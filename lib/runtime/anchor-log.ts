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
import { readFileSync } from 'node:fs';
import { canonicalJson, hashCanonical, sha256, type Sha256 } from '../core/canonical.ts';
import { genesisHash, type JournalEntry, type JournalVerification } from '../core/journal-chain.ts';
import { checkLines, JournalWriter, type JournalWriterOptions } from './journal.ts';
import { signText, type SigningKey } from './signing.ts';

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

export interface AnchorSignature {
  key_id: Sha256;
  /** Base64 Ed25519 signature of `signedPayload(...)`. */
  value: string;
}

export interface AnchorRecord extends AnchorFields {
  signature: AnchorSignature | null;
  /** Where the anchor is: its seq (line) in the anchor log and the hash it chains from. */
  seq: number;
  prev_entry_hash: Sha256;
}

/**
 * What a signature covers: the anchor and its place in the log (seq and previous hash), so a
 * signed anchor cannot be moved, and an anchor cannot be dropped from the middle of the log.
 */
export function signedPayload(fields: AnchorFields, seq: number, prev: Sha256): string {
  return canonicalJson({ anchor: fields, prev_entry_hash: prev, seq, signed: 'lifeos-mission/anchor-signature/v1' });
}

/** Append one anchor, signed when a key is given. */
export function appendAnchor(path: string, fields: AnchorFields, key: SigningKey | undefined, options: JournalWriterOptions = {}): void {
  const log = JournalWriter.open(path, ANCHOR_LOG_ID, options);
  try {
    const seq = log.count + 1;
    const prev = log.headHash ?? genesisHash(ANCHOR_LOG_ID);
    const signature: AnchorSignature | null = key ? { key_id: key.keyId, value: signText(key, signedPayload(fields, seq, prev)) } : null;
    log.append(ANCHOR_TYPE, { ...fields, signature });
  } finally {
    log.close();
  }
}

/** The anchor log's entries as anchors, and the verification of its chain. A missing log has none. */
export function readAnchorLog(path: string): { anchors: AnchorRecord[]; verification: JournalVerification } {
  const anchors: AnchorRecord[] = [];
  const { verification } = checkLines(path, {
    runId: ANCHOR_LOG_ID,
    onEntry: (entry: JournalEntry) => {
      if (entry.type === ANCHOR_TYPE) anchors.push({ ...(entry.data as unknown as AnchorFields & { signature: AnchorSignature | null }), seq: entry.seq, prev_entry_hash: entry.prev_entry_hash });
    },
  });
  return { anchors, verification };
}

/** `run:attempt` of every finished attempt the log anchors (for recovery's "was this anchored?"). */
export function anchoredAttempts(anchors: readonly AnchorRecord[]): Set<string> {
  return new Set(anchors.filter((a) => a.moment === 'finished').map((a) => `${a.run_id}:${a.attempt}`));
}

export function fileHash(path: string): Sha256 {
  return sha256(readFileSync(path));
}
