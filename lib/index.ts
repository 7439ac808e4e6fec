/**
 * lifeos-mission: the public API. Re-exports only (CONVENTIONS habit 7).
 */

// Missions: load, validate, plan (default registry: built-in operations and missions).
export {
  BUILTIN_MISSIONS_DIR,
  defaultRegistry,
  loadMission,
  planMission,
  readMissionFiles,
  resolveMission,
  validateMission,
  validateMissionFiles,
  type FileReport,
  type LoadMissionOptions,
  type MissionFile,
  type PlanMissionOptions,
} from './runtime/mission-library.ts';
export { missionSource, type LoadResult, type MissionSource } from './core/load.ts';
export {
  BUILTIN_OPERATIONS,
  createRegistry,
  describeOperation,
  type MissionEntry,
  type OperationDefinition,
  type Registry,
  type RegistryOptions,
} from './core/registry.ts';
export { checkInputs } from './core/plan-inputs.ts';
export {
  isConcrete,
  unescapePlanKey,
  unescapeValue,
  type ExecutionPlan,
  type PlanCondition,
  type PlanFanOutNode,
  type PlanHumanNode,
  type PlanMissionNode,
  type PlanNode,
  type PlanOperationNode,
  type PlanRef,
  type PlanSource,
  type PlanTemplate,
  type PlanValue,
} from './core/plan-model.ts';
export type { ConditionSource, Diagnostic, Envelope, JsonLogic, Mission, MissionInput, MissionOutput, Step, StepKind } from './core/types.ts';
export { DIAGNOSTIC_CODES, type DiagnosticCode } from './core/diagnostics.ts';
export { MissionValidationError, formatDiagnostic } from './core/errors.ts';

// Templates and conditions.
export { compileTemplate, renderTemplate, stringifyForTemplate, templateRefs, type Template, type TemplateRef } from './core/template.ts';
export { ALLOWED_OPERATORS, compileCondition, type CompiledCondition } from './core/condition.ts';
export { ConditionEvaluationError, evaluateCondition } from './core/condition-eval.ts';
export { parseValueType, typeMismatch, type ValueType } from './core/value-type.ts';

// Canonical JSON and deterministic identifiers (spec §5.1.3, Appendix B).
export {
  CanonicalJsonError,
  canonicalJson,
  computeCallId,
  computeRunId,
  hashCanonical,
  isSha256,
  sha256,
  type CallIdInputs,
  type RunIdInputs,
  type Sha256,
} from './core/canonical.ts';
export { COMPENSATION_COMMANDS, COMPENSATION_TYPES, type CompensationCommand, type CompensationType } from './core/compensation.ts';

// Running missions (spec §5.2, §5.6–§5.8): runner, operation handlers, journal, lock, recovery.
export { decideRequest, recoverRuns, resumeMission, runMission, type EngineOptions, type HumanDecision, type RecoverOptions, type ResumeOptions, type RunOptions } from './runtime/runner.ts';
export type { Escalation, EscalationSink, MissionResult, RunEvent } from './runtime/engine/types.ts';
export type { RecoveryReport } from './runtime/recovery.ts';
export { defineOperation, type ExecutionContext, type Operation, type OperationContext, type OperationHandler, type PacketTransform } from './operations/handler.ts';
export { BUILTIN_HANDLERS } from './operations/registry.ts';
export { JournalCorrupt, readJournal, verifyJournal } from './runtime/journal.ts';
export { verifyBundle, type CompletionBundle } from './runtime/bundle.ts';
export { genesisHash, type JournalEntry, type JournalError, type JournalErrorKind, type JournalVerification } from './core/journal-chain.ts';
export { verifyJournalText } from './core/journal-check.ts';
export { foldJournal, type OperationReceipt, type RunState, type RunStatus } from './core/run-state.ts';
export { stepRecords, type CompensationStatus, type StepRecord, type StepStatus } from './core/step-records.ts';
export { DEFAULT_RUN_PATHS, type RunPaths } from './runtime/run-paths.ts';

// The unattended loop over BACKLOG.md (docs/backlog.md).
export { parseBacklog, taskSlug, type BacklogItem } from './core/backlog.ts';
export { findTask, resumeBacklogTask, runBacklog, type BacklogOptions, type BacklogReport, type StopReason } from './runtime/backlog/run-backlog.ts';
export { listBacklog, type BacklogEntry, type TaskState } from './runtime/backlog/backlog-list.ts';
export type { TaskOutcome, TaskRecord } from './runtime/backlog/backlog-record.ts';

// The state store and the approval queue (spec §5.5, §6.1).
export { decideQueueItem, listQueue, pausedChanges, queueItem, type QueueDecision, type QueueItem, type QueueOptions } from './runtime/queue.ts';
export { openStateStore, type OpenStoreOptions } from './runtime/store/open-store.ts';
export { rebuildStore, type RebuildReport } from './runtime/store/rebuild.ts';
export { StoreConflict, StoreCorrupt, StoreUnavailable, type EscalationQuery, type Resolution, type RunQuery, type StateStore, type StoreBackend } from './runtime/store/state-store.ts';
export { StoreBusy } from './runtime/store/file-mutex.ts';
export { runRows, type EscalationRecord, type EscalationResolution, type MissionRunRecord, type MissionRunStatus, type RunRows, type StepLogRecord, type WithId } from './core/store-rows.ts';
export { EscalationRequired, KillSwitchActive, OperationFailed, RunLockCorrupt, RunLockHeld, RunPreconditionFailed, type RunLockInfo } from './core/run-errors.ts';

// Governance guards (spec §2.3, §2.4, §5.2.1, §5.5).
export { BudgetExceeded, EnvelopeViolation, GovernanceMismatch } from './core/governance-errors.ts';
export { BASELINE_FILE, BUILTIN_GOVERNANCE_SURFACES, verifyGovernanceBaseline, writeGovernanceBaseline, type BaselineCheck, type BaselineMismatch, type BaselineOptions } from './governance/baseline.ts';
export { isProtectedPath, resolveRepoRoot, validatePathAccess, type AccessOperation, type PathAccessEvidence, type PathAccessOptions, type PathAccessResult, type ResolvedRoot } from './governance/envelope.ts';
export { writeGuarded, type GuardedWriteOptions } from './governance/guarded-write.ts';
export { BUILTIN_PROTECTED_PATHS } from './governance/protected-paths.ts';
export { validateInChain } from './governance/step-guards.ts';

// Agent API layer (spec §5.1).
export { AgentCallFailed, AgentTimeoutError, createAgentClient, DEFAULT_BASE_URL, ModelUnavailable, type AgentClient, type AgentClientOptions, type ChatRequest, type ChatResponse } from './agents/client.ts';
export { AgentConfigError, loadModelMapping, loadRolePrompt, type ModelMapping, type RolePrompt } from './agents/config.ts';
export { FixtureInvalid, ReplayMissError, type Fixture } from './agents/fixtures.ts';
export type { CallLogEntry } from './agents/call-log.ts';
export { AgentResponseInvalid, type LlmCallOutput } from './operations/llm-call.ts';
export { pruneCallLogs, type PruneReport } from './runtime/call-log-retention.ts';
export { REDACTED } from './core/redact.ts';

// The build cycle (spec §5.3, §5.5.1): tools, council rules, packet transforms, init.
export { BUILTIN_TOOLS } from './operations/tool-invoke.ts';
export type { Tool, ToolAction, ToolContext } from './tools/tool.ts';
export { CORE_SEATS, MODE_SEATS, synthesiseDecision, type CouncilDecision, type CouncilMode, type CouncilVerdict, type SeatRecord, type SeatVerdict } from './council/synthesis.ts';
export { initRepository, type InitOptions, type InitReport } from './runtime/init-repository.ts';
