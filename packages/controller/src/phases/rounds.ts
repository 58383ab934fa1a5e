/**
 * --until-ready: the two steps between rounds. round-end: a round ended not
 * ready (`ctx.verdict`); without --until-ready the goal ends not_ready, else
 * stagnation and the round bound are checked. next-round: follow-ups for the
 * failing items (and the review's proposals, `ctx.followUps`), then
 * round_started; the oracle and baseline phases come next (they pass by:
 * recorded already), then execution.
 */
import type { GoalRun } from "../context.js";
import { planFollowUps } from "../followups.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { frozenOracle } from "../internal/run-records.js";
import { readVerdict, type RoundVerdict, stagnated } from "../internal/run-verdict.js";
import { end, type Failure, next, type Step } from "./step.js";

const DEFAULT_MAX_ROUNDS = 3;

function summary(verdict: RoundVerdict): string {
  const names = verdict.failing.map((f) => f.key.replace(/^[a-z]+:/u, "")).slice(0, 6);
  return `round ${verdict.round} not ready: ${names.join(", ")}${verdict.failing.length > 6 ? ", ..." : ""}`;
}

function details(verdict: RoundVerdict): Record<string, unknown> {
  return {
    round: verdict.round,
    headCommit: verdict.headCommit,
    failing: verdict.failing.map((f) => ({ kind: f.kind, key: f.key, detail: f.detail.slice(0, 2000) })),
  };
}

function notReady(verdict: RoundVerdict, code: Failure["cause"]["code"], message: string): Failure {
  return { status: "not_ready", cause: { code, message, details: details(verdict) }, evidence: [...verdict.evidence] };
}

function verdictOf(ctx: GoalRun): RoundVerdict {
  if (ctx.verdict === null) throw new Error(`round ${ctx.round}: no verdict to act on`);
  return ctx.verdict;
}

/** The round ended not ready: the goal ends not_ready, or (--until-ready, neither stagnant nor out of rounds) the next round is planned. */
export async function roundEndPhase(ctx: GoalRun): Promise<Step> {
  const verdict = verdictOf(ctx);
  // A round that ran out of budget is not "not ready": the driver's stop check before this step ended it needs_more_budget.
  const cause = verdict.cause ?? "oracle_failed";
  if (ctx.options.untilReady !== true) return end(notReady(verdict, cause, summary(verdict)));
  const maxRounds = ctx.options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const stagnation = stagnated(readVerdict(ctx.goalDir, verdict.round - 1), verdict);
  if (stagnation !== null) return end(notReady(verdict, "stagnation", `${stagnation}; ${summary(verdict)}`));
  if (verdict.round >= maxRounds) return end(notReady(verdict, "rounds_exhausted", `${maxRounds} round(s) used; ${summary(verdict)}`));
  return next("next-round");
}

/** Follow-ups for `ctx.verdict`, then round_started: the round after it begins (its oracle and baseline pass by). */
export async function nextRoundPhase(ctx: GoalRun): Promise<Step> {
  const verdict = verdictOf(ctx);
  const round = verdict.round + 1;
  await enterPhase(ctx, "planning", `follow-ups for round ${round}`);
  const frozen = await frozenOracle(ctx);
  const criteria = frozen.oracle.criteria.map((c) => c.id);
  const planned = await planFollowUps(ctx, { verdict, round, criteria, extra: ctx.followUps });
  if (!planned.ok) {
    // A follow-up session cut short by a stop pauses (the driver checks); else the goal ends not_ready with the round's failures.
    return end({
      ...notReady(verdict, verdict.cause ?? "oracle_failed", `${planned.error.message}; ${summary(verdict)}`),
      stoppable: true,
      detail: planned.error.message,
    });
  }
  const ids = planned.value.tasks.map((t) => t.id);
  const reason = `${verdict.cause ?? "not ready"} in round ${verdict.round}`;
  const recorded = await ctx.append([planned.value.event, { type: "round_started", actor: ctx.actor, data: { round, reason, followUps: ids } }]);
  if (!recorded.ok) throw new Error(`recording round ${round}: ${recorded.error.message}`);
  ctx.round = round;
  ctx.integrated = null;
  ctx.verified = null;
  ctx.verdict = null;
  ctx.followUps = [];
  ctx.emit({ type: "round_started", round, reason, followUps: ids });
  finishPhase(ctx, "planning", "passed", `${ids.join(", ")} (${planned.value.strategy})`);
  return next("oracle");
}
