// @omk/review: public surface (named exports only).
// The review passes: the prompt, the answer, the deterministic checks no engine can waive, the engine passes' sessions, the review records.
export { isBlocking, parseReviewAnswer } from "./answer.js";
export { readKeptReviews, recordFile, reviewResultsOf, writeRecord } from "./records.js";
export { parseReviewRecord, REVIEW_RECORD_VERSION, ReviewRecordSchema } from "./review-record.js";
export { REVIEW_ANSWER_ATTEMPTS, runReview } from "./run-review.js";
export { ReviewFindingSchema, ReviewFinishedEventSchema } from "./schemas.js";
export type { ReviewRecord } from "./types.js";
