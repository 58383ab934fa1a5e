import { z } from "zod";
import { IdSchema } from "../ids.js";
import { BudgetExtensionSchema, TokenUsageSchema } from "./budget.js";
import { SCHEMA_VERSION, Sha256Schema, TimestampSchema } from "./common.js";
import { GoalSpecSchema } from "./goal.js";
import { LockOwnerSchema } from "./lock.js";
import { FailureCauseSchema } from "./outcome.js";
import { GoalStatusSchema, PhaseSchema } from "./status.js";
import { TaskGraphSchema } from "./task.js";

/** Event payloads by type. The log is the source of truth; goal.json is folded from it. */
export const EventPayloadSchemas = {
  goal_created: z.object({ goal: GoalSpecSchema }),
  status_changed: z.object({
    from: GoalStatusSchema,
    to: GoalStatusSchema,
    reason: z.string().optional(),
    cause: FailureCauseSchema.optional(),
    /** A `ready` goal is re-run only on purpose (architecture: lifecycle). */
    newRun: z.boolean().optional(),
  }),
  phase_changed: z.object({ from: PhaseSchema.nullable(), to: PhaseSchema }),
  usage_recorded: z.object({
    source: z.string().min(1),
    taskId: IdSchema.optional(),
    tokens: TokenUsageSchema,
    usd: z.number().nonnegative().finite().optional().describe("absent when the cost is unknown"),
  }),
  budget_extended: z.object({ add: BudgetExtensionSchema }),
  goal_amended: z
    .object({ text: z.string().min(1).optional(), answer: z.string().min(1).optional() })
    .refine((v) => v.text !== undefined || v.answer !== undefined, { message: "an amendment needs text or answer" }),
  task_graph_set: z.object({ graph: TaskGraphSchema }),
  outcome_recorded: z.object({ file: z.enum(["proof.json", "failure.json"]), sha256: Sha256Schema }),
  lock_acquired: z.object({ owner: LockOwnerSchema }),
  lock_taken_over: z.object({ previous: LockOwnerSchema, owner: LockOwnerSchema, reason: z.enum(["pid_dead", "heartbeat_stale"]) }),
  lock_released: z.object({ owner: LockOwnerSchema }),
  log_repaired: z.object({
    droppedBytes: z.number().int().positive(),
    sha256: Sha256Schema,
    savedTo: z.string().describe("file beside the log that keeps the dropped bytes"),
  }),
} as const;

export type EventType = keyof typeof EventPayloadSchemas;
export const EVENT_TYPES = Object.keys(EventPayloadSchemas) as EventType[];

const envelope = {
  v: z.literal(SCHEMA_VERSION),
  seq: z.number().int().positive(),
  ts: TimestampSchema,
  actor: z.string().min(1).describe("who caused it: user, controller, system, or a worker id"),
};

function variant<T extends EventType>(type: T) {
  return z.object({ ...envelope, type: z.literal(type), data: EventPayloadSchemas[type] });
}

export const EventSchema = z.discriminatedUnion("type", [
  variant("goal_created"),
  variant("status_changed"),
  variant("phase_changed"),
  variant("usage_recorded"),
  variant("budget_extended"),
  variant("goal_amended"),
  variant("task_graph_set"),
  variant("outcome_recorded"),
  variant("lock_acquired"),
  variant("lock_taken_over"),
  variant("lock_released"),
  variant("log_repaired"),
]);
export type GoalEvent = z.infer<typeof EventSchema>;
export type EventOf<T extends EventType> = Extract<GoalEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>["data"];

/** An event before the store numbers and stamps it. */
export type NewEvent = { [T in EventType]: { type: T; actor: string; data: EventData<T> } }[EventType];
