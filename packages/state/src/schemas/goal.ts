import { z } from "zod";
import { IdSchema } from "../ids.js";
import { BudgetLimitsSchema, BudgetUsageSchema } from "./budget.js";
import { CommitShaSchema, ConfinementModeSchema, NonNegativeIntSchema, SCHEMA_VERSION, Sha256Schema, TimestampSchema } from "./common.js";
import { GoalClassSchema, IntakeDecisionSchema } from "./oracle.js";
import { FailureCauseSchema } from "./outcome.js";
import { GoalStatusSchema, PhaseSchema } from "./status.js";
import { TaskGraphSchema } from "./task.js";

/** What `createGoal` takes: the user's intent and caps, before any event exists. */
export const GoalSpecSchema = z.object({
  id: IdSchema,
  text: z.string().min(1),
  normalizedText: z.string().min(1),
  repoRoot: z.string().min(1),
  baseCommit: CommitShaSchema.nullable(),
  constraints: z.array(z.string().min(1)),
  terminalCriteria: z.array(z.string().min(1)),
  limits: BudgetLimitsSchema,
  maxAgents: z.number().int().positive().max(64),
});
export type GoalSpec = z.infer<typeof GoalSpecSchema>;

/** goal.json: the snapshot reduced from events.jsonl (rebuildable from it). */
export const GoalSchema = GoalSpecSchema.omit({ limits: true, maxAgents: true }).extend({
  schemaVersion: z.literal(SCHEMA_VERSION),
  status: GoalStatusSchema,
  phase: PhaseSchema.nullable(),
  statusReason: z.string().nullable(),
  statusCause: FailureCauseSchema.nullable().describe("typed cause of the current terminal status"),
  budget: z.object({
    limits: BudgetLimitsSchema,
    maxAgents: z.number().int().positive(),
    extensions: NonNegativeIntSchema,
  }),
  usage: BudgetUsageSchema,
  runningSince: TimestampSchema.nullable().describe("start of the open running interval, if running"),
  flags: z.object({
    budgetExtendedSinceExhausted: z.boolean(),
    amendedSinceBlocked: z.boolean(),
  }),
  amendments: z.array(z.object({ seq: z.number().int(), text: z.string().optional(), answer: z.string().optional() })),
  taskGraph: TaskGraphSchema.nullable(),
  intake: IntakeDecisionSchema.extend({ seq: z.number().int() })
    .optional()
    .describe("the intake's last engine-assisted decision (intake_decided); absent when the deterministic classifier was sure"),
  plan: z
    .object({ goalClass: GoalClassSchema, classes: z.array(GoalClassSchema), strategy: z.enum(["deterministic", "engine"]), seq: z.number().int() })
    .optional()
    .describe("the last recorded plan (plan_recorded); absent until one is recorded"),
  oracle: z
    .object({ revision: z.number().int().positive(), hash: Sha256Schema, seq: z.number().int() })
    .optional()
    .describe("the frozen oracle in force (absent until frozen): evidence bound to another hash is refused"),
  outcome: z.object({ file: z.enum(["proof.json", "failure.json"]), seq: z.number().int(), status: GoalStatusSchema }).nullable(),
  round: z.number().int().positive().optional().describe("the controller's current round (round_started); absent: round 1"),
  confinement: ConfinementModeSchema.optional().describe("the least confined of the goal's recorded runs (run_options_recorded): unconfined once any run was"),
  headCommit: CommitShaSchema.optional().describe("the integrated head of the last integration (integration_recorded)"),
  decision: z
    .object({ decision: z.enum(["accepted", "rejected"]), reason: z.string().optional(), headCommit: CommitShaSchema, seq: z.number().int() })
    .optional()
    .describe("the integrator's decision (decision_recorded)"),
  lockTakeovers: NonNegativeIntSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  lastSeq: z.number().int().positive(),
  logBytes: NonNegativeIntSchema.describe("bytes of events.jsonl folded into this snapshot"),
  chainHead: Sha256Schema.optional().describe("sha256 of the last line of events.jsonl folded into this snapshot (the chain head; the next line's prev)"),
});
export type Goal = z.infer<typeof GoalSchema>;
