// @omk/state: the public surface. Named exports only; internals stay in src/internal.
export { type FailureAdvice, failureAdvice, type NextCommand, type NextSteps, type NextStepsInput, nextSteps, readFailureAdvice } from "./advice.js";
export { type BudgetReport, budgetReport, formatDuration, parseDuration, totalTokens } from "./budget.js";
export { CorruptStateError, GoalNotFoundError, InvalidIdError, LogKeyMissingError, LogTamperedError, OmkError, StateBusyError, UnsupportedSchemaVersionError } from "./errors.js";
export { IdSchema, idProblem, newGoalId, parseId } from "./ids.js";
export { writeFileAtomic, writeFileAtomicSync } from "./internal/fs.js";
export { jsonSchemas, publishedJsonSchemas } from "./json-schemas.js";
export { type BudgetExhausted, requestCancel, requestPause, requestResume } from "./lifecycle.js";
export { acquireControllerLock, type ControllerLock, type LockHeld, type LockOptions, readControllerLock } from "./lock.js";
export { buildFailure, CANCELLED_BY_USER, resumeAdvice } from "./outcome.js";
export { type GoalPaths, goalPaths, resolveStateRoot, type StateRootSource } from "./paths.js";
export { normalizeGoalText, type ReduceError, reduce, replayEvents } from "./reduce.js";
/** Thin aliases of @omk/core (many callers import them from here); new code imports @omk/core. */
export { err, ok, type Result } from "@omk/core";
export {
  type BudgetDimension,
  BudgetDimensionSchema,
  type BudgetExtension,
  BudgetExtensionSchema,
  type BudgetLimits,
  BudgetLimitsSchema,
  type BudgetUsage,
  BudgetUsageSchema,
  type TokenUsage,
  TokenUsageSchema,
  type SessionSpend,
  SessionSpendSchema,
  type UsageQuality,
  UsageQualitySchema,
  weakestQuality,
} from "./schemas/budget.js";
export { CommitShaSchema, type ConfinementMode, ConfinementModeSchema, SCHEMA_VERSION, Sha256Schema, TimestampSchema } from "./schemas/common.js";
export {
  EVENT_TYPES,
  type EventData,
  type EventOf,
  EventPayloadSchemas,
  EventSchema,
  type EventType,
  type GoalEvent,
  type NewEvent,
  RUN_OPTION_NAMES,
} from "./schemas/event.js";
export { type GateEvidence, GateEvidenceSchema, LogDigestSchema } from "./schemas/evidence.js";
export { type Goal, GoalSchema, type GoalSpec, GoalSpecSchema } from "./schemas/goal.js";
export { type LockOwner, LockOwnerSchema } from "./schemas/lock.js";
export { type VerificationRecord, VerificationRecordSchema } from "./schemas/verification.js";
export {
  BenchmarkCriterionSchema,
  CommandCriterionSchema,
  CRITERION_KINDS,
  type Criterion,
  type CriterionKind,
  CriterionKindSchema,
  CriterionSchema,
  type FrozenOracle,
  FrozenOracleSchema,
  type GateDescriptor,
  GateDescriptorSchema,
  GateCriterionSchema,
  GOAL_CLASSES,
  type GoalClass,
  GoalClassSchema,
  INTAKE_TEXT_MAX,
  type IntakeDecision,
  IntakeDecisionSchema,
  GoldenCriterionSchema,
  type Oracle,
  OracleSchema,
  ReviewCriterionSchema,
  TestCaseCriterionSchema,
} from "./schemas/oracle.js";
export {
  CriterionVerdictSchema,
  FAILURE_CODES,
  type Failure,
  type FailureCause,
  FailureCauseSchema,
  type FailureCode,
  FailureCodeSchema,
  FailureSchema,
  type Proof,
  ProofSchema,
  TaskProofSchema,
} from "./schemas/outcome.js";
export {
  ACTIVE_STATUSES,
  GOAL_STATUSES,
  type GoalStatus,
  GoalStatusSchema,
  isTerminalStatus,
  PHASES,
  type Phase,
  PhaseSchema,
  TERMINAL_STATUSES,
  type TerminalStatus,
} from "./schemas/status.js";
export {
  type Lease,
  LeaseSchema,
  TASK_STATUSES,
  type Task,
  type TaskBudget,
  TaskBudgetSchema,
  type TaskGraph,
  TaskGraphSchema,
  type TaskRole,
  TaskRoleSchema,
  TaskSchema,
  type TaskStatus,
  TaskStatusSchema,
} from "./schemas/task.js";
export {
  findConflicts,
  normalizeScopePath,
  pathInScope,
  SCOPE_PATH_MAX_LENGTH,
  type ScopeConflict,
  type ScopeConflictKind,
  ScopeConflictKindSchema,
  ScopeConflictSchema,
  type ScopedTask,
  type ScopeKind,
  type ScopePathErrorCode,
  ScopePathErrorCodeSchema,
  type ScopePathResult,
  ScopePathSchema,
  scopesOverlap,
} from "./scope.js";
export { type CreateGoalInput, diffGoals, GoalStore, type InputError, openStore, type QuarantineReport, type ReplayReport, type StoreError, type StoreOptions, type TransitionOptions } from "./store.js";
export {
  allPhasePairs,
  allStatusPairs,
  checkPhaseTransition,
  checkStatusTransition,
  PHASE_TRANSITIONS,
  STATUS_TRANSITIONS,
  type TransitionError,
  type TransitionGuard,
} from "./transitions.js";
