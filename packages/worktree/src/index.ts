// @omk/worktree: public surface (named exports only).
export { keepAttempt, listAttempts } from "./attempts.js";
export {
  captureChanges,
  DEFAULT_MAX_DIFF_BYTES,
  discardCheckout,
} from "./capture.js";
export type { ContentScreen, ScreenFinding } from "./internal/screen.js";
export { cleanup } from "./cleanup.js";
export { combineCommits, resolveCommit } from "./commits.js";
export { createTaskWorktree, mainCheckoutStatus } from "./create.js";
export { blobAt, changedPaths, diffOf, fileAt } from "./diff.js";
export { type WorktreeEvent, WorktreeEventSchema } from "./events.js";
export { integrate } from "./integrate.js";
export {
  attemptRef,
  attemptRefPrefix,
  evidenceCheckoutDir,
  goalCheckoutsDir,
  integrationBranch,
  taskBranch,
  taskWorktreeDir,
} from "./names.js";
export { type GraphTask, integrationOrder } from "./order.js";
export { pushBranch } from "./push.js";
export {
  CaptureSchema,
  type ChangedFile,
  IntegrationConflictSchema,
  IntegrationSchema,
  type ScopeViolation,
  ScopeViolationSchema,
  type TaskWorktree,
  TaskWorktreeSchema,
} from "./schemas.js";
export { type DirtyTree, uncommittedFiles } from "./status.js";
export {
  checkScope,
  scopeChecker,
} from "./scope-check.js";
export {
  createDetachedCheckout,
  pruneLeftoverWorktrees,
  removeDetachedCheckout,
  sweepTempCheckouts,
} from "./checkout.js";
export { sweepGoalCheckouts, withCheckout } from "./with-checkout.js";
export { initRepoWithCommit, repoHead } from "./repo-head.js";
/** @public the README's usage example */
export { protectedBranchReason } from "./policy.js";
