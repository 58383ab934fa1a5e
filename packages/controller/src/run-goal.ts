/**
 * runGoal: one controller drives a goal through its phases — intake →
 * planning → oracle → baseline → execution → verification → review →
 * integration → proof — with --until-ready rounds in between, under the
 * controller lock. A goal with history continues from its phase: each phase
 * skips what the log already records for the current round.
 */
import { acquireControllerLock, err, type Goal, GoalNotFoundError, goalPaths, ok, type Phase, type Result, requestResume } from "@omk/state";
import { createRunContext, type RunContext, safeSink } from "./context.js";
import { resolveCommit, uncommittedFiles } from "@omk/worktree";
import { dirtyTreeMessage } from "./internal/dirty-tree.js";
import { sweepLeftoverCheckouts } from "./internal/leftover-checkouts.js";
import { dryRun } from "./internal/run-dry.js";
import { loadVerified } from "./internal/run-load.js";
import { pausedIfStopped, stopCheck } from "./internal/run-phase.js";
import { afterNotReady, nextRound } from "./internal/run-rounds.js";
import { readVerdict, writeVerdict } from "./internal/run-verdict.js";
import { endAsRecorded, endWithFailure, ending } from "./outcome.js";
import { baselinePhase } from "./phases/baseline.js";
import { executionPhase } from "./phases/execution.js";
import { intakePhase } from "./phases/intake.js";
import { integrationPhase } from "./phases/integration.js";
import { oraclePhase } from "./phases/oracle.js";
import { planningPhase } from "./phases/planning.js";
import { proofPhase } from "./phases/proof.js";
import { reviewPhase } from "./phases/review.js";
import { type Verified, verificationPhase } from "./phases/verification.js";
import type { ControllerProblem, RunGoalOptions, RunGoalResult } from "./types.js";

const SETUP: readonly { phase: Phase; run: (ctx: RunContext) => Promise<RunGoalResult | null> }[] = [
  { phase: "intake", run: intakePhase },
  { phase: "planning", run: planningPhase },
  { phase: "oracle", run: oraclePhase },
  { phase: "baseline", run: baselinePhase },
];
const LOOP: readonly Phase[] = ["execution", "verification", "review", "integration", "proof"];

/** The goal's base commit: as given, else the one the baseline recorded, else the repository's HEAD now. */
async function baseCommitOf(store: RunGoalOptions["store"], goal: Goal): Promise<string | null> {
  if (goal.baseCommit !== null) return (await resolveCommit(goal.repoRoot, goal.baseCommit)) ?? goal.baseCommit;
  const events = await store.readEvents(goal.id);
  const recorded = events.findLast((e) => e.type === "baseline_recorded");
  if (recorded?.type === "baseline_recorded") return recorded.data.commit;
  return resolveCommit(goal.repoRoot, "HEAD");
}

/** Drive a goal to a terminal status (or a pause, or `stopAfter`). Problems that keep it from starting are error values. */
export async function runGoal(options: RunGoalOptions): Promise<Result<RunGoalResult, ControllerProblem>> {
  const emit = safeSink(options.onEvent);
  const { store, goalId } = options;
  let goal: Goal;
  try {
    // The next open finishes what a crash left (outcome file, goal.json, a dead controller's lock).
    goal = await store.openGoal(goalId);
  } catch (cause) {
    if (cause instanceof GoalNotFoundError) return err({ code: "goal_not_found", message: cause.message, fix: "list goals with omk goal list" });
    throw cause;
  }
  const base = await baseCommitOf(store, goal);
  if (base === null) {
    return err({ code: "no_base_commit", message: `${goal.repoRoot} has no commit to start from`, fix: "commit the repository's current state first (git commit), then run the goal" });
  }
  // Uncommitted work is named before anything runs: the run starts from commits and leaves it out.
  const dirty = goal.status === "ready" || goal.status === "cancelled" ? undefined : await uncommittedFiles(goal.repoRoot);
  if (dirty !== undefined) emit({ type: "tree_dirty", files: dirty.files, more: dirty.more, baseCommit: base, message: dirtyTreeMessage(dirty, base) });
  if (options.dryRun === true) return ok(await dryRun(createRunContext({ options, goal, baseCommit: base, emit })));
  if (goal.status === "ready" || goal.status === "cancelled") {
    const ctx = createRunContext({ options, goal, baseCommit: base, emit });
    return ok(endAsRecorded(ctx));
  }
  const lock = await acquireControllerLock(store, goalId);
  if (!lock.ok) return err({ code: "lock_held", message: lock.error.message, fix: lock.error.fix });
  try {
    // Checkouts a killed run left (temporary ones, evidence checkouts, old registrations) go first.
    const swept = await sweepLeftoverCheckouts(goal.repoRoot, goalPaths(store.root, goalId).dir);
    for (const dir of swept.kept) emit({ type: "note", level: "warn", message: `${dir} (a task worktree of an older omk) holds uncommitted work and was left in place; commit or remove it, or the task cannot restart` });
    goal = await store.readGoal(goalId);
    const resumedFrom = goal.status;
    const ctx = createRunContext({ options, goal, baseCommit: base, emit });
    if (goal.status === "created") {
      // A fresh goal starts; only a goal that ran before (paused, extended, not_ready...) resumes.
      const started = await store.transition(goalId, "running", { actor: ctx.actor, reason: "started" });
      await ctx.refresh();
      if (!started.ok) return err({ code: started.error.code, message: started.error.message, fix: started.error.fix });
    } else if (goal.status !== "running") {
      const resumed = await requestResume(store, goalId, { actor: ctx.actor });
      await ctx.refresh();
      if (!resumed.ok) {
        if (resumed.error.code === "budget_exhausted") return ok(endAsRecorded(ctx));
        return err({ code: resumed.error.code, message: resumed.error.message, fix: resumed.error.fix });
      }
    }
    if (options.runOptions !== undefined) {
      const recorded = await ctx.append([{ type: "run_options_recorded", actor: options.actor ?? "user", data: { ...options.runOptions, confinement: options.confinement?.mode ?? "unconfined" } }]);
      if (!recorded.ok) return err({ code: recorded.error.code, message: `recording the run options: ${recorded.error.message}`, fix: "check that the state dir is writable (omk doctor), then run again" });
    }
    if (dirty !== undefined) {
      const noted = await ctx.append([{ type: "worktree_dirty_noted", actor: ctx.actor, data: { files: [...dirty.files], more: dirty.more, baseCommit: base } }]);
      if (!noted.ok) emit({ type: "note", level: "warn", message: `could not record the uncommitted files: ${noted.error.message}` });
    }
    emit({ type: "run_started", goalId, engine: options.engine.name, resumed: goal.lastSeq > 1 && goal.status !== "created", round: ctx.round });
    try {
      return ok(await drive(ctx, resumedFrom));
    } catch (cause) {
      // A step that threw because the run was interrupted (Ctrl-C, a pause or cancel by another process) pauses; it did not fail.
      const stop = await pausedIfStopped(ctx);
      if (stop !== null) return ok(stop);
      const message = cause instanceof Error ? cause.message : String(cause);
      return ok(await endWithFailure(ctx, "failed_infra", { code: "infra_error", message: `the controller failed: ${message}` }));
    }
  } finally {
    await lock.value.release();
  }
}

/** Continue a paused, crashed, not_ready or budget-extended goal (requestResume, then runGoal). */
export async function resumeGoal(options: RunGoalOptions): Promise<Result<RunGoalResult, ControllerProblem>> {
  return runGoal(options);
}

function stopped(ctx: RunContext, after: string): RunGoalResult {
  return ending(ctx, ctx.goal.status, null, `stopped after ${after}`);
}

async function drive(ctx: RunContext, resumedFrom: Goal["status"]): Promise<RunGoalResult> {
  const phase = ctx.goal.phase;
  let from: Phase = "execution";
  const laterRound = phase === "planning" && ctx.goal.oracle !== undefined;
  if (laterRound) {
    // Planning follow-ups (or just done with them) for the next round.
    const verdict = readVerdict(ctx.goalDir, ctx.round);
    const end = verdict !== null && !verdict.ready ? await nextRound(ctx, verdict, []) : ((await oraclePhase(ctx)) ?? (await baselinePhase(ctx)));
    if (end !== null) return end;
  } else if (phase === null || SETUP.some((s) => s.phase === phase)) {
    const start = phase === null ? 0 : SETUP.findIndex((s) => s.phase === phase);
    for (const step of SETUP.slice(start)) {
      const end = (await step.run(ctx)) ?? (await stopCheck(ctx));
      if (end !== null) return end;
      if (step.phase === "oracle" && ctx.options.stopAfter === "oracle") return stopped(ctx, "oracle");
    }
  } else if (resumedFrom === "not_ready") {
    // A not_ready goal resumed on purpose: plan follow-ups from its failing evidence.
    const verdict = readVerdict(ctx.goalDir, ctx.round);
    if (verdict !== null && !verdict.ready) {
      const end = (await afterNotReady(ctx, verdict, { force: true })) ?? (await stopCheck(ctx));
      if (end !== null) return end;
    } else {
      from = phase;
    }
  } else {
    from = phase;
  }
  return rounds(ctx, from);
}

async function rounds(ctx: RunContext, start: Phase): Promise<RunGoalResult> {
  let from = LOOP.indexOf(start);
  for (;;) {
    if (from <= 0) {
      const end = (await executionPhase(ctx)) ?? (await stopCheck(ctx));
      if (end !== null) return end;
      if (ctx.options.stopAfter === "execution") return stopped(ctx, "execution");
    }
    let verified: Verified | null;
    if (from <= 1) {
      const v = await verificationPhase(ctx);
      if ("end" in v) return v.end;
      verified = v.verified;
      writeVerdict(ctx.files, ctx.goalDir, verified.verdict);
      const stop = await stopCheck(ctx);
      if (stop !== null) return stop;
    } else {
      verified = await loadVerified(ctx);
      if (verified === null) throw new Error(`round ${ctx.round}: the verification record is missing; resume cannot continue from ${LOOP[from]}`);
    }
    if (!verified.verdict.ready) {
      const end = (await afterNotReady(ctx, verified.verdict)) ?? (await stopCheck(ctx));
      if (end !== null) return end;
      from = 0;
      continue;
    }
    if (from <= 2) {
      const r = await reviewPhase(ctx, verified);
      if ("end" in r) return r.end;
      writeVerdict(ctx.files, ctx.goalDir, r.reviewed.verdict);
      const stop = await stopCheck(ctx);
      if (stop !== null) return stop;
      if (ctx.options.stopAfter === "review") return stopped(ctx, "review");
      if (!r.reviewed.verdict.ready) {
        const end = (await afterNotReady(ctx, r.reviewed.verdict, { extra: r.reviewed.followUps })) ?? (await stopCheck(ctx));
        if (end !== null) return end;
        from = 0;
        continue;
      }
    }
    if (from <= 3) {
      await integrationPhase(ctx);
      const stop = await stopCheck(ctx);
      if (stop !== null) return stop;
    }
    return proofPhase(ctx);
  }
}
