import { z } from "zod";
import { IdSchema } from "../ids.js";
import { NonNegativeIntSchema } from "./common.js";

/** Tokens as engines report them, normalized (architecture: engines). */
export const TokenUsageSchema = z.object({
  input: NonNegativeIntSchema.describe("uncached input tokens"),
  cacheRead: NonNegativeIntSchema,
  cacheWrite: NonNegativeIntSchema,
  output: NonNegativeIntSchema,
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** Caps of a goal; null means no cap on that dimension (only by explicit choice). */
export const BudgetLimitsSchema = z.object({
  timeMs: z.number().int().positive().nullable().describe("wall-clock time the goal may spend running"),
  tokens: z.number().int().positive().nullable().describe("all tokens: input, cache read/write and output"),
  usd: z.number().positive().finite().nullable(),
});
export type BudgetLimits = z.infer<typeof BudgetLimitsSchema>;

/** How far reported usage can be trusted: exact; partial (a lower bound: some usage went unreported); unknown (nothing was reported: zeros are not known zeros). */
export const UsageQualitySchema = z.enum(["exact", "partial", "unknown"]);
export type UsageQuality = z.infer<typeof UsageQualitySchema>;

const QUALITY_ORDER: readonly UsageQuality[] = ["exact", "partial", "unknown"];
/** The weaker of two qualities (exact < partial < unknown); undefined counts as nothing known yet. */
export function weakestQuality(a: UsageQuality | undefined, b: UsageQuality | undefined): UsageQuality | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return QUALITY_ORDER.indexOf(a) >= QUALITY_ORDER.indexOf(b) ? a : b;
}

/** What a goal has used, folded from its events. */
export const BudgetUsageSchema = z.object({
  timeMs: NonNegativeIntSchema.describe("running time, summed over closed running intervals"),
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().finite().describe("USD reported or priced so far"),
  usdUnknownRecords: NonNegativeIntSchema.describe("usage records whose cost was unknown"),
  records: NonNegativeIntSchema,
  quality: UsageQualitySchema.optional().describe(
    "the weakest usage quality of the engine sessions recorded (session_spend_recorded); absent when no session was recorded",
  ),
});
export type BudgetUsage = z.infer<typeof BudgetUsageSchema>;

export const BudgetDimensionSchema = z.enum(["time", "tokens", "usd"]);
export type BudgetDimension = z.infer<typeof BudgetDimensionSchema>;

/** An increase of the caps, as `omk goal budget-add` records it. */
export const BudgetExtensionSchema = z
  .object({
    timeMs: z.number().int().positive().optional(),
    tokens: z.number().int().positive().optional(),
    usd: z.number().positive().finite().optional(),
  })
  .refine((v) => v.timeMs !== undefined || v.tokens !== undefined || v.usd !== undefined, {
    message: "a budget extension needs at least one of timeMs, tokens, usd",
  });
export type BudgetExtension = z.infer<typeof BudgetExtensionSchema>;

/** One engine session's spend, as the engine reported it, with how far it can be trusted. */
export const SessionSpendSchema = z.object({
  session: z.string().min(1).describe("which session: plan#<attempt>, followups#r<round>, task:<id>#<attempt>, review:<pass>#r<round>[.<ask>]"),
  taskId: IdSchema.optional(),
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().finite().optional().describe("absent when the cost is unknown"),
  quality: UsageQualitySchema.describe("exact; partial (a lower bound); unknown (nothing was reported: the zeros are not known zeros)"),
  estimate: z
    .object({ tokens: NonNegativeIntSchema, usd: z.number().nonnegative().finite() })
    .optional()
    .describe(
      "charged against the budget in place of usage that was not reported (its usage_recorded is the charge): the session's cap, an upper-bound estimate, not a measurement",
    ),
});
export type SessionSpend = z.infer<typeof SessionSpendSchema>;
