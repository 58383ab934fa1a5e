/**
 * The small shapes a review record holds and the controller's records and
 * events share: a review pass or the deterministic checks, a verdict, a finding
 * (the problem, pass and spend shapes are @omk/sessions'). zod
 * is the source; types.ts derives the TypeScript types from these.
 */
import { ReviewPassSchema } from "@omk/sessions";
import { z } from "zod";

/** A review pass or the deterministic checks: what a review record or a review_finished event is about. */
export const ReviewRecordPassSchema = z.enum([...ReviewPassSchema.options, "deterministic"]);

export const ReviewVerdictSchema = z.enum(["passed", "blocked"]);

/** A finding of the review phase. Blocking severities keep the goal not_ready. */
export const ReviewFindingSchema = z.object({
  source: z.enum(["reviewer", "security-reviewer", "break-it", "tamper", "dependency", "secret", "scope"]),
  severity: z.enum(["blocker", "major", "minor", "info"]),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().nonnegative().optional(),
  waivable: z.boolean().describe("deterministic findings (tamper, dependency, secret, scope) cannot be waived by any engine"),
});

/** A review pass (or the deterministic checks) ended: the controller's `review_finished` event. */
export const ReviewFinishedEventSchema = z.object({
  type: z.literal("review_finished"),
  pass: ReviewRecordPassSchema,
  verdict: ReviewVerdictSchema,
  findings: z.number().int().nonnegative(),
  blocking: z.number().int().nonnegative(),
});
