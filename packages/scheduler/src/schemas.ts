import { BudgetLimitsSchema, TaskGraphSchema, TaskStatusSchema, TokenUsageSchema } from "@omk/state";
import { z } from "zod";

/** How a run of the graph ended (also the `outcome` of the `task_run_finished` event). */
const RUN_OUTCOMES = ["completed", "paused", "cancelled", "needs_more_budget", "failed_infra", "stopped", "interrupted"] as const;
const RunOutcomeSchema = z.enum(RUN_OUTCOMES);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

export const RetryPolicySchema = z.object({
  baseDelayMs: z.number().int().nonnegative().default(1000).describe("backoff before the first retry"),
  factor: z.number().min(1).default(2).describe("each further retry waits this many times longer"),
  maxDelayMs: z.number().int().nonnegative().default(30_000),
  stagnationThreshold: z
    .number()
    .int()
    .min(2)
    .default(2)
    .describe("this many consecutive failures of a task with the same error signature stop its retries (stagnation)"),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * The slice of the goal's budget kept for verification: dispatch never
 * reserves into it. Per dimension, an explicit amount wins over the fraction
 * of the goal's limit.
 */
export const VerificationReserveSchema = z.object({
  fraction: z.number().min(0).max(0.9).default(0.1),
  timeMs: z.number().int().nonnegative().optional(),
  tokens: z.number().int().nonnegative().optional(),
  usd: z.number().nonnegative().finite().optional(),
});
export type VerificationReserve = z.infer<typeof VerificationReserveSchema>;

export const SchedulerOptionsSchema = z.object({
  concurrency: z.number().int().positive().max(256).optional().describe("at most this many tasks at once; default: the goal's maxAgents, else 4"),
  workers: z.array(z.string().min(1)).min(1).optional().describe("worker ids; default worker-1..worker-<concurrency>"),
  leaseMs: z.number().int().positive().default(60_000).describe("a lease not renewed by a heartbeat or usage report for this long expires"),
  pollMs: z.number().int().positive().max(250).default(200).describe("how often the goal is read for pause, cancel and budget changes"),
  abortGraceMs: z.number().int().nonnegative().default(500).describe("how long an aborted task may take to stop before its worker is written off"),
  retry: RetryPolicySchema.prefault({}),
  verificationReserve: VerificationReserveSchema.prefault({}),
  budget: BudgetLimitsSchema.optional().describe("the goal's caps when no goal is read (tests, benchmarks)"),
  onPause: z.enum(["return", "wait"]).default("return").describe("return: end the run as paused; wait: keep watching and continue on resume"),
  actor: z.string().min(1).default("scheduler"),
  signal: z
    .custom<AbortSignal>((value) => value instanceof AbortSignal, { message: "expected an AbortSignal" })
    .optional()
    .describe("stops the run (shutdown); running tasks are interrupted and stay resumable"),
});
export type SchedulerOptions = z.input<typeof SchedulerOptionsSchema>;
export type ResolvedOptions = z.output<typeof SchedulerOptionsSchema>;

/** What a task runner returns. Failures are values; a thrown error counts as a failure too. */
export const TaskResultSchema = z.discriminatedUnion("ok", [
  z.object({
    ok: z.literal(true),
    evidence: z.array(z.string()).default([]).describe("evidence paths, relative to the goal dir"),
    followUps: z.array(z.unknown()).default([]).describe("proposed follow-up tasks; they join the graph only through validation"),
  }),
  z.object({
    ok: z.literal(false),
    message: z.string(),
    signature: z.string().min(1).optional().describe("a stable name of the failure; derived from the message when absent"),
    retryable: z.boolean().default(true),
  }),
]);
export type TaskResult = z.input<typeof TaskResultSchema>;

/** Usage a runner reports during a turn: an increment, not a running total. */
export const UsageReportSchema = z.object({
  tokens: TokenUsageSchema,
  usd: z.number().nonnegative().finite().optional().describe("absent when the cost is unknown"),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

const TaskReportSchema = z.object({
  id: z.string(),
  status: TaskStatusSchema,
  attempts: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  signatures: z.array(z.string()).describe("failure signatures in order"),
  stagnated: z.boolean(),
});

/** What runGraph returns: how the run ended, and every task's state. */
const RunReportSchema = z.object({
  outcome: RunOutcomeSchema,
  reason: z.string(),
  graph: TaskGraphSchema.describe("the graph with follow-ups and final statuses"),
  tasks: z.array(TaskReportSchema),
  deadWorkers: z.array(z.string()),
  spent: z.object({ tokens: z.number().nonnegative(), usd: z.number().nonnegative(), usdUnknown: z.boolean() }).describe("during this run"),
  dispatches: z.number().int().nonnegative(),
});
export type RunReport = z.infer<typeof RunReportSchema>;
