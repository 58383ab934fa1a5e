/**
 * How much budget a needs_more_budget goal lacks, for failure.json's
 * `cause.details` (`{ dimension, shortfall }`, read by @omk/state's
 * resumeAdvice to print `omk goal budget-add <id> --tokens N && omk goal resume <id>`).
 *
 * The shortfall is what to add to the limit (beyond an overrun) so that a
 * resume can start the tasks the scheduler refused: the refused tasks' caps
 * in that dimension minus the room the scheduler last saw, divided by the
 * share of a limit the tasks may use (the verification reserve is a fraction
 * of the limit, so adding X to the limit gives the tasks (1 − reserve) · X).
 */
import { type BudgetDimension, budgetReport, type FailureCause, type Goal, type GoalEvent } from "@omk/state";
import { capToRole, VERIFICATION_RESERVE_FRACTION } from "./task-caps.js";

/** Time passes between the failure and the resume, and the caps are fitted with this slack (task-caps.ts). */
const TIME_SLACK_MS = 60_000;

type BudgetShortfall = { readonly dimension: BudgetDimension; readonly add: number; readonly overrun: number; readonly shortfall: number };

type Refusal = Extract<GoalEvent, { type: "task_budget_refused" }>["data"];

/** The refusals of the last scheduler run (the latest per task). */
function lastRunRefusals(events: readonly GoalEvent[]): Refusal[] {
  const start = events.findLastIndex((e) => e.type === "task_run_started");
  const byTask = new Map<string, Refusal>();
  for (const e of events.slice(Math.max(0, start))) if (e.type === "task_budget_refused") byTask.set(e.data.taskId, e.data);
  return [...byTask.values()];
}

/**
 * What the tasks still open need in `d` (their caps, at most their role's
 * default; time is a deadline they share, so the longest), for a dimension
 * that ran out with no refusal to go by: the advice then covers the work
 * left, so one budget-add and one resume go on (not a second shortfall at
 * the next dispatch).
 */
function openNeed(goal: Goal, d: BudgetDimension): number {
  const open = (goal.taskGraph?.tasks ?? []).filter((t) => t.status === "pending" || t.status === "ready" || t.status === "running");
  const caps = open.map((t) => capToRole(t));
  if (d === "time") return caps.length === 0 ? 0 : Math.max(...caps.map((c) => c.timeMs)) + TIME_SLACK_MS;
  return caps.reduce((sum, c) => sum + (d === "tokens" ? c.tokens : c.usd), 0);
}

const round = (dimension: BudgetDimension, x: number) => (dimension === "usd" ? Math.ceil(x * 100) / 100 : Math.ceil(x));

/**
 * Every dimension that lacks budget, the most pressing first: exhausted
 * dimensions (usage crossed the limit), then the dimension of the latest
 * refusal, then the others refused. `add` is what to add to the limit so
 * that the refused tasks' caps fit after the verification reserve:
 * (limit + add) · (1 − reserve) − used ≥ Σ caps refused (the scheduler's
 * `available` is (1 − reserve) · limit − used); `overrun` is how far usage
 * crossed the limit, and `shortfall` = add − overrun (resumeAdvice adds the
 * overrun of an exhausted dimension itself).
 */
function budgetShortfalls(goal: Goal, events: readonly GoalEvent[], now: Date = new Date()): BudgetShortfall[] {
  const report = budgetReport(goal, now);
  const refusals = lastRunRefusals(events);
  const limitOf = (d: BudgetDimension) => (d === "time" ? report.limits.timeMs : d === "tokens" ? report.limits.tokens : report.limits.usd);
  const usedOf = (d: BudgetDimension) => report.used[d === "time" ? "timeMs" : d];
  const order: BudgetDimension[] = [...report.exhausted];
  for (const r of [...refusals].reverse()) if (!order.includes(r.dimension)) order.push(r.dimension);
  const out: BudgetShortfall[] = [];
  for (const d of order) {
    const limit = limitOf(d);
    if (limit === null) continue;
    const inD = refusals.filter((r) => r.dimension === d);
    const latest = inD.at(-1);
    const needed = inD.length === 0 ? openNeed(goal, d) : inD.reduce((sum, r) => sum + r.needed, 0) + (d === "time" ? TIME_SLACK_MS : 0);
    // The room the tasks had: the scheduler's latest `available`, else (an exhausted dimension) what the report leaves.
    const room = latest !== undefined && !report.exhausted.includes(d) ? latest.available : limit * (1 - VERIFICATION_RESERVE_FRACTION) - usedOf(d);
    const add = round(d, Math.max(0, needed - room) / (1 - VERIFICATION_RESERVE_FRACTION));
    const overrun = round(d, Math.max(0, usedOf(d) - limit));
    if (add > 0) out.push({ dimension: d, add, overrun, shortfall: round(d, Math.max(0, add - overrun)) });
  }
  return out;
}

/** failure.json's cause details for needs_more_budget: the most pressing `{ dimension, shortfall }`, and every one under `shortfalls`. */
export function shortfallDetails(goal: Goal, events: readonly GoalEvent[], now: Date = new Date()): Record<string, unknown> | undefined {
  const all = budgetShortfalls(goal, events, now);
  const first = all[0];
  if (first === undefined) return undefined;
  return {
    dimension: first.dimension,
    shortfall: first.shortfall,
    ...(first.overrun > 0 ? { overrun: first.overrun } : {}),
    shortfalls: all.map((s) => ({ ...s })),
  };
}

/** The cause of a needs_more_budget ending: what ran short and by how much (resumeAdvice turns it into the budget-add command). */
export function budgetCause(reason: string, details: Record<string, unknown> | undefined): FailureCause {
  if (details === undefined) return { code: "budget_exhausted", message: reason };
  const { dimension, shortfall } = details as { dimension: string; shortfall: number };
  return {
    code: "budget_exhausted",
    message: `${reason}: the ${dimension} budget is short by ${shortfall}${dimension === "time" ? " ms" : dimension === "usd" ? " USD" : " tokens"}`,
    details,
  };
}
