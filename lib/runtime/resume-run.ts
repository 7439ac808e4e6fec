/**
 * Going on with a run that stopped: after a human decision (recorded first, bound to what was
 * decided, and refused when any recorded decision is not), or after a crash (recovery), and
 * recording a decision without going on.
 */
import { dirname, join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import { KillSwitchActive, RunPreconditionFailed } from '../core/run-errors.ts';
import { openAttempt } from '../core/run-state.ts';
import { requireHandlers } from '../operations/registry.ts';
import { anchoredAttempts, repositoryAnchors, requireVerifiedAnchorLog } from './anchor-log.ts';
import { pausedAttempt, recordDecision, requireUnchanged, unboundDecisions, type HumanDecision } from './decisions.ts';
import { checkKillSwitch } from './engine/guards.ts';
import { RunEngine } from './engine/run-engine.ts';
import type { MissionResult } from './engine/types.ts';
import type { RepoSnapshot } from './git-state.ts';
import { runDirName } from './journal.ts';
import { accepted, openRun, peekMission, withLock } from './locked-run.ts';
import { evidenceMissing, recoverRun, writeMissingBundle } from './recovery.ts';
import { findRunId } from './run-folders.ts';
import { probeRunLock } from './run-lock.ts';
import type { ResumeOptions, Setup } from './run-setup.ts';
import { requirePreflight } from './preflight.ts';
import { requireAccountedTail } from './unanchored-tail.ts';

/** Continue a paused run after recording `options.decisions`, or recover one whose process died. */
export async function resumeRun(context: Setup, runId: string, options: ResumeOptions): Promise<MissionResult> {
  const id = findRunId(context.env.repoRoot, context.paths, runId);
  // A dead holder's lock is broken by withLock, which recovers its run first: under the kill
  // switch that recovery would halt the run and undo its work.
  if (probeRunLock(join(context.env.repoRoot, context.paths.lock)).state === 'dead') refuseUnderKillSwitch(context, id, 'crashed');
  return withLock(context, id, peekMission(context, id), async () => {
    const run = openRun(context, id);
    try {
      // A crash of this run was recovered by withLock already (its stale lock): what remains unanchored is no crash's.
      const anchors = repositoryAnchors(context.env.repoRoot, context.paths);
      requireAccountedTail(context.env, anchors, id, run.state, run.journal.opened, { staleLock: undefined, accepted: accepted(context, id) });
      const attempt = openAttempt(run.state);
      if (!attempt && evidenceMissing(run.state, dirname(run.journal.path), anchoredAttempts(anchors))) return writeMissingBundle(context.env, run).result;
      if (!attempt) {
        const last = run.state.attempts[run.state.attempts.length - 1];
        throw new RunPreconditionFailed(`run ${id} is not paused or unfinished (it ended ${last?.finished?.status ?? 'before starting'}); start the mission again instead`);
      }
      if (!attempt.paused) {
        if ((options.decisions ?? []).length > 0) throw new RunPreconditionFailed(`run ${id} is not waiting for a decision (its process died); resume it without one to recover it`);
        refuseUnderKillSwitch(context, id, 'crashed');
        return (await recoverRun(context.env, run)).result;
      }
      requireUnchanged(context.env.repoRoot, context.paths, run, attempt.paused.state as RepoSnapshot, `resume run ${id}`);
      requireVerifiedAnchorLog(context.env.repoRoot, context.paths);
      // Before any decision is recorded: a resume that could not go on must leave the run as it was.
      requireHandlers(run.plan.steps, context.env.handlers, `nothing was recorded; resume with the handlers the run was started with (resumeMission({ handlers }), or \`lifeos-mission resume ${id.slice(7, 19)} --handlers MODULE\`)`);
      // The steps still to run need their key, prompts and programs as much as at the start.
      const done = new Set([...run.state.completed.values()].filter((op) => op.attempt === attempt.attempt).map((op) => op.node));
      requirePreflight(run.plan.steps, context.env.handlers, { repo_root: context.env.repoRoot, mode: context.env.mode }, done);
      const waitsFor = attempt.paused.request_id;
      const decided = (options.decisions ?? []).find((d) => (d.request_id ?? waitsFor) === waitsFor)?.decision ?? run.state.human_decisions.get(waitsFor)?.decision;
      // Going on under the kill switch would only halt the run and undo the work it waits with; ending it (a rejection) is still allowed.
      if (decided !== 'rejected') refuseUnderKillSwitch(context, id, 'paused');
      const engine = new RunEngine(context.env, run.plan, run.journal, run.state, runDirName(id));
      for (const decision of options.decisions ?? []) recordDecision(engine, run, decision, context.env.signingKey);
      const forged = unboundDecisions(run, context.env.store, context.env.signingKey);
      if (forged.length > 0) {
        const reason = `a recorded decision does not match what was decided: ${forged.join('; ')}`;
        const escalation = await engine.escalate(null, reason, 'critical', { problems: forged });
        return await engine.end('halted', reason, null, escalation);
      }
      engine.record('run_resumed', { request_id: attempt.paused.request_id });
      return await engine.drive();
    } finally {
      run.journal.close();
    }
  });
}

function refuseUnderKillSwitch(context: Setup, id: Sha256, run: 'paused' | 'crashed'): void {
  try {
    checkKillSwitch(context.env, 'before resuming');
  } catch (error) {
    if (!(error instanceof KillSwitchActive)) throw error;
    const [stays, way] = run === 'paused' ? ['stays waiting as it was', 'or reject the request to end the run'] : ['stays as its process left it', 'or `lifeos-mission recover` to roll it back now'];
    throw new RunPreconditionFailed(`the kill switch ${error.path} is present: run ${id} ${stays}, nothing was recorded; remove the kill switch to go on, ${way}`);
  }
}

/** Journal a decision on the request a paused run waits for, without going on. */
export async function decideOnRun(context: Setup, runId: string, decision: HumanDecision): Promise<{ runId: Sha256; requestId: string }> {
  const id = findRunId(context.env.repoRoot, context.paths, runId);
  return withLock(context, id, peekMission(context, id), async () => {
    const run = openRun(context, id);
    try {
      const attempt = pausedAttempt(run);
      requireUnchanged(context.env.repoRoot, context.paths, run, attempt.paused.state as RepoSnapshot, `record a decision on run ${id}`);
      recordDecision(new RunEngine(context.env, run.plan, run.journal, run.state, runDirName(id)), run, decision, context.env.signingKey);
      return { runId: id, requestId: decision.request_id ?? attempt.paused.request_id };
    } finally {
      run.journal.close();
    }
  });
}
