/**
 * The controller's events: progress of a run, for the CLI's live view and
 * `--json` (one event per line; docs/schemas/controller-event.schema.json).
 * Packages never print; the CLI renders these. Every event appended to the
 * goal's log is also passed on as `goal_event`.
 */
import { EventSchema, GateEvidenceSchema, GoalStatusSchema, PhaseSchema } from "@omk/state";
import { z } from "zod";
import { ReviewFinishedEventSchema } from "@omk/review";
import { ScopeRefusedEventSchema, TaskUpdateEventSchema } from "@omk/sessions";
import { PhaseOutcomeSchema } from "./common.js";

const round = z.number().int().nonnegative();

/** `goal_event`'s event: a line of the goal's log. Published as a reference to event.schema.json (json-schemas.ts), not a copy of it. */
export const LoggedEventSchema = EventSchema.describe("the event as appended to the goal's log (docs/schemas/event.schema.json)");

export const ControllerEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("run_started"), goalId: z.string().min(1), engine: z.string(), resumed: z.boolean(), round }),
  z.object({ type: z.literal("phase_started"), phase: PhaseSchema, round, detail: z.string().optional() }),
  z.object({ type: z.literal("phase_finished"), phase: PhaseSchema, round, outcome: PhaseOutcomeSchema, detail: z.string().optional() }),
  z.object({ type: z.literal("round_started"), round, reason: z.string(), followUps: z.array(z.string()).describe("ids of the follow-up tasks of the round") }),
  TaskUpdateEventSchema,
  z.object({ type: z.literal("gate_finished"), where: z.enum(["baseline", "head", "proof"]), gate: GateEvidenceSchema }),
  ScopeRefusedEventSchema,
  ReviewFinishedEventSchema,
  z.object({ type: z.literal("note"), level: z.enum(["info", "warn"]), message: z.string() }),
  z
    .object({
      type: z.literal("tree_dirty"),
      files: z.array(z.string()).readonly(),
      more: z.number().int().nonnegative(),
      baseCommit: z.string(),
      message: z.string(),
    })
    .describe("the working tree had uncommitted files when the run started: they are left out (the run works from commits); not an error"),
  z.object({ type: z.literal("goal_event"), event: LoggedEventSchema }),
  z.object({
    type: z.literal("run_finished"),
    goalId: z.string().min(1),
    status: GoalStatusSchema,
    outcomeFile: z
      .string()
      .nullable()
      .describe("absolute path of proof.json or failure.json; null when the run stopped without a terminal status (paused, interrupted)"),
    reason: z.string(),
  }),
]);
