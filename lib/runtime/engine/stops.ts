/**
 * How a step ends the walk early. Thrown inside the step loop and caught once, at its top
 * (RunEngine.stop), which turns each into the attempt's end: a pause, an escalated rollback, a
 * halted one.
 */
import type { Escalation } from './types.ts';

/** Stops the run without rollback: a human step waits for a decision. */
export class HumanPause {
  constructor(
    readonly requestId: string,
    readonly node: string,
    readonly escalation?: Escalation,
  ) {}
}

/** A governance breach, already escalated: the run ends escalated and is rolled back. */
export class GovernanceHalt extends Error {
  constructor(
    readonly nodeId: string | null,
    readonly escalation: Escalation,
  ) {
    super(escalation.reason);
  }
}

/** The host cancelled the run through its AbortSignal. */
export class HostAbort extends Error {}
