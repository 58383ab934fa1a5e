// @omk/scheduler: public surface (named exports only).
export { type Breach, BudgetLedger, type BudgetBase, budgetBaseFromGoal, type Spend } from "./budget.js";
export { type AbortKind, SchedulerAbortError } from "./errors.js";
export { chainRanks, dependentsOf, dispatchOrder, graphProblems, topologicalOrder } from "./graph.js";
export {
  type BudgetRoom,
  type DispatchInput,
  type DispatchPlan,
  decideFailure,
  errorSignature,
  type FailureDecision,
  type Fit,
  fitsRoom,
  LEASE_EXPIRED_SIGNATURE,
  LOST_SIGNATURE,
  selectDispatch,
  type TaskState,
  tasksConflict,
  tasksToBlock,
} from "./policy.js";
export { type Clock, type FollowUpValidator, type SchedulerEvent, type SchedulerPorts, systemClock, type TaskContext, type TaskRunner } from "./ports.js";
export { type RecoveredRun, type RecoveryError, recoverRun, type TaskHistory } from "./recovery.js";
export { resumeGraph, type RunGraphError, runGraph } from "./run-graph.js";
export {
  RetryPolicySchema,
  type RetryPolicy,
  RUN_OUTCOMES,
  type RunOutcome,
  RunOutcomeSchema,
  type RunReport,
  RunReportSchema,
  type SchedulerOptions,
  SchedulerOptionsSchema,
  type TaskReport,
  TaskReportSchema,
  type TaskResult,
  TaskResultSchema,
  type UsageReport,
  UsageReportSchema,
  type VerificationReserve,
  VerificationReserveSchema,
} from "./schemas.js";
