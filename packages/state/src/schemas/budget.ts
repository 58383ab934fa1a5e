import { z } from "zod";
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

/** What a goal has used, folded from its events. */
export const BudgetUsageSchema = z.object({
  timeMs: NonNegativeIntSchema.describe("running time, summed over closed running intervals"),
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().finite().describe("USD reported or priced so far"),
  usdUnknownRecords: NonNegativeIntSchema.describe("usage records whose cost was unknown"),
  records: NonNegativeIntSchema,
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
