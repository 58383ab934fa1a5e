import { z } from "zod";

const Tokens = z.number().int().nonnegative();

/**
 * Token usage normalized across engines. `inputUncached` excludes cache reads
 * and writes; `reportedUsd` is present only when the engine itself reported a
 * cost in USD.
 */
export const UsageSchema = z.object({
  inputUncached: Tokens,
  cacheRead: Tokens,
  cacheWrite: Tokens,
  output: Tokens,
  reportedUsd: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** What a turn used: tokens when the engine reported any, else "unknown" (never zero). */
export const TurnUsageSchema = z.union([UsageSchema, z.literal("unknown")]);

/**
 * How far a turn's token figures can be trusted: `exact` when every model
 * call of the turn was reported, `partial` when some were (a call's report
 * was missing or arrived too late), `unknown` when none was. Zero tokens are
 * never shown as known when nothing was reported.
 */
export const UsageQualitySchema = z.enum(["exact", "partial", "unknown"]);
export type UsageQuality = z.infer<typeof UsageQualitySchema>;
export type TurnUsage = z.infer<typeof TurnUsageSchema>;

/** Where a usage figure came from. */
export const UsageSourceSchema = z.enum(["acp_prompt_response", "acp_meta", "acp_usage_update", "kimi_session_log", "wire_status_update"]);
export type UsageSource = z.infer<typeof UsageSourceSchema>;

/** A turn's cost in USD: reported by the engine, computed from the price table, or unknown. */
export const CostSchema = z.union([z.object({ usd: z.number().nonnegative(), source: z.enum(["reported", "price_table"]) }), z.literal("unknown")]);
export type Cost = z.infer<typeof CostSchema>;

/** USD per million tokens of each kind, for one model. */
export const ModelPriceSchema = z.object({
  inputUncached: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative(),
  output: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/**
 * Price table (a config file): per engine, per model, USD per million tokens.
 * A model key `*` is the engine's fallback; an engine key `*` applies to every engine.
 */
export const PriceTableSchema = z.object({
  version: z.literal(1).default(1),
  prices: z.record(z.string(), z.record(z.string(), ModelPriceSchema)),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;
