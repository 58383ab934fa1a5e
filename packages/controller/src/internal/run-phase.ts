/** Moving between phases, and noticing when the run must stop (pause, cancel, budget, another writer). */
import { budgetReport, type Phase, requestCancel, requestPause } from "@omk/state";
import type { RunContext } from "../context.js";
import { endAsRecorded, endWithFailure, ending } from "../outcome.js";
import { budgetCause, shortfallDetails } from "./budget-shortfall.js";
import type { PhaseOutcome, RunGoalResult } from "../types.js";

/** Record the move into `phase` (nothing when the goal is in it already: a resumed phase). */
export async function enterPhase(ctx: RunContext, phase: Phase, detail?: string): Promise<void> {
  const resumed = ctx.goal.phase === phase;
  if (!resumed) {
    const moved = await ctx.append((goal) => [{ type: "phase_changed", actor: ctx.actor, data: { from: goal?.phase ?? null, to: phase } }]);
    if (!moved.ok) throw new Error(`entering phase ${phase}: ${moved.error.message}`);
  }
  ctx.emit({ type: "phase_started", phase, round: ctx.round, ...(detail !== undefined ? { detail } : resumed ? { detail: "resumed" } : {}) });
}

export function finishPhase(ctx: RunContext, phase: Phase, outcome: PhaseOutcome, detail?: string): void {
  ctx.emit({ type: "phase_finished", phase, round: ctx.round, outcome, ...(detail === undefined ? {} : { detail }) });
}

/**
 * Whether the run must stop now: the caller's signal (first abort pauses,
 * reason "cancel" cancels), or the goal left `running` (paused or cancelled
 * by another process, budget exhausted). Returns the ending, or null to go on.
 */
/**
 * A running goal whose budget is exhausted in any dimension (tokens, USD,
 * time) is moved to needs_more_budget now (the store writes failure.json
 * with the budget-add advice), whatever the phase: nothing after this point
 * may end it not_ready for want of budget. Returns the ending, or null.
 */
export async function budgetStop(ctx: RunContext): Promise<RunGoalResult | null> {
  await ctx.refresh();
  if (ctx.goal.status !== "running" || budgetReport(ctx.goal, new Date()).exhausted.length === 0) return null;
  const report = budgetReport(ctx.goal, new Date());
  const reason = `budget exhausted: ${report.exhausted.join(", ")} (in ${ctx.goal.phase ?? "intake"})`;
  return endWithFailure(ctx, "needs_more_budget", budgetCause(reason, shortfallDetails(ctx.goal, await ctx.store.readEvents(ctx.goalId))), ["events.jsonl"]);
}

export async function stopCheck(ctx: RunContext): Promise<RunGoalResult | null> {
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
export async function pausedIfStopped(ctx: RunContext): Promise<RunGoalResult | null> {
  if (ctx.signal?.aborted !== true) {
    await ctx.refresh();
    if (ctx.goal.status === "running") return null;
  }
  return stopCheck(ctx);
}
