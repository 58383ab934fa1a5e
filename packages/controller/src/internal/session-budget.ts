/**
 * The goal budget for sessions the scheduler does not run (planning,
 * follow-ups, reviews): usage is recorded against the goal as it arrives,
 * and the turn is aborted as soon as the goal's budget is crossed (the store
 * then moves the goal to needs_more_budget, which a budget-add resumes).
 */
import { DEFAULT_TASK_BUDGETS } from "@omk/planner";
import { budgetReport } from "@omk/state";
import type { GoalRun } from "../context.js";
import { addSpend, type SessionPurpose, type SpendEstimate, type SpendReport, ZERO_SPEND } from "@omk/sessions";

/**
 * The cap of a session the scheduler does not run: what it is charged when
 * it reports no usage. Its role's default task caps: plan and follow-up
 * sessions (read-only, one answer) and the reviewer and break-it passes as a
 * reviewer, the security pass as a security-reviewer. The goal's budget
 * still cuts such a session as usage arrives (budgetMeter).
 */
export function sessionCap(purpose: Exclude<SessionPurpose, { kind: "task" }>): SpendEstimate {
  const role = purpose.kind === "review" && purpose.reviewer === "security-reviewer" ? "security-reviewer" : "reviewer";
  const caps = DEFAULT_TASK_BUDGETS[role];
  return { tokens: caps.tokens, usd: caps.usd };
}

/** How long past the goal's deadline a session may run before it is cut (the store's clock and ours differ by a little). */
const TIME_CAP_GRACE_MS = 100;

export type BudgetMeter = {
  /** Pass to runSession: the caller's signal, aborted too when the budget is crossed. */
  readonly signal: AbortSignal;
  /** Pass to runSession: records each increment against the goal. */
  readonly onUsage: (increment: SpendReport) => void;
  /** After the session: waits for the recordings, then records what the session's final figures add to the increments. */
  settle(final: SpendReport): Promise<void>;
  /** Whether the goal's budget stopped the session (or the goal was not running). */
  readonly stopped: boolean;
  readonly reason: string;
};

function excess(final: SpendReport, recorded: SpendReport): SpendReport {
  const t = final.tokens;
  const r = recorded.tokens;
  return {
    tokens: {
      input: Math.max(0, t.input - r.input),
      cacheRead: Math.max(0, t.cacheRead - r.cacheRead),
      cacheWrite: Math.max(0, t.cacheWrite - r.cacheWrite),
      output: Math.max(0, t.output - r.output),
    },
    usd: final.usd === null ? null : Math.max(0, final.usd - (recorded.usd ?? 0)),
  };
}

export function budgetMeter(ctx: GoalRun, source: string): BudgetMeter {
  const stop = new AbortController();
  let recorded: SpendReport = ZERO_SPEND;
  let chain: Promise<void> = Promise.resolve();
  let reason = "";
  const check = () => {
    if (ctx.goal.status === "running" || stop.signal.aborted) return;
    reason = ctx.goal.status === "needs_more_budget" ? (ctx.goal.statusReason ?? "the goal's budget is exhausted") : `the goal is ${ctx.goal.status}`;
    stop.abort(new Error(reason));
  };
  check();
  // The hard time cap of the turn: when the goal's time runs out the session is cut then, whether or not usage arrives
  // (most engines report usage only when the turn ends, which a turn that never ends would never do).
  const left = budgetReport(ctx.goal, new Date()).remaining.timeMs;
  const timer =
    left === null || stop.signal.aborted
      ? undefined
      : setTimeout(() => {
          chain = chain.then(async () => {
            if (ctx.goal.status === "running") await ctx.store.enforceBudget(ctx.goalId, ctx.actor);
            await ctx.refresh();
            check();
          });
        }, Math.max(0, left) + TIME_CAP_GRACE_MS);
  timer?.unref();
  const meter: BudgetMeter = {
    signal: ctx.signal === undefined ? stop.signal : AbortSignal.any([ctx.signal, stop.signal]),
    onUsage: (increment) => {
      recorded = addSpend(recorded, increment);
      chain = chain.then(async () => {
        await ctx.recordSpend(source, increment);
        check();
      });
    },
    async settle(final) {
      clearTimeout(timer);
      await chain;
      const extra = excess(final, recorded);
      recorded = addSpend(recorded, extra);
      await ctx.recordSpend(source, extra);
      check();
    },
    get stopped() {
      return stop.signal.aborted;
    },
    get reason() {
      return reason;
    },
  };
  return meter;
}
