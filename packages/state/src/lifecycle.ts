import { type BudgetReport, budgetReport } from "./budget.js";
import { CANCELLED_BY_USER } from "./outcome.js";
import { err, type Result } from "@omk/core";
import type { Goal } from "./schemas/goal.js";
import type { GoalStore } from "./store.js";
import type { StoreError } from "./store-types.js";

export type BudgetExhausted = { code: "budget_exhausted"; message: string; fix: string; report: BudgetReport };

/** Pause a goal: a request any process can make; the running controller observes it. */
export function requestPause(store: GoalStore, goalId: string, actor = "user"): Promise<Result<Goal, StoreError>> {
  return store.transition(goalId, "paused", { actor, reason: "paused by request" });
}

/** Cancel a goal (final). Writes failure.json with the cause `cancelled_by_user`. */
export function requestCancel(store: GoalStore, goalId: string, actor = "user", reason?: string): Promise<Result<Goal, StoreError>> {
  const cause = reason === undefined ? CANCELLED_BY_USER : { ...CANCELLED_BY_USER, message: `cancelled by the user: ${reason}` };
  return store.transition(goalId, "cancelled", { actor, cause });
}

/**
 * Resume a goal to running. The budget is checked first: an exhausted one
 * moves the goal to needs_more_budget (with failure.json) and is returned as
 * a `budget_exhausted` value naming the fix.
 */
export async function requestResume(
  store: GoalStore,
  goalId: string,
  options: { actor?: string; newRun?: boolean; now?: () => Date } = {},
): Promise<Result<Goal, StoreError | BudgetExhausted>> {
  const actor = options.actor ?? "user";
  const goal = await store.enforceBudget(goalId, actor);
  const report = budgetReport(goal, (options.now ?? (() => new Date()))());
  if (report.exhausted.length > 0 && (goal.status === "needs_more_budget" || goal.status === "running" || goal.status === "paused")) {
    const failure = store.paths(goalId).failure;
    return err({
      code: "budget_exhausted",
      report,
      message: `goal ${goalId} has used its ${report.exhausted.join(" and ")} budget`,
      fix: `see ${failure}; add budget with omk goal budget-add ${goalId} --time|--tokens|--usd, then resume`,
    });
  }
  return store.transition(goalId, "running", { actor, reason: "resumed", ...(options.newRun === true ? { newRun: true } : {}) });
}
