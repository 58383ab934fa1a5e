/**
 * The integrator's decision on a finished goal: accept (ready only) or
 * reject, recorded as decision_recorded. Accepting never writes to the base
 * branch: it names the integration branch and the merge command to run.
 */
import { err, type GoalStore, ok, type Result } from "@omk/state";
import { integrationBranch } from "@omk/worktree";
import type { ControllerProblem } from "./types.js";

export type Decision = {
  readonly goalId: string;
  readonly decision: "accepted" | "rejected";
  readonly headCommit: string;
  /** omk/<id>/integration. */
  readonly branch: string;
  /** What to run to take the change (accepted), or null. */
  readonly mergeCommand: string | null;
};

async function decide(store: GoalStore, goalId: string, decision: "accepted" | "rejected", actor: string, reason?: string): Promise<Result<Decision, ControllerProblem>> {
  const goal = await store.readGoal(goalId);
  const head = goal.headCommit;
  if (decision === "accepted" && goal.status !== "ready") {
    return err({ code: "not_ready", message: `goal ${goalId} is ${goal.status}; only a ready goal is accepted`, fix: `finish it first (omk goal resume ${goalId})` });
  }
  if (head === undefined) return err({ code: "no_head", message: `goal ${goalId} has no integrated head`, fix: `run it first (omk goal run ${goalId})` });
  const recorded = await store.append(goalId, () => [
    { type: "decision_recorded", actor, data: { decision, headCommit: head, ...(reason === undefined ? {} : { reason }) } },
  ]);
  if (!recorded.ok) return err({ code: recorded.error.code, message: recorded.error.message, fix: recorded.error.fix });
  const branch = integrationBranch(goalId);
  return ok({ goalId, decision, headCommit: head, branch, mergeCommand: decision === "accepted" ? `git merge --ff-only ${branch}` : null });
}

export function acceptGoal(input: { store: GoalStore; goalId: string; actor?: string }): Promise<Result<Decision, ControllerProblem>> {
  return decide(input.store, input.goalId, "accepted", input.actor ?? "user");
}

export function rejectGoal(input: { store: GoalStore; goalId: string; reason: string; actor?: string }): Promise<Result<Decision, ControllerProblem>> {
  if (input.reason.trim() === "") return Promise.resolve(err({ code: "invalid_input", message: "a rejection needs a reason", fix: 'pass --reason "<why>"' }));
  return decide(input.store, input.goalId, "rejected", input.actor ?? "user", input.reason);
}
