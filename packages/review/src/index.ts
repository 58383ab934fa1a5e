// @omk/review: public surface (named exports only).
// The review passes: the prompt, the answer, the deterministic checks no engine can waive, the review records.
export { answerFindings, isBlocking, parseReviewAnswer } from "./answer.js";
export {
  dependencyFindings,
  rationaleTexts,
  readDependencyChanges,
  readTamperSources,
  scopeFindings,
  secretFindings,
  tamperFindings,
} from "./deterministic.js";
export { type ReviewPromptInput, reviewPrompt } from "./prompt.js";
export { readKeptReviews, recordFile, reviewResultsOf, writeRecord } from "./records.js";
export { parseReviewRecord, REVIEW_RECORD_VERSION, ReviewRecordSchema } from "./review-record.js";
export { ProblemSchema, ReviewFindingSchema, ReviewPassSchema, ReviewRecordPassSchema, ReviewVerdictSchema, SpendReportSchema } from "./schemas.js";
export {
  BLOCKING_SEVERITIES,
  type KeptReviewRecord,
  type ReviewCriterion,
  type ReviewRecord,
  type ReviewRecordRef,
  type ReviewScopeViolation,
} from "./types.js";
