/**
 * The driver: one table of phase steps and one loop that walks it. Every
 * step is `(ctx) => Promise<Step>`: the name of the next row, or the run's
 * end. Between two steps the driver checks for a stop (pause, cancel,
 * budget, another writer) and for --stop-after; nothing else does. A
 * failure a step says a stop may have caused (`stoppable`) is recorded only
 * when the run was not stopped (docs/decisions/controller.md, "The driver").
 */
import type { Goal, Phase } from "@omk/state";
import type { GoalRun } from "../context.js";
import { endWithFailure, ending } from "../internal/run-end.js";
import { finishPhase } from "../internal/run-phase.js";
import { readVerdict } from "../internal/run-verdict.js";
import { baselinePhase } from "../phases/baseline.js";
import { executionPhase } from "../phases/execution.js";
import { intakePhase, readIntake } from "../phases/intake.js";
import { integrationPhase, mergePhase } from "../phases/integration.js";
import { oraclePhase } from "../phases/oracle.js";
import { planningPhase } from "../phases/planning.js";
import { proofPhase } from "../phases/proof.js";
import { reviewPhase } from "../phases/review.js";
import { nextRoundPhase, roundEndPhase } from "../phases/rounds.js";
import { type Failure, isFailure, type PhaseStep, type StepName } from "../phases/step.js";
import { verificationPhase } from "../phases/verification.js";
import type { RunGoalResult } from "../types.js";
import { readBackVerified } from "./read-back.js";
import { pausedIfStopped, stopCheck } from "./stops.js";

/**
 * THE table. A ready round walks intake → planning → oracle → baseline →
 * execution → merge → verification → review → integration → proof; a round
 * that is not ready goes from verification or review to round-end, then
 * next-round → oracle → baseline → execution. Each step names its successor.
 */
const PHASE_TABLE: Readonly<Record<StepName, PhaseStep>> = {
  intake: intakePhase,
  planning: planningPhase,
  oracle: oraclePhase,
  baseline: baselinePhase,
  execution: executionPhase,
  merge: mergePhase,
  verification: verificationPhase,
  review: reviewPhase,
  integration: integrationPhase,
  proof: proofPhase,
  "round-end": roundEndPhase,
  "next-round": nextRoundPhase,
};

/** Walk the table from `first` to the run's end. */
export async function walk(ctx: GoalRun, first: StepName): Promise<RunGoalResult> {
  let name = first;
  for (;;) {
    const step = await PHASE_TABLE[name](ctx);
    if ("end" in step) return isFailure(step.end) ? fail(ctx, step.end) : step.end;
    const stop = await stopCheck(ctx);
    if (stop !== null) {
      // A step may hand over with its successor's phase open (merge opens verification): report it stopped, as a failure would.
      if (ctx.openPhase !== null) finishPhase(ctx, ctx.openPhase, "stopped", ctx.goal.status);
      return stop;
    }
    if (ctx.options.stopAfter === name) return ending(ctx, ctx.goal.status, null, `stopped after ${name}`);
    name = step.next;
  }
}

/** Record a step's failure; one a stop may have caused ends with the stop instead (the open phase reported stopped). */
async function fail(ctx: GoalRun, failure: Failure): Promise<RunGoalResult> {
  if (failure.stoppable === true) {
    const stop = await pausedIfStopped(ctx);
    if (stop !== null) {
      if (ctx.openPhase !== null) finishPhase(ctx, ctx.openPhase, "stopped", ctx.goal.status);
      return stop;
    }
    if (ctx.openPhase !== null) finishPhase(ctx, ctx.openPhase, "failed", failure.detail);
  }
  return endWithFailure(ctx, failure.status, failure.cause, failure.evidence);
}

/**
 * Where a run starts: a fresh goal at intake; a goal with history at the
 * step of its recorded phase, with what that step needs in the context (the
 * intake reading, the round's verdict, its verification read back).
 */
export async function firstStep(ctx: GoalRun, resumedFrom: Goal["status"]): Promise<StepName> {
  const phase: Phase | null = ctx.goal.phase;
  if (phase === "planning" && ctx.goal.oracle !== undefined) {
    // Planning follow-ups (or just done with them) for the next round.
    const verdict = readVerdict(ctx.goalDir, ctx.round);
    if (verdict !== null && !verdict.ready) {
      ctx.verdict = verdict;
      return "next-round";
    }
    return "oracle";
  }
  if (phase === null || phase === "intake") return "intake";
  if (phase === "planning" || phase === "oracle") {
    // A run resumed past intake reads the goal here, once (the planning and oracle phases use it).
    ctx.intake = readIntake(ctx);
    return phase;
  }
  if (phase === "baseline") return "baseline";
  if (resumedFrom === "not_ready") {
    // A not_ready goal resumed on purpose: plan follow-ups from its failing evidence.
    const verdict = readVerdict(ctx.goalDir, ctx.round);
    if (verdict !== null && !verdict.ready) {
      ctx.verdict = verdict;
      return "next-round";
    }
  }
  if (phase === "verification") return "merge";
  if (phase === "review" || phase === "integration" || phase === "proof") {
    const verified = await readBackVerified(ctx);
    if (verified === null) throw new Error(`round ${ctx.round}: the verification record is missing; resume cannot continue from ${phase}`);
    ctx.verified = verified;
    ctx.verdict = verified.verdict;
    return verified.verdict.ready ? phase : "round-end";
  }
  return "execution";
}
