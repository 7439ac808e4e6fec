/**
 * The end of an attempt as evidence: the completion bundle (header, journal, call log), its
 * anchor outside the run folder, and the result handed back to the host.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sha256 } from '../../core/canonical.ts';
import { parseJournalText } from '../../core/journal-check.ts';
import type { RunStatus } from '../../core/run-state.ts';
import { callLogPath } from '../../agents/call-log.ts';
import { appendAnchor, type AnchorFields } from '../anchor-log.ts';
import { bundlePath, writeBundle, BUNDLE_VERSION, type BundleHeader } from '../bundle.ts';
import { stateHash, type RepoSnapshot } from '../git-state.ts';
import { relativeTo } from './paths.ts';
import type { RunScope } from './run-scope.ts';
import type { MissionResult } from './types.ts';

export function baseResult(scope: RunScope, status: RunStatus, outputs: Record<string, unknown> | null): Omit<MissionResult, 'bundlePath'> {
  const { run } = scope;
  return {
    status,
    runId: run.runId,
    runIdAudit: run.state.run_id_audit ?? '',
    mission: scope.plan.mission,
    // What the host prints (`run --format json`) or stores: without secrets, like every file.
    outputs: outputs === null ? null : scope.env.redact(outputs),
    journalPath: run.journal.path,
    commit: null,
  };
}

/** Write the completion bundle of a finished attempt and anchor it. */
export function finish(scope: RunScope, status: RunStatus, final: RepoSnapshot, outputs: Record<string, unknown> | null): MissionResult {
  const { env, run } = scope;
  const attempt = run.lastAttempt();
  const commit = final.head !== attempt.baseline.head ? final.head : null;
  const path = bundlePath(dirname(run.journal.path), attempt.attempt);
  const callLog = callLogPath(join(env.repoRoot, env.paths.agentCalls), run.runId);
  const header: BundleHeader = {
    bundle_version: BUNDLE_VERSION,
    run_id: run.runId,
    run_id_audit: run.state.run_id_audit ?? '',
    mission: scope.plan.mission,
    attempt: attempt.attempt,
    status,
    baseline_commit: attempt.baseline.head,
    result_commit: commit,
    final_state: final,
    final_state_hash: stateHash(final),
    outputs,
    escalations: run.state.escalations,
  };
  // Receipts, journal entries and call-log entries were redacted before they were sealed.
  const bundleHash = writeBundle(path, env.redact(header), {
    receipts: run.receipts,
    journal: { file: relativeTo(env.repoRoot, run.journal.path), path: run.journal.path, entry_count: run.journal.count, head_hash: run.journal.headHash as Sha256, embed: env.embedJournal },
    agentCalls: existsSync(callLog) ? { file: relativeTo(env.repoRoot, callLog), path: callLog } : null,
  });
  anchor(scope, 'finished', bundleHash);
  const replay = env.mode === 'replay' && existsSync(callLog) ? replaySummary(callLog, run.runId) : undefined;
  return { ...baseResult(scope, status, outputs), bundlePath: path, commit, ...(replay ? { replay } : {}) };
}

/** How the calls of a replay matched their fixtures (agents/replay-match.ts), from the call log. */
function replaySummary(callLog: string, runId: Sha256): NonNullable<MissionResult['replay']> {
  const summary = { hit: 0, code_drift: 0, version_drift: 0, recorded_at: [] as string[] };
  const commits = new Set<string>();
  for (const entry of parseJournalText(readFileSync(callLog, 'utf8'), { runId }).entries) {
    const status = entry.data.replay_status;
    if (status === 'hit' || status === 'code_drift' || status === 'version_drift') summary[status] += 1;
    if (status === 'code_drift' && typeof entry.data.recorded_code_version === 'string') commits.add(entry.data.recorded_code_version);
  }
  summary.recorded_at = [...commits].sort();
  return summary;
}

/** Anchor the journal's head outside the run folder (anchor-log.ts), signed when a key is set. */
export function anchor(scope: RunScope, moment: AnchorFields['moment'], bundleHash: Sha256 | null): void {
  const { env, run } = scope;
  const fields: AnchorFields = { run_id: run.runId, attempt: run.lastAttempt().attempt, moment, entry_count: run.journal.count, head_hash: run.journal.headHash as Sha256, bundle_hash: bundleHash };
  appendAnchor(join(env.repoRoot, env.paths.anchors), fields, env.signingKey, { fsync: env.fsync, now: env.now });
}
