/**
 * The review passes' contract: the review record's shapes, the scope
 * violations the checks read, and the JSON answer every engine review pass
 * must give. zod is the source (schemas.ts, review-record.ts).
 */
import type { ReviewPass } from "@omk/sessions";
import type { ReviewCriterionSchema } from "@omk/state";
import { z } from "zod";
import type { ReviewRecordSchema } from "./review-record.js";
import type { ReviewFindingSchema } from "./schemas.js";

/** A finding of the review phase. Blocking severities keep the goal not_ready. */
export type ReviewFinding = z.infer<typeof ReviewFindingSchema>;

/** Severities that block (keep the goal not_ready). */
export const BLOCKING_SEVERITIES = ["blocker", "major"] as const;

/** A review criterion of the frozen oracle (kind "review"): which reviewer, which checklist. */
export type ReviewCriterion = z.infer<typeof ReviewCriterionSchema>;

/** A scope violation found while the tasks ran (refused at write time or found in the post-run diff). */
/** `atWrite`: refused when the engine asked to write (nothing was written); false or absent: a write that happened, found in the captured diff. */
export type ReviewScopeViolation = {
  readonly taskId: string;
  readonly path: string;
  readonly kind: string;
  readonly atWrite?: boolean;
  readonly message?: string;
};

/** A record written by an earlier run of the review, read back and checked (readKeptReviews). */
export type KeptReviewRecord = { readonly record: ReviewRecord; readonly ref: ReviewRecordRef };

export type ReviewRecordRef = {
  readonly pass: ReviewPass | "deterministic";
  readonly verdict: "passed" | "blocked";
  /** Relative to the goal dir: `reviews/r<round>-<pass>.json`. */
  readonly file: string;
  readonly sha256: string;
};

const REVIEW_SEVERITIES = ["blocker", "major", "minor", "info"] as const;

const ReviewAnswerFindingSchema = z.object({
  severity: z.enum(REVIEW_SEVERITIES),
  message: z.string().trim().min(1),
  file: z.string().min(1).nullish(),
  line: z.number().int().nonnegative().nullish(),
});

/** The answer of an engine review pass: `{"verdict":"passed"|"blocked","findings":[...]}` (break-it may add `followUps`). */
export const ReviewAnswerSchema = z.object({
  verdict: z.enum(["passed", "blocked"]),
  findings: z.array(ReviewAnswerFindingSchema),
  followUps: z.array(z.unknown()).optional().describe("break-it only: proposals of failing-test tasks (planner ProposalSchema shape)"),
});
export type ReviewAnswer = z.infer<typeof ReviewAnswerSchema>;

/** A review record file (reviews/r<round>-<pass>.json): review-record.ts. */
export type ReviewRecord = z.infer<typeof ReviewRecordSchema>;
