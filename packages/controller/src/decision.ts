/**
 * The integrator's decision on a finished goal: accept (ready only) or
 * reject (ready or not_ready), recorded as decision_recorded. Accepting never
 * writes to the base branch: it names the integration branch and the merge
 * command to run. Repeating the recorded decision records nothing; changing
 * it must be asked for (`change`).
 */
import { type Goal, type GoalStore, readControllerLock } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
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
  /** True when the goal already had this decision: nothing was recorded. */
  readonly unchanged: boolean;
  /** The decision this one replaced (`change`), or null. */
  readonly changedFrom: "accepted" | "rejected" | null;
  /** The recorded reason (a rejection's, or the earlier one when unchanged). */
  readonly reason: string | null;
};

export type DecisionInput = {
  store: GoalStore;
  goalId: string;
  actor?: string;
  /** Replace a different decision recorded earlier (else that is refused with code `decision_exists`). */
  change?: boolean;
};

const ALLOWED: Record<Decision["decision"], readonly Goal["status"][]> = { accepted: ["ready"], rejected: ["ready", "not_ready"] };

/** Why the goal cannot take this decision now, with the move that helps. */
async function refusal(store: GoalStore, goal: Goal, decision: Decision["decision"]): Promise<ControllerProblem> {
  const id = goal.id;
  const only = decision === "accepted" ? "only a ready goal is accepted" : "only a ready or not_ready goal is rejected";
  if (goal.status === "running") {
    const holder = await readControllerLock(store, id);
    const who = holder === undefined ? "" : ` (controller pid ${holder.pid} on ${holder.host})`;
    return {
      code: "still_running",
      message: `goal ${id} is still running${who}; ${only}`,
      fix: `wait until it ends (omk goal status ${id}), or stop it first (omk goal pause ${id})`,
    };
  }
  const next: Partial<Record<Goal["status"], string>> = {
    created: `run it first (omk goal run ${id})`,
    paused: `resume it (omk goal resume ${id})`,
    not_ready: `resume it to plan follow-ups (omk goal resume ${id}), or reject it (omk goal reject ${id} --reason "<why>")`,
    needs_more_budget: `add budget, then resume (omk goal budget-add ${id} --time 30m && omk goal resume ${id})`,
    blocked_on_human: `answer its questions, then resume (omk goal amend ${id} --answer "<answer>" && omk goal resume ${id})`,
    blocked_on_external: `resume it once the dependency is available (omk goal resume ${id})`,
    failed_infra: `fix the problem in its failure.json, then resume (omk goal resume ${id})`,
    cancelled: `cancelled is final: there is nothing to ${decision === "accepted" ? "accept" : "reject"}; start a new goal (omk goal run "<goal>")`,
  };
  return { code: "not_ready", message: `goal ${id} is ${goal.status}; ${only}`, fix: next[goal.status] ?? `see omk goal status ${id}` };
}

async function decide(input: DecisionInput, decision: Decision["decision"], reason?: string): Promise<Result<Decision, ControllerProblem>> {
  const { store, goalId } = input;
  // The next open finishes what a crash left: a ready goal without its proof gets it, or runs again (never accepted).
  const goal = await store.openGoal(goalId);
  const branch = integrationBranch(goalId);
  const mergeCommand = decision === "accepted" ? `git merge --ff-only ${branch}` : null;
  const earlier = goal.decision;
  if (earlier !== undefined && earlier.decision === decision) {
    return ok({ goalId, decision, headCommit: earlier.headCommit, branch, mergeCommand, unchanged: true, changedFrom: null, reason: earlier.reason ?? null });
  }
  if (earlier !== undefined && input.change !== true) {
    return err({
      code: "decision_exists",
      message: `goal ${goalId} is already ${earlier.decision}${earlier.reason === undefined ? "" : ` (${earlier.reason})`}`,
      fix: `pass --change to record "${decision}" instead`,
    });
  }
  if (!ALLOWED[decision].includes(goal.status)) return err(await refusal(store, goal, decision));
  if (decision === "accepted" && goal.outcome?.file !== "proof.json") {
    return err({
      code: "no_proof",
      message: `goal ${goalId} is ready but has no recorded proof.json`,
      fix: `resume it to rebuild the proof (omk goal resume ${goalId})`,
    });
  }
  const head = goal.headCommit;
  if (head === undefined) return err({ code: "no_head", message: `goal ${goalId} has no integrated head`, fix: `run it first (omk goal run ${goalId})` });
  const recorded = await store.append(goalId, () => [
    { type: "decision_recorded", actor: input.actor ?? "user", data: { decision, headCommit: head, ...(reason === undefined ? {} : { reason }) } },
  ]);
  if (!recorded.ok) return err({ code: recorded.error.code, message: recorded.error.message, fix: recorded.error.fix });
  return ok({ goalId, decision, headCommit: head, branch, mergeCommand, unchanged: false, changedFrom: earlier?.decision ?? null, reason: reason ?? null });
}

export function acceptGoal(input: DecisionInput): Promise<Result<Decision, ControllerProblem>> {
  return decide(input, "accepted");
}

export function rejectGoal(input: DecisionInput & { reason: string }): Promise<Result<Decision, ControllerProblem>> {
  if (input.reason.trim() === "") return Promise.resolve(err({ code: "invalid_input", message: "a rejection needs a reason", fix: 'pass --reason "<why>"' }));
  return decide(input, "rejected", input.reason);
}
