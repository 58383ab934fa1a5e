// Typed progress events, sent to an optional sink the caller injects (packages never print).
import { z } from "zod";
import { WorktreeModeSchema } from "./schemas.js";

export const WorktreeEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("worktree_created"),
    goalId: z.string(),
    taskId: z.string(),
    path: z.string(),
    mode: WorktreeModeSchema,
    fallbackReason: z.string().nullable(),
    reused: z.boolean(),
  }),
  z.object({ type: z.literal("main_checkout_dirty"), repo: z.string(), files: z.array(z.string()) }),
  z.object({
    type: z.literal("changes_captured"),
    goalId: z.string(),
    taskId: z.string(),
    commit: z.string().nullable(),
    head: z.string(),
    files: z.number().int(),
  }),
  z.object({ type: z.literal("attempt_kept"), goalId: z.string(), taskId: z.string(), ref: z.string(), commit: z.string(), created: z.boolean() }),
  z.object({ type: z.literal("task_merged"), goalId: z.string(), taskId: z.string(), commit: z.string(), mergeCommit: z.string() }),
  z.object({ type: z.literal("integration_conflict"), goalId: z.string(), taskId: z.string(), files: z.array(z.string()) }),
  z.object({ type: z.literal("worktree_removed"), goalId: z.string(), taskId: z.string(), path: z.string(), branchDeleted: z.boolean() }),
  z.object({ type: z.literal("branch_pushed"), remote: z.string(), branch: z.string(), commit: z.string() }),
]);
export type WorktreeEvent = z.infer<typeof WorktreeEventSchema>;

/** Receives events; must not throw (a throwing sink is ignored). */
export type WorktreeEventSink = (event: WorktreeEvent) => void;

export function emit(sink: WorktreeEventSink | undefined, event: WorktreeEvent): void {
  if (sink === undefined) return;
  try {
    sink(event);
  } catch {
    // A broken renderer must not break git bookkeeping.
  }
}
