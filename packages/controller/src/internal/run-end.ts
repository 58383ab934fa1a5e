/**
 * Terminal statuses: failure.json and proof.json are written by the store's
 * outcome machinery (`transition` with a cause or a proof); here every ending
 * is recorded and reported (run_finished). The proof's body is assembled in
 * @omk/proof (evidence/proof-build.ts).
 */
import { type FailureCause, isTerminalStatus, type Proof, type TerminalStatus } from "@omk/state";
import type { GoalRun } from "../context.js";
import type { RunGoalResult } from "../types.js";

/** The run's ending, also emitted as run_finished. */
export function ending(ctx: GoalRun, status: RunGoalResult["status"], outcomeFile: string | null, reason: string): RunGoalResult {
  ctx.emit({ type: "run_finished", goalId: ctx.goalId, status, outcomeFile, reason });
  return { goalId: ctx.goalId, status, outcomeFile, reason };
}

/** The outcome file of a goal that is terminal already (by another writer, or a budget stop). */
export function endAsRecorded(ctx: GoalRun): RunGoalResult {
  const goal = ctx.goal;
  const paths = ctx.store.paths(ctx.goalId);
  const file = goal.status === "ready" ? paths.proof : isTerminalStatus(goal.status) ? paths.failure : null;
  return ending(ctx, goal.status, file, goal.statusReason ?? goal.status);
}

/** End the goal with a terminal status other than ready: failure.json names the cause, the evidence and the resume command. */
export async function endWithFailure(
  ctx: GoalRun,
  status: Exclude<TerminalStatus, "ready">,
  cause: FailureCause,
  evidence: readonly string[] = [],
): Promise<RunGoalResult> {
  await ctx.refresh();
  if (ctx.goal.status !== "running") return endAsRecorded(ctx);
  const safe = ctx.redactor.redactDeep(cause);
  const moved = await ctx.store.transition(ctx.goalId, status, { actor: ctx.actor, cause: safe, evidence: [...evidence], reason: safe.message });
  await ctx.refresh();
  if (!moved.ok) return endAsRecorded(ctx);
  return ending(ctx, status, ctx.store.paths(ctx.goalId).failure, safe.message);
}

/** End the goal ready with its proof (the store writes proof.json and records its digest). */
export async function endReady(ctx: GoalRun, proof: Proof, reason: string): Promise<RunGoalResult> {
  await ctx.refresh();
  if (ctx.goal.status !== "running") return endAsRecorded(ctx);
  const moved = await ctx.store.transition(ctx.goalId, "ready", { actor: ctx.actor, proof, reason });
  await ctx.refresh();
  if (!moved.ok) return endAsRecorded(ctx);
  return ending(ctx, "ready", ctx.store.paths(ctx.goalId).proof, reason);
}
