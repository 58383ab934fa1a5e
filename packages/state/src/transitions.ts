import type { Goal } from "./schemas/goal.js";
import { GOAL_STATUSES, type GoalStatus, PHASES, type Phase } from "./schemas/status.js";
import { err, ok, type Result } from "@omk/core";

/**
 * THE transition table of goal statuses (architecture: goal lifecycle).
 * `true` is always allowed; a guard names the condition the goal must meet.
 *  - budget_extended: `budget-add` was recorded since the budget ran out.
 *  - amended: the goal text or an answer was recorded since it blocked.
 *  - new_run: the caller starts a new run on purpose (a ready goal is never
 *    re-verified into not_ready by accident).
 */
export type TransitionGuard = "budget_extended" | "amended" | "new_run";

export const STATUS_TRANSITIONS: Readonly<Record<GoalStatus, Partial<Record<GoalStatus, true | TransitionGuard>>>> = {
  created: { running: true, paused: true, cancelled: true },
  running: {
    paused: true,
    ready: true,
    not_ready: true,
    blocked_on_human: true,
    blocked_on_external: true,
    needs_more_budget: true,
    failed_infra: true,
    cancelled: true,
  },
  paused: { running: true, needs_more_budget: true, cancelled: true },
  ready: { running: "new_run" },
  not_ready: { running: true, cancelled: true },
  blocked_on_human: { running: "amended", cancelled: true },
  blocked_on_external: { running: true, cancelled: true },
  needs_more_budget: { running: "budget_extended", cancelled: true },
  failed_infra: { running: true, cancelled: true },
  cancelled: {},
};

/**
 * Phases move forward in order; `delivery` is optional; a follow-up round of
 * --until-ready goes back from verification, review, integration or proof
 * to planning (or from verification straight back to execution).
 */
export const PHASE_TRANSITIONS: Readonly<Record<Phase | "none", readonly Phase[]>> = {
  none: ["intake"],
  intake: ["planning"],
  planning: ["oracle"],
  oracle: ["baseline"],
  baseline: ["execution"],
  execution: ["verification"],
  verification: ["review", "planning", "execution"],
  review: ["integration", "planning"],
  integration: ["delivery", "proof", "planning"],
  delivery: ["proof"],
  proof: ["planning"],
};

export type TransitionError = {
  code: "illegal_transition" | "illegal_phase" | "guard_failed";
  message: string;
  fix: string;
  from: string;
  to: string;
};

const GUARD_FIX: Record<TransitionGuard, string> = {
  budget_extended: "add budget first: omk goal budget-add <id> --time 30m|--tokens N|--usd X",
  amended: "answer the open questions or amend the goal first",
  new_run: "start a new run on purpose (omk goal run <id>); a ready goal is not re-run otherwise",
};

function guardHolds(goal: Goal, guard: TransitionGuard, newRun: boolean): boolean {
  switch (guard) {
    case "budget_extended":
      return goal.flags.budgetExtendedSinceExhausted;
    case "amended":
      return goal.flags.amendedSinceBlocked;
    case "new_run":
      return newRun;
  }
}

/** Whether `goal` may move to status `to`; an error value names why not and the fix. */
export function checkStatusTransition(goal: Goal, to: GoalStatus, options: { newRun?: boolean } = {}): Result<true, TransitionError> {
  const from = goal.status;
  const rule = STATUS_TRANSITIONS[from][to];
  if (rule === undefined) {
    const allowed = Object.keys(STATUS_TRANSITIONS[from]);
    return err({
      code: "illegal_transition",
      from,
      to,
      message: from === to ? `goal is already ${from}` : `a ${from} goal cannot become ${to}`,
      fix: allowed.length === 0 ? `${from} is final; create a new goal` : `from ${from} a goal can become: ${allowed.join(", ")}`,
    });
  }
  if (rule !== true && !guardHolds(goal, rule, options.newRun === true)) {
    return err({ code: "guard_failed", from, to, message: `a ${from} goal cannot become ${to} yet`, fix: GUARD_FIX[rule] });
  }
  return ok(true);
}

export function checkPhaseTransition(goal: Goal, to: Phase): Result<true, TransitionError> {
  const from = goal.phase ?? "none";
  if (goal.status !== "running") {
    return err({ code: "illegal_phase", from, to, message: `phases change only while running; goal is ${goal.status}`, fix: "resume the goal first" });
  }
  if (!PHASE_TRANSITIONS[from].includes(to)) {
    return err({
      code: "illegal_phase",
      from,
      to,
      message: `phase ${from} cannot be followed by ${to}`,
      fix: `after ${from} comes one of: ${PHASE_TRANSITIONS[from].join(", ")}`,
    });
  }
  return ok(true);
}

/** Every (from, to) status pair, for exhaustive tests and docs. */
export function allStatusPairs(): Array<[GoalStatus, GoalStatus]> {
  return GOAL_STATUSES.flatMap((from) => GOAL_STATUSES.map((to): [GoalStatus, GoalStatus] => [from, to]));
}

export function allPhasePairs(): Array<[Phase | "none", Phase]> {
  return (["none", ...PHASES] as const).flatMap((from) => PHASES.map((to): [Phase | "none", Phase] => [from, to]));
}
