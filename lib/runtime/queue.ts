/**
 * The CEO approval queue (spec §5.5, §6.1 escalation_queue) as hosts and the CLI see it: each
 * queued escalation or approval request joined with its run, its step and what is to be
 * decided, read from the run's journal. Deciding an item a paused run waits for is journaled
 * in that run (decideRequest), bound to its content; other items (a kill switch, a failed
 * rollback) are acknowledged in the queue only. A deferral is kept in the queue, never journaled.
 */
import { join } from 'node:path';
import type { Sha256 } from '../core/canonical.ts';
import type { JournalEntry } from '../core/journal-chain.ts';
import { RunPreconditionFailed } from '../core/run-errors.ts';
import { foldJournal, openAttempt } from '../core/run-state.ts';
import type { EscalationRecord, QueueResolution, WithId } from '../core/store-rows.ts';
import { snapshotDiff, type RepoSnapshot } from './git-state.ts';
import { JOURNAL_FILE, readJournal, readJournalBackward, runDirName } from './journal.ts';
import { RunFolderIndex } from './run-folders.ts';
import { resolveRunPaths, type RunPaths } from './run-paths.ts';
import type { EngineOptions } from './runner.ts';
import { openStateStore } from './store/open-store.ts';
import { StoreConflict, type StateStore } from './store/state-store.ts';

export interface QueueItem extends WithId<EscalationRecord> {
  run_id: Sha256 | null;
  /** The plan node it came from. */
  node: string | null;
  /** `human`: a `kind: human` step's approval request; `escalation`: raised by a step or the engine. */
  kind: 'human' | 'escalation';
  /** A paused run waits for this decision (approving lets it go on; rejecting rolls it back). */
  waiting: boolean;
  /** What is decided: the step's params, or the escalation's reason, severity and evidence. */
  request: Record<string, unknown> | null;
  /** An escalation whose step produced nothing to let stand (an invalid model reply): retried or rejected, never approved. */
  retry_only: boolean;
}

export interface QueueOptions {
  repoRoot: string;
  paths?: Partial<RunPaths>;
  /** Default: the repository's store. */
  store?: StateStore;
}

export interface QueueDecision {
  /** `retry`: run the step again, for an escalation a paused run waits for whose step produced nothing. */
  resolution: QueueResolution | 'retry';
  by: string;
  /** Required to approve an escalation: the rationale of the CEO override. */
  note?: string;
}

/** Queued items ordered by the time they were raised; `open` (default true) leaves out decided ones. */
export function listQueue(options: QueueOptions & { open?: boolean }): QueueItem[] {
  return withStore(options, (store, paths) => {
    // One listing of the run folders resolves every row's run.
    const runs = new RunFolderIndex(options.repoRoot, paths);
    return store.escalations({ open: options.open ?? true }).map((row) => joinRun(runs, row));
  });
}

/** One item by queue id, escalation id or a unique prefix of it. */
export function queueItem(ref: string, options: QueueOptions): QueueItem {
  return withStore(options, (store, paths) => {
    const row = store.findEscalation(ref);
    if (!row) throw new StoreConflict(`no item ${ref} in the queue; \`lifeos-mission queue list --all\` shows every item`);
    return joinRun(new RunFolderIndex(options.repoRoot, paths), row);
  });
}

/**
 * Decide an item. Approved or rejected, an item a paused run waits for is recorded in that run's
 * journal (bound to what it approves) and the run can then be resumed; other items are
 * acknowledged in the queue. Returns the item as it is afterwards.
 */
export async function decideQueueItem(ref: string, decision: QueueDecision, options: QueueOptions & Omit<EngineOptions, 'repoRoot' | 'store'>): Promise<QueueItem> {
  const item = queueItem(ref, options);
  if (item.resolution !== null && item.resolution !== 'deferred') {
    throw new StoreConflict(`item ${item.id} was ${item.resolution === 'retry' ? 'retried' : item.resolution} by ${String(item.resolved_by)} at ${String(item.resolved_at)}; a decision is final`);
  }
  if (decision.resolution === 'approved' && item.kind === 'escalation' && !decision.note?.trim()) {
    throw new RunPreconditionFailed(`approving escalation ${item.id} overrides it (recorded as ceo_override): give the rationale as a note`);
  }
  if (decision.resolution === 'retry' && !item.waiting) {
    throw new RunPreconditionFailed(`item ${item.id} cannot be retried: retry runs again the step a paused run waits at, and no run waits for this item`);
  }
  const store = options.store ?? openStateStore({ repoRoot: options.repoRoot, ...(options.paths ? { paths: options.paths } : {}) });
  try {
    if (decision.resolution !== 'deferred' && item.run_id && attemptInProgress(item.run_id, options)) {
      // Loaded here: listing the queue does not need the engine.
      const { decideRequest } = await import('./runner.ts');
      await decideRequest(item.run_id, { request_id: item.escalation_id, decision: decision.resolution, by: decision.by, ...(decision.note ? { note: decision.note } : {}) }, { ...options, store });
    } else {
      store.resolveEscalation(item.escalation_id, { resolution: decision.resolution as QueueResolution, resolved_by: decision.by, resolved_at: (options.now ?? (() => new Date()))().toISOString(), notes: decision.note ?? null });
    }
    return queueItem(String(item.id), { ...options, store });
  } finally {
    if (!options.store) store.close();
  }
}

/**
 * Whether the run has an attempt that has not ended, from its verified journal: then the
 * decision goes to the run itself (decideRequest), which opens it as resume does (its lock, its
 * anchored tail) and refuses what it does not wait for. The listing reads journals without
 * verifying them, and a line added by hand (a `run_resumed`) must not turn a decision into a
 * queue-only acknowledgement that the run never sees.
 */
function attemptInProgress(runId: Sha256, options: QueueOptions): boolean {
  const path = join(options.repoRoot, resolveRunPaths(options.paths).journals, runDirName(runId), JOURNAL_FILE);
  const { entries, verification } = readJournal(path, runId);
  const [problem] = verification.errors;
  if (problem) throw new RunPreconditionFailed(`the journal of run ${runId} does not verify (${path}:${problem.line}: ${problem.kind}: ${problem.message}); nothing was recorded: check it with \`lifeos-mission verify\``);
  return openAttempt(foldJournal(entries)) !== undefined;
}

/** The changes a paused run made before it paused (what approving its request lets stand). */
export function pausedChanges(item: QueueItem, options: QueueOptions): string | null {
  if (!item.run_id || !item.waiting) return null;
  const paths = resolveRunPaths(options.paths);
  const state = foldJournal(readJournal(join(options.repoRoot, paths.journals, runDirName(item.run_id), JOURNAL_FILE)).entries);
  const attempt = openAttempt(state);
  if (!attempt?.paused) return null;
  return snapshotDiff(options.repoRoot, attempt.baseline as RepoSnapshot, attempt.paused.state as RepoSnapshot);
}

function withStore<T>(options: QueueOptions, body: (store: StateStore, paths: RunPaths) => T): T {
  const paths = resolveRunPaths(options.paths);
  const store = options.store ?? openStateStore({ repoRoot: options.repoRoot, paths });
  try {
    return body(store, paths);
  } finally {
    if (!options.store) store.close();
  }
}

/**
 * The entries a row is joined with: its request (`human_requested`, or `escalated` for one that
 * paused nothing) and those that tell whether the run's last attempt is paused on it now.
 */
const JOINED: ReadonlySet<string> = new Set(['run_started', 'run_paused', 'run_resumed', 'run_finished', 'human_requested', 'escalated']);
/** The entries that set or clear an attempt's pause (foldJournal): the last of them says whether the run waits. */
const PAUSE_STATE: ReadonlySet<string> = new Set(['run_started', 'run_paused', 'run_resumed', 'run_finished']);

/**
 * The run, step and request of a queue row, from the run's journal (the source of truth), read
 * from its end only as far back as the request: a paused run's last few entries, whatever the
 * journal's length.
 */
function joinRun(runs: RunFolderIndex, row: WithId<EscalationRecord>): QueueItem {
  const unknown = (): QueueItem => ({ ...row, run_id: null, node: null, kind: 'escalation', waiting: false, request: null, retry_only: false });
  const short = /@([0-9a-f]{12})\/\d+$/.exec(row.mission_id ?? '')?.[1];
  if (!short) return unknown();
  let runId: Sha256;
  try {
    runId = runs.find(short);
  } catch {
    return unknown();
  }
  let pause: JournalEntry | undefined;
  let source: JournalEntry | undefined;
  // Shown, not acted on: deciding opens the journal verified (decideRequest), so a listing need not hash it.
  readJournalBackward(join(runs.repoRoot, runs.paths.journals, runDirName(runId), JOURNAL_FILE), JOINED, (entry) => {
    if (!pause && PAUSE_STATE.has(entry.type)) pause = entry;
    // A paused escalation's human_requested follows its escalated entry: the first met from the end is the request.
    if (!source && (entry.type === 'human_requested' ? entry.data.request_id : entry.type === 'escalated' ? entry.data.escalation_id : undefined) === row.escalation_id) source = entry;
    return pause !== undefined && source !== undefined;
  });
  return {
    ...row,
    run_id: runId,
    node: typeof source?.data.node === 'string' ? source.data.node : null,
    kind: source && (source.type === 'escalated' || source.data.kind === 'escalation') ? 'escalation' : 'human',
    waiting: pause?.type === 'run_paused' && pause.data.request_id === row.escalation_id,
    request: source ? requestContent(source.data) : null,
    retry_only: source?.type === 'human_requested' && source.data.kind === 'escalation' && source.data.overridable === false,
  };
}

function requestContent(data: Record<string, unknown>): Record<string, unknown> {
  if (data.params !== undefined) return { params: data.params };
  return { reason: data.reason, severity: data.severity, evidence: data.evidence };
}
