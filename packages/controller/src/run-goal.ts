/**
 * runGoal: one controller drives a goal through its phases — intake →
 * planning → oracle → baseline → execution → verification → review →
 * integration → proof — with --until-ready rounds in between, under the
 * controller lock: it opens the goal, takes the lock, starts or resumes it,
 * and hands it to the driver (driver/walk.ts: the phase table and the one
 * loop that walks it). A goal with history continues from its phase: each
 * phase skips what the log already records for the current round.
 */
import { acquireControllerLock, type Goal, GoalNotFoundError, goalPaths, requestResume } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { resolveCommit, uncommittedFiles } from "@omk/worktree";
import { createGoalRun, safeSink } from "./context.js";
import { dryRun } from "./driver/dry-run.js";
import { pausedIfStopped } from "./driver/stops.js";
import { firstStep, walk } from "./driver/walk.js";
import { dirtyTreeMessage } from "./internal/dirty-tree.js";
import { sweepLeftoverCheckouts } from "./internal/leftover-checkouts.js";
import { endAsRecorded, endWithFailure } from "./internal/run-end.js";
import type { ControllerProblem, RunGoalOptions, RunGoalResult } from "./types.js";

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
    return err({
      code: "no_base_commit",
      message: `${goal.repoRoot} has no commit to start from`,
      fix: "commit the repository's current state first (git commit), then run the goal",
    });
  }
  // Uncommitted work is named before anything runs: the run starts from commits and leaves it out.
  const dirty = goal.status === "ready" || goal.status === "cancelled" ? undefined : await uncommittedFiles(goal.repoRoot);
  if (dirty !== undefined) emit({ type: "tree_dirty", files: dirty.files, more: dirty.more, baseCommit: base, message: dirtyTreeMessage(dirty, base) });
  if (options.dryRun === true) return ok(await dryRun(createGoalRun({ options, goal, baseCommit: base, emit })));
  if (goal.status === "ready" || goal.status === "cancelled") {
    const ctx = createGoalRun({ options, goal, baseCommit: base, emit });
    return ok(endAsRecorded(ctx));
  }
  const lock = await acquireControllerLock(store, goalId);
  if (!lock.ok) return err({ code: "lock_held", message: lock.error.message, fix: lock.error.fix });
  try {
    // Checkouts a killed run left (temporary ones, evidence checkouts, old registrations) go first.
    const swept = await sweepLeftoverCheckouts(goal.repoRoot, goalPaths(store.root, goalId).dir);
    for (const dir of swept.kept)
      emit({
        type: "note",
        level: "warn",
        message: `${dir} (a task worktree of an older omk) holds uncommitted work and was left in place; commit or remove it, or the task cannot restart`,
      });
    goal = await store.readGoal(goalId);
    const resumedFrom = goal.status;
    const ctx = createGoalRun({ options, goal, baseCommit: base, emit });
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
      const recorded = await ctx.append([
        {
          type: "run_options_recorded",
          actor: options.actor ?? "user",
          data: { ...options.runOptions, confinement: options.confinement?.mode ?? "unconfined" },
        },
      ]);
      if (!recorded.ok)
        return err({
          code: recorded.error.code,
          message: `recording the run options: ${recorded.error.message}`,
          fix: "check that the state dir is writable (omk doctor), then run again",
        });
    }
    if (dirty !== undefined) {
      const noted = await ctx.append([
        { type: "worktree_dirty_noted", actor: ctx.actor, data: { files: [...dirty.files], more: dirty.more, baseCommit: base } },
      ]);
      if (!noted.ok) emit({ type: "note", level: "warn", message: `could not record the uncommitted files: ${noted.error.message}` });
    }
    emit({ type: "run_started", goalId, engine: options.engine.name, resumed: goal.lastSeq > 1 && goal.status !== "created", round: ctx.round });
    try {
      return ok(await walk(ctx, await firstStep(ctx, resumedFrom)));
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
