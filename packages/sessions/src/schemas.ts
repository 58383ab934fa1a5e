/**
 * The shapes engine sessions report and records of them hold: a problem, the
 * review passes a session may be for, a session's spend, and the events a
 * task attempt emits. zod is the source; types.ts derives the TypeScript
 * types from these.
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

/**
 * Usage of one session or task, normalized. `usd` null: unknown cost (never taken as zero).
 * `quality`: how far the tokens can be trusted (wire's TurnResult.usageQuality); set on a whole session's figures, absent on increments.
 */
export const SpendReportSchema = z.object({
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().nullable(),
  quality: UsageQualitySchema.optional(),
});

const round = z.number().int().nonnegative();

const TaskUpdateStateSchema = z.enum(["queued", "running", "succeeded", "failed", "retrying", "blocked", "cancelled", "interrupted"]);

/** A task's progress (the scheduler's and each attempt's): the controller's `task_update` event. */
export const TaskUpdateEventSchema = z.object({
  type: z.literal("task_update"),
  taskId: z.string().min(1),
  title: z.string(),
  role: z.string(),
  round,
  attempt: z.number().int().nonnegative(),
  state: TaskUpdateStateSchema,
  engine: z.string().optional(),
  tokens: z.number().nonnegative().optional(),
  usd: z.number().nonnegative().nullable().optional(),
  usageQuality: UsageQualitySchema.optional().describe(
    "how far `tokens` and `usd` can be trusted once the session ended (absent while it runs): a 0 that is not exact is not a known 0",
  ),
  message: z.string().optional(),
});

/** A write outside the task's write set, refused as the engine asked for it: the controller's `scope_refused` event. */
export const ScopeRefusedEventSchema = z.object({
  type: z.literal("scope_refused"),
  taskId: z.string().min(1),
  attempt: z.number().int().nonnegative(),
  path: z.string(),
  reason: z.string(),
});
