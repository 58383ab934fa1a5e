import { z } from "zod";
import { ComparisonSchema, GateResultSchema } from "./result.js";
import { SetupOutcomeSchema } from "./setup.js";

/**
 * What the runner reports while it works, through the `onEvent` callback.
 * The package never prints; a CLI renders these (or ignores them).
 * `tree` names the checkout: "head" (the tree asked for) or "base" (the
 * baseline worktree during a comparison).
 */
const tree = z.enum(["head", "base"]);

export const GatesEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("run_started"),
    tree,
    runId: z.string(),
    root: z.string(),
    commit: z.string().nullable(),
    dirty: z.boolean().nullable(),
    gates: z.array(z.string()),
  }),
  z.object({ type: z.literal("gate_started"), tree, name: z.string(), attempt: z.number().int(), of: z.number().int(), command: z.array(z.string()) }),
  z.object({ type: z.literal("gate_finished"), tree, result: GateResultSchema }),
  z.object({ type: z.literal("run_finished"), tree, verdict: z.enum(["passed", "failed"]), durationMs: z.number() }),
  z.object({ type: z.literal("baseline_started"), ref: z.string(), commit: z.string(), dir: z.string() }),
  z.object({ type: z.literal("comparison_finished"), comparison: ComparisonSchema }),
  z.object({ type: z.literal("setup_finished"), tree, setup: SetupOutcomeSchema }),
]);
export type GatesEvent = z.infer<typeof GatesEventSchema>;
export type OnGatesEvent = (event: GatesEvent) => void;
