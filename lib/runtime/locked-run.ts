/**
 * A run taken for writing: under the single-run lock (a dead holder's run recovered first), its
 * journal opened with a torn tail set aside, and its plan checked against the journal's hash.
 * Every entry point (run, resume, decide, recover) goes through here.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256, type Sha256 } from '../core/canonical.ts';
import type { ExecutionPlan } from '../core/plan-model.ts';
import { RunPreconditionFailed, type RunLockInfo } from '../core/run-errors.ts';
import { foldJournal } from '../core/run-state.ts';
import { requireRunFolder } from './engine-folders.ts';
import { anchoredAttempts, repositoryAnchors } from './anchor-log.ts';
import { JOURNAL_FILE, JournalWriter, quarantineTornTail, readJournal, runDirName } from './journal.ts';
import { readChunks } from './journal-lines.ts';
import { needsRecovery, recoverIfNeeded, type OpenRun, type RecoveryReport } from './recovery.ts';
import { runFolders } from './run-folders.ts';
import { acquireRunLock, breakStaleLock, probeRunLock, releaseRunLock } from './run-lock.ts';
import type { Setup } from './run-setup.ts';
import { signWith } from './signing.ts';

/**
 * Recover every run whose process died (spec §5.6.4): a stale lock's run and any journal with
 * an unfinished, not paused attempt.
 */
export async function recoverAll(context: Setup): Promise<RecoveryReport[]> {
  const reports: RecoveryReport[] = [];
  // A dead holder's lock goes first; its run, if unfinished, is recovered with the others below.
  const lockPath = join(context.env.repoRoot, context.paths.lock);
  const probe = probeRunLock(lockPath);
  const staleLock = probe.state === 'dead' ? probe.holder : undefined;
  if (probe.state === 'dead') breakStaleLock(lockPath, probe.holder);
  const journals = join(context.env.repoRoot, context.paths.journals);
  const anchored = anchoredAttempts(repositoryAnchors(context.env.repoRoot, context.paths));
  for (const folder of runFolders(context.env.repoRoot, context.paths)) {
    const id = `sha256:${folder}` as Sha256;
    const peeked = foldJournal(readJournal(join(journals, folder, JOURNAL_FILE)).entries);
    if (!needsRecovery(peeked, join(journals, folder), anchored)) continue;
    // Checked again under the lock: it was recovered already if it was the dead holder's run.
    const report = await withLock(context, id, peeked.mission ?? 'unknown', () => recoverUnderLock(context, id, staleLock), (recovered) => reports.push(recovered));
    if (report) reports.push(report);
  }
  return reports;
}

/** Take the lock for `runId`, recovering a dead holder's run first; release it at the end. */
export async function withLock<T>(
  context: Setup,
  runId: Sha256,
  missionType: string,
  body: () => Promise<T>,
  onRecovered?: (report: RecoveryReport) => void,
): Promise<T> {
  const lockPath = join(context.env.repoRoot, context.paths.lock);
  let stale: RunLockInfo | undefined;
  const info = { run_id: runId, run_id_audit: randomUUID(), mission_type: missionType, acquired_at: context.env.now().toISOString(), journal_entries: journalLines(context, runId) };
  const key = context.env.signingKey;
  const sign = key ? (payload: string) => signWith(key, payload) : undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = acquireRunLock(lockPath, info, sign);
    if (!taken.acquired) {
      // Break the dead holder's lock (only one process can), take ours, then recover its run under it.
      breakStaleLock(lockPath, taken.stale);
      stale = taken.stale;
      continue;
    }
    try {
      if (stale) {
        const recovered = await recoverStaleHolder(context, stale);
        if (recovered) onRecovered?.(recovered);
      }
      return await body();
    } finally {
      releaseRunLock(lockPath, runId);
    }
  }
  throw new Error(`could not take the run lock ${lockPath} after recovering its previous holder`);
}

/** The dead holder's run is recovered before the lock is broken. */
async function recoverStaleHolder(context: Setup, stale: RunLockInfo): Promise<RecoveryReport | undefined> {
  if (!/^sha256:[0-9a-f]{64}$/.test(stale.run_id)) return undefined;
  const id = stale.run_id as Sha256;
  const folder = join(context.env.repoRoot, context.paths.journals, runDirName(id));
  // No journal or plan yet: the holder died before its run started, so there is nothing to undo.
  if (!existsSync(join(folder, JOURNAL_FILE)) || !existsSync(join(folder, 'plan.json'))) return undefined;
  return recoverUnderLock(context, id, stale);
}

async function recoverUnderLock(context: Setup, runId: Sha256, staleLock: RunLockInfo | undefined): Promise<RecoveryReport | undefined> {
  const run = openRun(context, runId);
  try {
    return await recoverIfNeeded(context.env, run, { staleLock, accepted: accepted(context, runId) });
  } finally {
    run.journal.close();
  }
}

/** The mission a run's journal names, read without opening it for writing. */
export function peekMission(context: Setup, runId: Sha256): string {
  const path = join(context.env.repoRoot, context.paths.journals, runDirName(runId), JOURNAL_FILE);
  if (!existsSync(path)) throw new RunPreconditionFailed(`no journal for run ${runId} at ${path}`);
  return foldJournal(readJournal(path).entries).mission ?? 'unknown';
}

/** Open a run for writing: torn tail set aside, journal verified, plan checked against its hash. */
export function openRun(context: Setup, runId: Sha256): OpenRun {
  const folder = join(context.env.repoRoot, context.paths.journals, runDirName(runId));
  const journalPath = join(folder, JOURNAL_FILE);
  requireRunFolder(context.env.repoRoot, join(context.paths.journals, runDirName(runId)), JOURNAL_FILE);
  if (!existsSync(journalPath)) throw new RunPreconditionFailed(`no journal for run ${runId} at ${journalPath}`);
  const torn = quarantineTornTail(journalPath);
  const journal = JournalWriter.open(journalPath, runId, journalOptions(context));
  const state = foldJournal(journal.opened);
  const planPath = join(folder, 'plan.json');
  const planText = readFileSync(planPath, 'utf8');
  if (state.plan_hash && sha256(planText) !== state.plan_hash) {
    journal.close();
    throw new RunPreconditionFailed(`${planPath} does not match the plan hash in the journal (${state.plan_hash}): it was changed after the run started`);
  }
  return { plan: JSON.parse(planText) as ExecutionPlan, journal, state, runDir: runDirName(runId), torn };
}

/** How many lines the run's journal has now (0 if none): recorded in the lock it takes. */
function journalLines(context: Setup, runId: Sha256): number {
  let lines = 0;
  try {
    readChunks(join(context.env.repoRoot, context.paths.journals, runDirName(runId), JOURNAL_FILE), (bytes, end) => {
      for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) lines++;
    });
  } catch {
    return lines;
  }
  return lines;
}

/** Whether the operator accepted the run's unanchored journal tail (an id or a prefix of it). */
export function accepted(context: Setup, runId: Sha256): boolean {
  const hex = runId.slice('sha256:'.length);
  return (context.options.acceptUnanchored ?? []).map((given) => given.replace(/^sha256:/, '')).some((prefix) => /^[0-9a-f]{6,64}$/.test(prefix) && hex.startsWith(prefix));
}

export function journalOptions(context: Setup): { fsync: boolean; now: () => Date } {
  return { fsync: context.options.fsync ?? true, now: context.env.now };
}
