/**
 * The run's time limits and cancellation: the mission timeout, each step's timeout and the
 * host's AbortSignal, joined into one signal per step. A handler that ignores its signal is
 * still left behind: the step ends when the first limit passes.
 */
import { setMaxListeners } from 'node:events';
import type { PlanOperationNode } from '../../core/plan-model.ts';
import { OperationFailed } from '../../core/run-errors.ts';
import type { OperationContext, OperationHandler } from '../../operations/handler.ts';
import { HostAbort } from './stops.ts';

/** How long a handler stopped by a limit may take to settle before its step ends without it. */
const ABORT_GRACE_MS = 2000;
const MAX_STEPS_IN_FLIGHT = 128;

function settledOrLate(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}

export class TimeLimits {
  // Own timers rather than AbortSignal.timeout(), whose unref'd timer lets the process exit while
  // a handler waits for the signal.
  private readonly mission = new AbortController();
  private readonly runSignal: AbortSignal;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: AbortSignal | undefined,
    private readonly missionSeconds: number,
  ) {
    this.runSignal = host ? AbortSignal.any([host, this.mission.signal]) : this.mission.signal;
    // Each step in flight listens to it; a parallel fan-out has up to 64 at once.
    setMaxListeners(MAX_STEPS_IN_FLIGHT, this.runSignal);
  }

  /** Start the mission's clock; stop() ends it. */
  start(): void {
    this.timer = setTimeout(() => this.mission.abort(), this.missionSeconds * 1000);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Throws when the run is already cancelled or out of time. */
  check(node: PlanOperationNode): void {
    if (this.runSignal.aborted) throw this.abortError(node);
  }

  /** Call the handler under the step's and the mission's time limits; `also` stops it too (a fan-out whose earlier instance failed). */
  async invoke(handler: OperationHandler, params: Record<string, unknown>, base: Omit<OperationContext, 'signal'>, node: PlanOperationNode, also?: AbortSignal): Promise<unknown> {
    // A signal of its own for every step, even without a timeout: listeners a handler (or a
    // library it uses) leaves on it go with the step instead of piling up on the run's signal.
    // The run's signal is forwarded by hand, not joined with AbortSignal.any, which on Node 20
    // keeps every joined signal alive as long as the run's (a long run's memory grew per step).
    const step = new AbortController();
    const timedOut = { yes: false };
    const forward = (): void => step.abort();
    if (this.runSignal.aborted || also?.aborted) step.abort();
    else this.runSignal.addEventListener('abort', forward, { once: true });
    also?.addEventListener('abort', forward, { once: true });
    const stepTimer =
      node.timeout_seconds === null
        ? undefined
        : setTimeout(() => {
            timedOut.yes = true;
            step.abort();
          }, node.timeout_seconds * 1000);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.abortError(node, timedOut.yes));
      if (step.signal.aborted) onAbort();
      else step.signal.addEventListener('abort', onAbort, { once: true });
    });
    const work = Promise.resolve().then(() => handler.execute(params, { ...base, signal: step.signal }));
    try {
      return await Promise.race([work, aborted]);
    } catch (error) {
      // Stopped by a limit: the handler was told (its signal) and gets a moment to finish what it
      // writes on its way out (a call log entry), so nothing of it lands after the run's bundle.
      if (step.signal.aborted) await settledOrLate(work, ABORT_GRACE_MS);
      throw error;
    } finally {
      clearTimeout(stepTimer);
      this.runSignal.removeEventListener('abort', forward);
      also?.removeEventListener('abort', forward);
      if (onAbort) step.signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  private abortError(node: PlanOperationNode, stepTimedOut = false): Error {
    if (this.host?.aborted) return new HostAbort(`the host cancelled the run during step ${node.id}`);
    if (this.mission.signal.aborted) return new OperationFailed(node.id, node.operation, `mission timeout of ${this.missionSeconds} s exceeded`);
    if (stepTimedOut) return new OperationFailed(node.id, node.operation, `step timeout of ${String(node.timeout_seconds)} s exceeded`);
    return new OperationFailed(node.id, node.operation, 'aborted');
  }
}
