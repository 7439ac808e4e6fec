/**
 * The public run API: runMission, resumeMission, decideRequest, recoverRuns (DESIGN.md
 * contracts). Wiring only: each builds the run's environment (run-setup.ts), hands it to the
 * entry point that takes the run under its lock (start-run.ts, resume-run.ts, locked-run.ts),
 * and closes the store it opened however the run ends.
 */
import type { Sha256 } from '../core/canonical.ts';
import type { Mission } from '../core/types.ts';
import type { MissionResult } from './engine/types.ts';
import { recoverAll } from './locked-run.ts';
import type { RecoveryReport } from './recovery.ts';
import { decideOnRun, resumeRun } from './resume-run.ts';
import type { HumanDecision } from './decisions.ts';
import { withSetup, type EngineOptions, type RecoverOptions, type ResumeOptions, type RunOptions } from './run-setup.ts';
import { startRun } from './start-run.ts';

export type { EngineOptions, HumanDecision, RecoverOptions, ResumeOptions, RunOptions };

/**
 * Run a mission (a Mission object, a registered name, or a mission file path) in a git
 * repository. Resolves with the result; throws only for problems before the run starts
 * (invalid mission or inputs, no repository, lock held by a live run, dirty work tree).
 */
export async function runMission(missionOrName: Mission | string, options: RunOptions): Promise<MissionResult> {
  return withSetup(options, (context) => startRun(context, missionOrName, options));
}

/**
 * Continue a run that waits for a human decision (after recording `decisions`), or one whose
 * process died (crash recovery, spec §5.6.4).
 */
export async function resumeMission(runId: string, options: ResumeOptions): Promise<MissionResult> {
  return withSetup(options, (context) => resumeRun(context, runId, options));
}

/**
 * Decide the request a paused run waits for (an approval, or the CEO's ruling on an escalation),
 * without resuming it: the decision is journaled, bound to the content decided, and the queue
 * updated; `resumeMission` then goes on only while that content is unchanged.
 */
export async function decideRequest(runId: string, decision: HumanDecision, options: EngineOptions): Promise<{ runId: Sha256; requestId: string }> {
  return withSetup(options, (context) => decideOnRun(context, runId, decision));
}

/**
 * Recover every run whose process died (spec §5.6.4): a stale lock's run and any journal with
 * an unfinished, not paused attempt. Each is continued (completed steps kept, an interrupted
 * writing step compensated and restarted) or rolled back and escalated when unclear.
 */
export async function recoverRuns(options: RecoverOptions): Promise<RecoveryReport[]> {
  return withSetup(options, (context) => recoverAll(context));
}
