/**
 * Recovery and resume write evidence (bundles, signed anchors) over what the journal holds, so
 * they must not take entries appended from outside the engine for its own: that would turn a
 * forged tail into signed evidence. A run's journal is trusted up to its last anchor (one whose
 * head is still in the journal and, with a signing key, that the key signed). What follows it is
 * the engine's own only when a process of that run died holding the run lock (a crash), or when
 * it is a decision on a paused run (`queue approve`), which is checked against the queue.
 */
import type { JournalEntry } from '../core/journal-chain.ts';
import { RunPreconditionFailed, type RunLockInfo } from '../core/run-errors.ts';
import { openAttempt, type RunState } from '../core/run-state.ts';
import { anchorSignedBy, type AnchorRecord } from './anchor-log.ts';
import type { EngineEnvironment } from './engine/types.ts';
import { lockPayload } from './run-lock.ts';
import { signedBy, type SigningKey } from './signing.ts';

export interface TailEvidence {
  /** The stale run lock a dead process left, if one was found (it vouches for a crash of its run). */
  staleLock: RunLockInfo | undefined;
  /** The operator has checked the tail and accepts it (`--accept-unanchored`). */
  accepted: boolean;
}

/** The seq of the run's last trustworthy anchored entry (0 when none). */
export function lastAnchoredSeq(anchors: readonly AnchorRecord[], key: SigningKey | undefined, runId: string, entries: readonly JournalEntry[]): number {
  let last = 0;
  for (const anchor of anchors) {
    if (anchor.run_id !== runId || anchor.entry_count <= last) continue;
    if (entries[anchor.entry_count - 1]?.entry_hash !== anchor.head_hash) continue;
    if (key && !anchorSignedBy(anchor, key)) continue;
    last = anchor.entry_count;
  }
  return last;
}

/**
 * A stale lock is evidence of a crash of `runId` when it names that run and, with a signing key,
 * carries the key's signature and was taken after the last anchor: a lock written by hand, or an
 * old one put back, vouches for nothing. (Without a key nothing is signed, so a forged tail
 * gains nothing a writer could not write anyway.)
 */
function vouchesForCrash(env: Pick<EngineEnvironment, 'signingKey'>, lock: RunLockInfo, runId: string, anchored: number): boolean {
  if (lock.run_id !== runId) return false;
  if (!env.signingKey) return true;
  return signedBy(lock.signature, env.signingKey, lockPayload(lock)) && (lock.journal_entries ?? -1) >= anchored;
}

/**
 * Refuse to go on when the journal has entries after its last anchor that nothing accounts for,
 * naming them and the way out.
 */
export function requireAccountedTail(env: Pick<EngineEnvironment, 'signingKey'>, anchors: readonly AnchorRecord[], runId: string, state: RunState, entries: readonly JournalEntry[], evidence: TailEvidence): void {
  if (evidence.accepted) return;
  const anchored = lastAnchoredSeq(anchors, env.signingKey, runId, entries);
  if (evidence.staleLock && vouchesForCrash(env, evidence.staleLock, runId, anchored)) return;
  const paused = openAttempt(state)?.paused !== undefined;
  const unexplained = entries.filter((entry) => entry.seq > anchored && !(paused && entry.type === 'human_decided'));
  const first = unexplained[0];
  if (!first) return;
  throw new RunPreconditionFailed(
    `run ${runId}: ${unexplained.length} journal entries after its last anchor (entry ${anchored}; the first at line ${first.seq}, ${first.type}) were anchored by no run, and no crashed run of it left its run lock behind: they may have been appended from outside the engine, and nothing is written over them. Check the run with \`lifeos-mission verify\`; if the entries are the engine's own (a recovery that was itself killed), recover with --accept-unanchored ${runId.slice(7, 19)}`,
  );
}

