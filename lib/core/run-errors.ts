/**
 * Errors the run engine, its controller and operation handlers throw or record (pure classes). Each message names what happened, where, and what
 * to do about it.
 */

/** What the run lock file holds (spec §5.6.2). */
export interface RunLockInfo {
  run_id: string;
  run_id_audit: string;
  pid: number;
  /** Boot id and start tick of the process (Linux); null where the platform does not tell. */
  process_start: string | null;
  host: string;
  mission_type: string;
  /** ISO 8601, audit only. */
  acquired_at: string;
  /** Lines the run's journal had when the lock was taken (what a crash's tail starts after). */
  journal_entries?: number;
  /** With a signing key: the key's signature of the lock, so a lock written by hand vouches for no crash. */
  signature?: { key_id: string; value: string } | null;
}

/** The kill switch (spec §5.6.1) is present: autonomy is halted until the CEO removes it. */
export class KillSwitchActive extends Error {
  constructor(
    readonly path: string,
    readonly checkpoint: string,
  ) {
    super(`kill switch ${path} is present (checked ${checkpoint}); remove it to allow missions to run again`);
    this.name = 'KillSwitchActive';
  }
}

/** Another live process holds the single-run lock (spec §5.6.2). */
export class RunLockHeld extends Error {
  constructor(
    readonly path: string,
    readonly holder: RunLockInfo,
    detail: string,
  ) {
    super(
      `run lock ${path} is held by run ${holder.run_id} (mission ${holder.mission_type}, pid ${holder.pid} on ${holder.host}, since ${holder.acquired_at}): ${detail}`,
    );
    this.name = 'RunLockHeld';
  }
}

/** The lock file exists but cannot be read as a lock; it is never overwritten. */
export class RunLockCorrupt extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`run lock ${path} is not a valid lock file (${reason}); if no mission is running, inspect it and delete it`);
    this.name = 'RunLockCorrupt';
  }
}

/** An operation failed; `nodeId` is its plan node (`review/run_seats[risk]`). */
export class OperationFailed extends Error {
  constructor(
    readonly nodeId: string,
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`step ${nodeId} (${operation}): ${message}`, options);
    this.name = 'OperationFailed';
  }
}

/** Thrown by a handler (or the engine) to stop the run and hand the decision to the CEO. */
export class EscalationRequired extends Error {
  constructor(
    readonly reason: string,
    readonly severity: 'info' | 'warning' | 'critical' = 'critical',
    readonly evidence: Record<string, unknown> = {},
    /**
     * False when the step has nothing the CEO could let stand (an invalid model reply, no model
     * at all): the decision is then to run the step again (`retry`) or to reject, never an override.
     */
    readonly overridable: boolean = true,
  ) {
    super(reason);
    this.name = 'EscalationRequired';
  }
}

/** A run cannot start or go on in this repository as it is (dirty work tree, not a git repo ...). */
export class RunPreconditionFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunPreconditionFailed';
  }
}
