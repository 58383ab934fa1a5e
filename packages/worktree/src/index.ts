// @omk/worktree: public surface (named exports only).
export { type KeepAttemptError, type KeepAttemptOptions, type KeptAttempt, keepAttempt, listAttempts, type TaskLocator } from "./attempts.js";
export {
  type CaptureError,
  type CaptureOptions,
  type CommitIdentity,
  type ContentRefused,
  captureChanges,
  captureMessage,
  changedFiles,
  DEFAULT_MAX_DIFF_BYTES,
  DEFAULT_STALE_LOCK_MS,
  discardCheckout,
} from "./capture.js";
export { type ContentScreen, DEFAULT_SCREEN_OBJECT_BYTES, DEFAULT_SCREEN_TOTAL_BYTES, type ScreenFinding } from "./internal/screen.js";
export { type Cleanup, type CleanupError, type CleanupOptions, cleanup } from "./cleanup.js";
export { type CombineError, combineCommits, resolveCommit } from "./commits.js";
export { type CreateError, type CreateTaskWorktreeOptions, createTaskWorktree, mainCheckoutStatus } from "./create.js";
export {
  type ConcurrentUpdate,
  GitCommandError,
  type InvalidInput,
  type MissingBranch,
  type Problem,
  type ProtectedRef,
  type SyncFailed,
  type UnkeptCommits,
} from "./errors.js";
export { blobAt, changedPaths, type DiffFailed, diffOf, fileAt } from "./diff.js";
export { type WorktreeEvent, WorktreeEventSchema, type WorktreeEventSink } from "./events.js";
export { type IntegrateError, type IntegrateOptions, integrate, mergeMessage } from "./integrate.js";
export type { NotARepository } from "./internal/repo.js";
export {
  attemptRef,
  attemptRefPrefix,
  evidenceCheckoutDir,
  evidenceCheckoutsRoot,
  goalCheckoutsDir,
  integrationBranch,
  legacyTaskWorktreeDir,
  RESERVED_TASK_IDS,
  refIdProblem,
  taskBranch,
  taskWorktreeDir,
} from "./names.js";
export { compareIds, type GraphTask, integrationOrder, type OrderError } from "./order.js";
export { checkWritableRef, DEFAULT_PROTECTED_BRANCHES, protectedBranchReason, type RefPolicy } from "./policy.js";
export { type PushBranchError, type PushBranchOptions, type Pushed, pushBranch } from "./push.js";
export {
  type Capture,
  CaptureSchema,
  type ChangedFile,
  ChangedFileSchema,
  type ChangeStatus,
  ChangeStatusSchema,
  type CopySkip,
  type CopySkipReason,
  CopySkipReasonSchema,
  CopySkipSchema,
  type DirtyFile,
  DirtyFileSchema,
  type FileKind,
  FileKindSchema,
  type Integration,
  type IntegrationConflict,
  IntegrationConflictSchema,
  IntegrationSchema,
  type MergedTask,
  MergedTaskSchema,
  type ScopeViolation,
  type ScopeViolationKind,
  ScopeViolationKindSchema,
  ScopeViolationSchema,
  type TaskWorktree,
  TaskWorktreeSchema,
  type WorktreeMode,
  WorktreeModeSchema,
} from "./schemas.js";
export { DIRTY_FILES_SHOWN, type DirtyTree, uncommittedFiles } from "./status.js";
export {
  type CheckScopeOptions,
  checkScope,
  type ScopeCheck,
  type ScopeDecision,
  scopeChecker,
  type WriteOp,
  type WriteScopedTask,
} from "./scope-check.js";
export {
  createDetachedCheckout,
  type DetachedCheckout,
  type DetachedCheckoutError,
  type DetachedCheckoutOptions,
  OWNER_FILE,
  type PruneOptions,
  type Pruned,
  pruneLeftoverWorktrees,
  removeDetachedCheckout,
  sweepTempCheckouts,
} from "./checkout.js";
export { type CheckoutPlace, type GoalCheckoutSweep, removeCheckout, sweepGoalCheckouts, withCheckout } from "./with-checkout.js";
export { type InitRepoError, initRepoWithCommit, repoHead } from "./repo-head.js";
