/**
 * Errors the governance guards raise (spec §2.3, §2.4, §5.2.1, §5.5). Each one HALTs the step
 * that hit it and escalates to the CEO; each message names the path or surface and why.
 */

/** A path access outside the envelope, or a write to a protected path. */
export class EnvelopeViolation extends Error {
  constructor(
    readonly path: string,
    readonly operation: string,
    readonly reason: string,
    readonly evidence: Record<string, unknown> = {},
  ) {
    super(`${operation} ${JSON.stringify(path)} denied: ${reason}`);
    this.name = 'EnvelopeViolation';
  }
}

/** A governance surface differs from the approved baseline (spec §2.3). */
export class GovernanceMismatch extends Error {
  constructor(
    readonly mismatches: ReadonlyArray<{ path: string; expected: string | null; actual: string | null }>,
    detail: string,
  ) {
    super(`governance baseline mismatch: ${detail}; the mission halts until the CEO approves a new baseline (\`lifeos-mission baseline --write\`) or the files are restored`);
    this.name = 'GovernanceMismatch';
  }
}

/** A mission's or the day's spending limit would be passed (spec §5.5). */
export class BudgetExceeded extends Error {
  constructor(
    readonly limit: 'mission' | 'daily',
    readonly limitUsd: number,
    readonly spentUsd: number,
  ) {
    super(`${limit} budget exceeded: spent $${spentUsd.toFixed(4)} of $${limitUsd.toFixed(2)}`);
    this.name = 'BudgetExceeded';
  }
}
