/**
 * What `run`, `resume` and `recover` print when a run ends (the summary under the progress
 * lines) and how the errors that stop a run before it starts map to exit codes.
 */
import { relative } from 'node:path';
import { MissionValidationError } from '../core/errors.ts';
import { KillSwitchActive, RunLockCorrupt, RunLockHeld, RunPreconditionFailed } from '../core/run-errors.ts';
import type { MissionResult } from '../runtime/engine/types.ts';
import { GitError } from '../runtime/git-state.ts';
import { JournalCorrupt } from '../runtime/journal.ts';
import type { RecoveryReport } from '../runtime/recovery.ts';
import { StoreBusy } from '../runtime/store/file-mutex.ts';
import { StoreCorrupt, StoreUnavailable } from '../runtime/store/state-store.ts';
import { EXIT, type CliIO } from './io.ts';
import { shortId } from './progress.ts';
import { diagnosticText } from './report.ts';

/**
 * The summary of a run's end: status, run id, journal, bundle, commit, and what to do next;
 * `flags` are the engine flags the next command must be given again (resumeFlags).
 */
export function resultText(result: MissionResult, cwd: string, flags = ''): string {
  const rows: Array<[string, string]> = [
    ['run id', result.runId],
    ['journal', shortPath(result.journalPath, cwd)],
  ];
  if (result.bundlePath) rows.push(['bundle', shortPath(result.bundlePath, cwd)]);
  rows.push(['commit', result.commit ?? 'none']);
  if (result.replay) rows.push(['replayed', replayText(result.replay)]);
  for (const [name, value] of Object.entries(result.outputs ?? {})) rows.push([`output ${name}`, outputText(value)]);
  if (result.error) rows.push(['error', result.error.message]);
  if (result.escalation) rows.push(['escalation', `${result.escalation.escalation_id} (${result.escalation.severity}): ${result.escalation.reason}`]);
  if (result.evidencePath) rows.push(['evidence', shortPath(result.evidencePath, cwd)]);
  if (result.awaiting?.kind === 'escalation') {
    const decide = result.awaiting.retry_only ? 'queue retry (its step produced nothing to approve)' : 'queue approve (with --note "<rationale>")';
    rows.push(['waiting for', `the CEO's decision on escalation ${result.awaiting.request_id} at step ${result.awaiting.node}`]);
    rows.push(['next', `lifeos-mission queue show ${shortId(result.awaiting.request_id)}, then ${decide} or reject, then lifeos-mission resume ${shortId(result.runId)}${flags}`]);
  } else if (result.awaiting) {
    rows.push(['waiting for', `approval of request ${result.awaiting.request_id} at step ${result.awaiting.node}`]);
    rows.push(['next', `lifeos-mission resume ${shortId(result.runId)} --approve --by <name>${flags}   (or --reject)`]);
  }
  const headline = `${result.status}: mission ${result.mission}\n`;
  return headline + rows.map(([key, value]) => `  ${key.padEnd(11)} ${value}\n`).join('');
}

function replayText(replay: NonNullable<MissionResult['replay']>): string {
  const parts = [
    replay.hit > 0 ? `${replay.hit} exact` : '',
    replay.code_drift > 0 ? `${replay.code_drift} recorded at another commit (code_drift: ${replay.recorded_at.map((c) => c.slice(0, 12)).join(', ') || 'unnamed'})` : '',
    replay.version_drift > 0 ? `${replay.version_drift} from another model version (version_drift)` : '',
  ].filter(Boolean);
  return `${parts.join(', ') || 'no'} model call${replay.hit + replay.code_drift + replay.version_drift === 1 ? '' : 's'}`;
}

/** A mission output on one line: a string as it is, anything else as JSON, cut at 100 characters. */
function outputText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/** One recovered run: what recovery did, then the run's own summary. */
export function recoveryText(report: RecoveryReport, cwd: string): string {
  return `recovered run ${shortId(report.runId)}: ${report.action.replace('_', ' ')}: ${report.detail}\n${resultText(report.result, cwd)}`;
}

/** 0 for a completed run, 1 for any other end (failed, escalated, halted, awaiting a human). */
export function resultExit(result: MissionResult): number {
  return result.status === 'completed' ? EXIT.ok : EXIT.failed;
}

/** Errors that say the repository or its files are not in a state to go on: exit 2. */
const ENVIRONMENT_ERRORS = [RunPreconditionFailed, RunLockHeld, RunLockCorrupt, GitError, KillSwitchActive, StoreCorrupt, StoreUnavailable, StoreBusy];

/**
 * An error that stopped a run before it started, printed with its exit code: 1 when the mission
 * or journal is bad, 2 when the environment is (lock held, dirty repository, not a repository).
 * Anything else is not ours to explain and is rethrown (main() reports it as an internal error).
 */
export function runErrorExit(command: string, error: unknown, io: CliIO): number {
  if (error instanceof MissionValidationError) {
    for (const d of error.diagnostics) io.stderr.write(diagnosticText(d));
    if (error.queueItem !== undefined) io.stderr.write(`lifeos-mission ${command}: the mission is invalid: halted before it started and escalated (queue item ${error.queueItem})\n`);
    return EXIT.failed;
  }
  if (error instanceof JournalCorrupt) {
    io.stderr.write(`lifeos-mission ${command}: ${error.message}\n`);
    return EXIT.failed;
  }
  if (ENVIRONMENT_ERRORS.some((kind) => error instanceof kind)) {
    io.stderr.write(`lifeos-mission ${command}: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  throw error;
}

/** A path relative to the working folder when it lies below it, else as it is. */
function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') ? rel : path;
}
