/**
 * Checking runs against the anchor log (anchor-log.ts) for `verify`: every anchored head is
 * still in its journal, every anchored bundle still has the anchored bytes, every finished
 * attempt is anchored, and, given the public key of the signing key, every anchor carries a
 * valid signature by it. The anchor log's own problems are reported under its own path.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import type { JournalAnchor, JournalEntry, JournalError, JournalVerification } from '../core/journal-chain.ts';
import { anchorSignedBy, fileHash, readAnchorLog, type AnchorRecord } from './anchor-log.ts';
import { bundlePath } from './bundle.ts';
import type { PublicKey } from './signing.ts';

export interface AnchorContext {
  /** The anchor log's path, as given or found. */
  path: string;
  present: boolean;
  /** The anchors that count: all of them, or with a public key only those it signed. */
  valid: readonly AnchorRecord[];
  /** The anchor log's own verification (its chain, and its signatures when a key is given). */
  report: JournalVerification & { path: string };
  signed: boolean;
}

/** Where verify looks for the anchor log of a run folder: beside the folder of runs it sits in. */
export function defaultAnchorLog(runFolder: string): string {
  return join(dirname(dirname(runFolder)), 'anchors.jsonl');
}

/** Read and check the anchor log once for every run verified against it. */
export function loadAnchorContext(path: string, publicKey: PublicKey | undefined): AnchorContext {
  const present = existsSync(path);
  const { anchors, verification } = readAnchorLog(path);
  const errors: JournalError[] = [...verification.errors];
  const valid: AnchorRecord[] = [];
  for (const anchor of anchors) {
    const problem = publicKey ? signatureProblem(anchor, publicKey) : undefined;
    if (problem) errors.push({ line: anchor.seq, kind: 'signature_invalid', message: problem });
    else valid.push(anchor);
  }
  if (publicKey && !present) errors.push({ line: 1, kind: 'anchor_missing', message: `${path}: no such file; with --public-key every finished run must be anchored there` });
  const report = { ...verification, path, ok: errors.length === 0, errors: errors.sort((a, b) => a.line - b.line) };
  return { path, present, valid, report, signed: publicKey !== undefined };
}

function signatureProblem(anchor: AnchorRecord, key: PublicKey): string | undefined {
  const what = `anchor ${anchor.seq} (run ${anchor.run_id.slice(7, 19)}, attempt ${anchor.attempt}, ${anchor.moment})`;
  if (!anchor.signature) return `${what} is not signed`;
  if (anchor.signature.key_id !== key.keyId) return `${what} is signed by key ${anchor.signature.key_id}, not by the given public key ${key.keyId}`;
  return anchorSignedBy(anchor, key) ? undefined : `${what}: the signature does not match its content or its place in the log`;
}

/** The anchored heads of a run, for the journal check (a journal shorter than, or different at, an anchored head fails). */
export function anchoredHeads(context: AnchorContext, runId: Sha256 | undefined): JournalAnchor[] {
  return forRun(context, runId).map((anchor) => ({ entry_count: anchor.entry_count, head_hash: anchor.head_hash, source: `${basename(context.path)} line ${anchor.seq}` }));
}

/**
 * Each finished attempt and each pause anchored; each finished anchor matching its attempt's end
 * and its bundle's bytes.
 */
export function runAnchorErrors(context: AnchorContext, runId: Sha256 | undefined, ends: readonly JournalEntry[], pauses: ReadonlyArray<{ seq: number; attempt: number }>, folder: string): JournalError[] {
  const all = forRun(context, runId);
  const anchors = all.filter((anchor) => anchor.moment === 'finished');
  const errors: JournalError[] = [];
  const where = (anchor: AnchorRecord) => `${basename(context.path)} line ${anchor.seq}`;
  const missing = (what: string): string => (!context.present ? `there is no anchor log at ${context.path} (pass --anchors if it is elsewhere)` : `${basename(context.path)} has no${context.signed ? ' validly signed' : ''} anchor for ${what}`);
  for (const pause of pauses) {
    if (!all.some((anchor) => anchor.moment === 'paused' && anchor.attempt === pause.attempt && anchor.entry_count === pause.seq)) {
      errors.push({ line: pause.seq, kind: 'anchor_missing', message: `attempt ${pause.attempt} paused for a human (line ${pause.seq}) but ${missing('that pause')}` });
    }
  }
  ends.forEach((end, index) => {
    const attempt = index + 1;
    const own = anchors.filter((anchor) => anchor.attempt === attempt);
    if (own.length === 0) {
      errors.push({ line: end.seq, kind: 'anchor_missing', message: `attempt ${attempt} finished (line ${end.seq}) but ${missing('it')}` });
      return;
    }
    for (const anchor of own) {
      if (anchor.entry_count !== end.seq) errors.push({ line: end.seq, kind: 'anchor_mismatch', message: `attempt ${attempt} ends at entry ${end.seq}, but ${where(anchor)} anchors it at entry ${anchor.entry_count}` });
      const bundle = bundlePath(folder, attempt);
      if (existsSync(bundle) && fileHash(bundle) !== anchor.bundle_hash) {
        errors.push({ line: end.seq, kind: 'anchor_mismatch', message: `${basename(bundle)} is not the bundle ${where(anchor)} anchored (its bytes hash to ${fileHash(bundle)}, the anchor says ${String(anchor.bundle_hash)})` });
      }
    }
  });
  for (const anchor of anchors) {
    if (anchor.attempt > ends.length) errors.push({ line: anchor.entry_count, kind: 'anchor_mismatch', message: `${where(anchor)} anchors finished attempt ${anchor.attempt}, but the journal has ${ends.length} finished attempts` });
  }
  return errors;
}

/** Anchors of runs whose folders are gone (when a whole folder of runs is verified). */
export function orphanAnchorErrors(context: AnchorContext, runIds: ReadonlySet<string>): JournalError[] {
  return context.valid
    .filter((anchor) => !runIds.has(anchor.run_id))
    .map((anchor) => ({ line: anchor.seq, kind: 'anchor_mismatch' as const, message: `anchor ${anchor.seq} names run ${anchor.run_id}, whose run folder is missing` }));
}

function forRun(context: AnchorContext, runId: Sha256 | undefined): AnchorRecord[] {
  return runId ? context.valid.filter((anchor) => anchor.run_id === runId) : [];
}
