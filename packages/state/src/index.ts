// @omk/state: the public surface. Named exports only; internals stay in src/internal.
export { type FailureAdvice, type NextSteps, nextSteps, readFailureAdvice } from "./advice.js";
export { type BudgetReport, budgetReport, formatDuration, parseDuration, totalTokens } from "./budget.js";
export { GoalNotFoundError, InvalidIdError, LogTamperedError } from "./errors.js";
export { IdSchema, idProblem, parseId } from "./ids.js";
/** @public the README's usage example */
export { newGoalId } from "./ids.js";
export { writeFileAtomicSync } from "./internal/fs.js";
export { publishedJsonSchemas } from "./json-schemas.js";
export { requestCancel, requestPause, requestResume } from "./lifecycle.js";
export { acquireControllerLock, readControllerLock } from "./lock.js";
export { resumeAdvice } from "./outcome.js";
export { goalPaths, resolveStateRoot } from "./paths.js";
export { parseJsonWith, recordProblem } from "./read-back.js";
export { normalizeGoalText, type ReduceError, replayEvents } from "./reduce.js";
export {
  type BudgetDimension,
  type BudgetExtension,
  type BudgetLimits,
  BudgetLimitsSchema,
  type TokenUsage,
  TokenUsageSchema,
  type SessionSpend,
  type UsageQuality,
  UsageQualitySchema,
  weakestQuality,
} from "./schemas/budget.js";
export { CommitShaSchema, SCHEMA_VERSION, Sha256Schema } from "./schemas/common.js";
export {
  type EventData,
  EventSchema,
  type EventType,
  type GoalEvent,
  type NewEvent,
} from "./schemas/event.js";
export { type GateEvidence, GateEvidenceSchema } from "./schemas/evidence.js";
export { type Goal, GoalSchema, type GoalSpec } from "./schemas/goal.js";
export type { LockOwner } from "./schemas/lock.js";
export { type VerificationRecord, VerificationRecordSchema } from "./schemas/verification.js";
export {
  type Criterion,
  CriterionSchema,
  type FrozenOracle,
  FrozenOracleSchema,
  type GateDescriptor,
  GateDescriptorSchema,
  GOAL_CLASSES,
  type GoalClass,
  GoalClassSchema,
  INTAKE_TEXT_MAX,
  type IntakeDecision,
  IntakeDecisionSchema,
  type Oracle,
  OracleSchema,
  ReviewCriterionSchema,
} from "./schemas/oracle.js";
export {
  type Failure,
  type FailureCause,
  type FailureCode,
  FailureCodeSchema,
  FailureSchema,
  type Proof,
  ProofSchema,
} from "./schemas/outcome.js";
export {
  type GoalStatus,
  GoalStatusSchema,
  isTerminalStatus,
  type Phase,
  PhaseSchema,
  type TerminalStatus,
} from "./schemas/status.js";
export {
  type Lease,
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
  type ScopeConflict,
  scopesOverlap,
} from "./scope.js";
export { GoalStore, openStore } from "./store.js";
export type { QuarantineReport, ReplayReport, StoreError } from "./store-types.js";
export { checkStatusTransition } from "./transitions.js";
