/**
 * What a phase returns to the driver (driver/walk.ts): the name of the step
 * to run next, or the run's end. Every phase is `(ctx) => Promise<Step>`;
 * the driver walks the table of them, and only the driver checks for stops.
 */
import type { FailureCause, TerminalStatus } from "@omk/state";
import type { GoalRun } from "../context.js";
import type { RunGoalResult } from "../types.js";

/** The rows of the phase table, in the order a ready round walks them. */
const STEP_NAMES = [
  "intake",
  "planning",
  "oracle",
  "baseline",
  "execution",
  "merge",
  "verification",
  "review",
  "integration",
  "proof",
  "round-end",
  "next-round",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/**
 * A failure the driver records (endWithFailure: failure.json, run_finished).
 * `stoppable`: the failure may be a stop's doing (a session, checkout or
 * plan cut short by Ctrl-C, a pause or cancel, the budget): the driver looks
 * for a stop first and, when there is one, ends with it instead (reporting
 * the open phase `stopped`); else it reports the open phase `failed` with
 * `detail` and records the failure.
 */
export type Failure = {
  readonly status: Exclude<TerminalStatus, "ready">;
  readonly cause: FailureCause;
  readonly evidence?: readonly string[];
  readonly stoppable?: true;
  readonly detail?: string;
};

export type Step =
  /** Go on with this row of the table (after the driver's stop check). */
  | { readonly next: StepName }
  /** The run ends: as recorded already (ready, paused by the scheduler, a status another writer set), or with a failure the driver records. */
  | { readonly end: RunGoalResult | Failure };

export type PhaseStep = (ctx: GoalRun) => Promise<Step>;

export const next = (name: StepName): Step => ({ next: name });
export const end = (ending: RunGoalResult | Failure): Step => ({ end: ending });
export const isFailure = (ending: RunGoalResult | Failure): ending is Failure => "cause" in ending;
