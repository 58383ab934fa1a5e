/**
 * Noticing that the run must stop (pause, cancel, budget, another writer):
 * only the driver asks, after every phase step and before it records a
 * failure a stop may have caused (docs/decisions/controller.md, "The driver").
 */
import { budgetReport, requestCancel, requestPause } from "@omk/state";
import type { GoalRun } from "../context.js";
import { budgetCause, shortfallDetails } from "../internal/budget-shortfall.js";
import { endAsRecorded, endWithFailure, ending } from "../internal/run-end.js";
import type { RunGoalResult } from "../types.js";

/**
 * A running goal whose budget is exhausted in any dimension (tokens, USD,
 * time) is moved to needs_more_budget now (the store writes failure.json
 * with the budget-add advice), whatever the phase: nothing after this point
 * may end it not_ready for want of budget. Returns the ending, or null.
 */
async function budgetStop(ctx: GoalRun): Promise<RunGoalResult | null> {
  await ctx.refresh();
  if (ctx.goal.status !== "running" || budgetReport(ctx.goal, new Date()).exhausted.length === 0) return null;
  const report = budgetReport(ctx.goal, new Date());
  const reason = `budget exhausted: ${report.exhausted.join(", ")} (in ${ctx.goal.phase ?? "intake"})`;
  return endWithFailure(ctx, "needs_more_budget", budgetCause(reason, shortfallDetails(ctx.goal, await ctx.store.readEvents(ctx.goalId))), ["events.jsonl"]);
}

/**
 * Whether the run must stop now: the caller's signal (first abort pauses,
 * reason "cancel" cancels), or the goal left `running` (paused or cancelled
 * by another process, budget exhausted). Returns the ending, or null to go on.
 */
export async function stopCheck(ctx: GoalRun): Promise<RunGoalResult | null> {
  const signal = ctx.signal;
  if (signal?.aborted === true) {
    await ctx.refresh();
    if (ctx.goal.status === "running") {
      if (signal.reason === "cancel") await requestCancel(ctx.store, ctx.goalId, ctx.actor, "interrupted twice");
      else await requestPause(ctx.store, ctx.goalId, ctx.actor);
    }
  }
  const spent = await budgetStop(ctx);
  if (spent !== null) return spent;
  if (ctx.goal.status === "running") return null;
  if (ctx.goal.status === "paused") return ending(ctx, "paused", null, ctx.goal.statusReason ?? "paused");
  return endAsRecorded(ctx);
}

/**
 * After a session or step ended early: when the caller aborted (Ctrl-C) or
 * the goal left running (paused, cancelled, budget), the ending (paused:
 * exit 8, resumable); null when the run was not stopped (a real failure).
 */
export async function pausedIfStopped(ctx: GoalRun): Promise<RunGoalResult | null> {
  if (ctx.signal?.aborted !== true) {
    await ctx.refresh();
    if (ctx.goal.status === "running") return null;
  }
  return stopCheck(ctx);
}
