/** The engine's public contracts: what it is given (EngineEnvironment) and what it returns. */
import type { Sha256 } from '../../core/canonical.ts';
import type { JournalEntry } from '../../core/journal-chain.ts';
import type { Redact } from '../../core/redact.ts';
import type { RunStatus } from '../../core/run-state.ts';
import type { OperationHandler, PacketTransform } from '../../operations/handler.ts';
import type { ChildEnvPolicy } from '../../tools/child-env.ts';
import type { SandboxSettings } from '../../tools/sandbox.ts';
import type { RunPaths } from '../run-paths.ts';
import type { SigningKey } from '../signing.ts';
import type { StateStore } from '../store/state-store.ts';

/** An escalation (spec §5.5): raised through one interface, always journaled first. */
export interface Escalation {
  /** Deterministic: the same run, node and reason give the same id. */
  escalation_id: Sha256;
  /** Null when no run exists: a mission refused as invalid before it was planned. */
  run_id: Sha256 | null;
  mission: string;
  node: string | null;
  reason: string;
  severity: 'info' | 'warning' | 'critical';
  evidence: Record<string, unknown>;
}

/** Where escalations go besides the journal (the state store's queue backs it). */
export type EscalationSink = (escalation: Escalation) => void | Promise<void>;

/** A journal entry as a host sees it (onEvent). */
export type RunEvent = JournalEntry;

/**
 * What happens between journal entries, for a display (onProgress): a model call about to be
 * retried and why, and the instances of a parallel fan-out running at once. Never journaled.
 */
export type ProgressEvent = { kind: 'retry'; node: string; message: string } | { kind: 'in_flight'; node: string; running: readonly string[]; of: number };

export interface EngineEnvironment {
  repoRoot: string;
  paths: RunPaths;
  handlers: ReadonlyMap<string, OperationHandler>;
  transforms: ReadonlyMap<string, PacketTransform>;
  schemas: ReadonlyMap<string, object>;
  mode: 'live' | 'record' | 'replay';
  signal: AbortSignal | undefined;
  onEvent: ((event: RunEvent) => void) | undefined;
  onProgress: ((event: ProgressEvent) => void) | undefined;
  /** A cap on every fan-out's max_parallel (EngineOptions.maxParallel). */
  maxParallel: number | undefined;
  escalations: EscalationSink | undefined;
  store: StateStore | undefined;
  /** Governance surface patterns added to the built-in ones (spec §2.3). */
  governanceSurfaces: readonly string[];
  /** Protected paths added to the built-in ones (spec §2.4). */
  protectedPaths: readonly string[];
  /** The day's spending ceiling across runs, in USD. */
  dailyBudgetUsd: number | undefined;
  /** Kill switches besides the repository's own (absolute paths). */
  killSwitches: readonly string[];
  /** Removes secrets from everything the engine writes or returns. */
  redact: Redact;
  /** The secret values themselves (the API key, the host's), which no step may write into a file. */
  secrets: readonly string[];
  /** How builders and tests are confined. */
  sandbox: SandboxSettings;
  /** What child processes may see of the host's environment. */
  childEnv: ChildEnvPolicy;
  /** Signs the anchor log's entries (LIFEOS_SIGNING_KEY); none: anchors are unsigned. */
  signingKey: SigningKey | undefined;
  /** fsync journal and anchor appends. */
  fsync: boolean;
  /** Completion bundles embed a copy of the journal (else they reference it by count and head hash). */
  embedJournal: boolean;
  now: () => Date;
}

export interface MissionResult {
  status: RunStatus;
  runId: Sha256;
  runIdAudit: string;
  mission: string;
  outputs: Record<string, unknown> | null;
  journalPath: string;
  /** The completion bundle; null while the run waits for a human. */
  bundlePath: string | null;
  escalation?: Escalation;
  /** Why the run did not complete. */
  error?: { message: string; node: string | null };
  /**
   * The request a paused run waits for: a human step's approval, or the CEO's decision on an
   * escalation; `retry_only` when that escalation's step produced nothing to approve (retry or reject it).
   */
  awaiting?: { request_id: string; node: string; kind: 'human' | 'escalation'; retry_only: boolean };
  /** HEAD after the run, when the run moved it (a commit). */
  commit: string | null;
  /** Evidence folder of a run that did not complete. */
  evidencePath?: string;
  /**
   * How the run's model calls were answered in replay mode, counted from its call log: exact
   * fixtures, the same calls recorded at another commit, fixtures of another model version.
   */
  replay?: { hit: number; code_drift: number; version_drift: number; recorded_at: string[] };
}
