/**
 * The small shapes a review record holds and the controller's records and
 * events share: a problem, a review pass, a finding, a session's spend. zod
 * is the source; types.ts derives the TypeScript types from these.
 */
import { TokenUsageSchema, UsageQualitySchema } from "@omk/state";
import { z } from "zod";

/** A problem the user can act on: what went wrong, and what to do. */
export const ProblemSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  fix: z.string(),
  details: z.record(z.string(), z.unknown()).optional().describe("where the problem is, when it has a place (a config file's path, line and column)"),
});

/** The review passes (reviewer and security are always run; break-it when the engine offers it). */
export const ReviewPassSchema = z.enum(["reviewer", "security-reviewer", "break-it"]);

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

/**
 * Usage of one session or task, normalized. `usd` null: unknown cost (never taken as zero).
 * `quality`: how far the tokens can be trusted (wire's TurnResult.usageQuality); set on a whole session's figures, absent on increments.
 */
export const SpendReportSchema = z.object({
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().nullable(),
  quality: UsageQualitySchema.optional(),
});
