// @omk/controller: public surface (named exports only).
// The goal lifecycle: phases, the --until-ready loop, reviews, proof.
export type { GoalRun } from "./context.js";
export { acceptGoal, type Decision, rejectGoal } from "./decision.js";
export { engineSpecProvider, PRESET_ENGINE_NAMES, presetProvider, scriptBookProvider } from "./engine-provider.js";
export { changedTestFiles, isTestPath, withDetachedCheckout } from "./evidence/checkout.js";
export { gateDescriptors, junitCasesOf, toGateEvidence } from "./evidence/gate-evidence.js";
export { type CollectOracleEvidenceInput, collectOracleEvidence, evaluateRound } from "./evidence/oracle-evidence.js";
export { type RunWallInput, runWall, type WallResult } from "./evidence/wall.js";
export { type CheckoutVerification, type GoalVerification, type VerifyInput, type VerifyProblem, verifyCheckout, verifyGoal } from "./verify-goal.js";
export { type ProofCheck, type VerifyProofInput, verifyProof } from "./proof-verify.js";
export {
  loadScriptBook,
  lookupScenario,
  parseScriptBook,
  purposeLabel,
  type ScriptBook,
  type ScriptBookInput,
  type ScriptBookOptions,
  ScriptBookSchema,
  scriptBookJsonSchemas,
  scriptBookProviderOf,
  SessionKeySchema,
  sessionKeys,
} from "./script-book.js";
export { parseReviewAnswer } from "./review/answer.js";
export { REVIEW_DIFF_MAX_BYTES, type ReviewPromptInput, reviewPrompt } from "./review/prompt.js";
export { type ReviewRecord, recordFile as reviewRecordFile } from "./review/records.js";
export { runReview } from "./review/run-review.js";
export {
  type ReviewAnswer,
  ReviewAnswerSchema,
  type ReviewCriterion,
  type ReviewInput,
  type ReviewOutcome,
  type ReviewRecordRef,
  type ReviewScopeViolation,
} from "./review/types.js";
export { type RefusedWrite, type RunSessionInput, runSession, type SessionOutcome } from "./session.js";
export { deterministicFollowUp, failingText, type FollowUps, planFollowUps } from "./followups.js";
export { buildProof, type ProofInput } from "./evidence/proof-build.js";
export { resumeGoal, runGoal } from "./run-goal.js";
export { dirtyTreeMessage } from "./internal/dirty-tree.js";
export { DIRTY_FILES_SHOWN, type DirtyTree, uncommittedFiles } from "@omk/worktree";
export { createTaskRunner, type TaskRunnerInput, taskPrompt } from "./task-runner.js";
export {
  ControllerProblemSchema,
  PhaseOutcomeSchema,
  ReviewFindingSchema,
  ReviewPassSchema,
  ReviewRecordPassSchema,
  ReviewVerdictSchema,
  SpendReportSchema,
} from "./schemas/common.js";
export { ControllerEventSchema, TaskUpdateStateSchema } from "./schemas/event.js";
export { controllerJsonSchemas } from "./schemas/json-schemas.js";
export { parseReviewRecord, REVIEW_RECORD_VERSION, ReviewRecordSchema } from "./schemas/review-record.js";
export { FailingItemSchema, readRoundVerdictFile, RoundVerdictSchema } from "./schemas/verdict.js";
export type { FailingItem, RoundVerdict } from "./internal/run-verdict.js";
export {
  BLOCKING_SEVERITIES,
  type ControllerEvent,
  type ControllerEventSink,
  type ControllerProblem,
  type EngineProvider,
  type ReviewFinding,
  type ReviewPass,
  type RunConfinement,
  type RunGoalOptions,
  type RunGoalResult,
  type SessionKey,
  type SessionPurpose,
  type PhaseOutcome,
  type SpendReport,
  type UsageQuality,
} from "./types.js";
