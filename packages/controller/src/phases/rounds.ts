/** --until-ready: after a not_ready round, follow-ups and the next round, or the reason there is none. */
import type { RunContext } from "../context.js";
import { planFollowUps } from "../followups.js";
import { endWithFailure } from "../outcome.js";
import { baselinePhase } from "../phases/baseline.js";
import { frozenOracle, oraclePhase } from "../phases/oracle.js";
import type { RunGoalResult } from "../types.js";
import { budgetStop, enterPhase, finishPhase, pausedIfStopped } from "./run-phase.js";
import { readVerdict, type RoundVerdict, stagnated, writeVerdict } from "./run-verdict.js";

const DEFAULT_MAX_ROUNDS = 3;

function summary(verdict: RoundVerdict): string {
  const names = verdict.failing.map((f) => f.key.replace(/^[a-z]+:/u, "")).slice(0, 6);
  return `round ${verdict.round} not ready: ${names.join(", ")}${verdict.failing.length > 6 ? ", ..." : ""}`;
}

function details(verdict: RoundVerdict): Record<string, unknown> {
  return { round: verdict.round, headCommit: verdict.headCommit, failing: verdict.failing.map((f) => ({ kind: f.kind, key: f.key, detail: f.detail.slice(0, 2000) })) };
}

/**
 * A round ended not ready. Without --until-ready (and not forced by a
 * resume of a not_ready goal) the goal ends not_ready; else stagnation and
 * the round bound are checked, and the next round is planned. Returns the
 * ending, or null when the next round is set up (execution comes next).
 */
export async function afterNotReady(ctx: RunContext, verdict: RoundVerdict, options: { force?: boolean; extra?: readonly unknown[] } = {}): Promise<RunGoalResult | null> {
  writeVerdict(ctx.files, ctx.goalDir, verdict);
  // A round that ran out of budget is not "not ready": the user adds budget and resumes (the resume verifies again).
  const spent = await budgetStop(ctx);
  if (spent !== null) return spent;
  const cause = verdict.cause ?? "oracle_failed";
  const evidence = [...verdict.evidence];
  if (options.force !== true) {
    if (ctx.options.untilReady !== true) return endWithFailure(ctx, "not_ready", { code: cause, message: summary(verdict), details: details(verdict) }, evidence);
    const maxRounds = ctx.options.maxRounds ?? DEFAULT_MAX_ROUNDS;
    const stagnation = stagnated(readVerdict(ctx.goalDir, verdict.round - 1), verdict);
    if (stagnation !== null) {
      return endWithFailure(ctx, "not_ready", { code: "stagnation", message: `${stagnation}; ${summary(verdict)}`, details: details(verdict) }, evidence);
    }
    if (verdict.round >= maxRounds) {
      return endWithFailure(ctx, "not_ready", { code: "rounds_exhausted", message: `${maxRounds} round(s) used; ${summary(verdict)}`, details: details(verdict) }, evidence);
    }
  }
  return nextRound(ctx, verdict, options.extra ?? []);
}

/** Follow-ups, then round_started; the oracle and baseline phases pass by (recorded already). */
export async function nextRound(ctx: RunContext, verdict: RoundVerdict, extra: readonly unknown[]): Promise<RunGoalResult | null> {
  const round = verdict.round + 1;
  await enterPhase(ctx, "planning", `follow-ups for round ${round}`);
  const frozen = await frozenOracle(ctx);
  const criteria = frozen.oracle.criteria.map((c) => c.id);
  const planned = await planFollowUps(ctx, { verdict, round, criteria, extra });
  if (!planned.ok) {
    const stop = await pausedIfStopped(ctx);
    if (stop !== null) {
      finishPhase(ctx, "planning", "stopped", ctx.goal.status);
      return stop;
    }
    finishPhase(ctx, "planning", "failed", planned.error.message);
    return endWithFailure(ctx, "not_ready", { code: verdict.cause ?? "oracle_failed", message: `${planned.error.message}; ${summary(verdict)}`, details: details(verdict) }, [...verdict.evidence]);
  }
  const ids = planned.value.tasks.map((t) => t.id);
  const reason = `${verdict.cause ?? "not ready"} in round ${verdict.round}`;
  const recorded = await ctx.append([planned.value.event, { type: "round_started", actor: ctx.actor, data: { round, reason, followUps: ids } }]);
  if (!recorded.ok) throw new Error(`recording round ${round}: ${recorded.error.message}`);
  ctx.round = round;
  ctx.emit({ type: "round_started", round, reason, followUps: ids });
  finishPhase(ctx, "planning", "passed", `${ids.join(", ")} (${planned.value.strategy})`);
  return (await oraclePhase(ctx)) ?? (await baselinePhase(ctx));
}
