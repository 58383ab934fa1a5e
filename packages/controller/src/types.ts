/**
 * The controller's contract: what runGoal takes and emits, and the seams
 * between its modules (the engine provider, sessions and spend are @omk/sessions'). Every
 * module of this package codes against these types; change them only with
 * the lead's agreement.
 */
import type { EngineProvider } from "@omk/sessions";
import type { GoalStatus, GoalStore } from "@omk/state";
import type { z } from "zod";
import type { ControllerProblemSchema, PhaseOutcomeSchema, ReviewFindingSchema } from "./schemas/common.js";
import type { ControllerEventSchema } from "./schemas/event.js";

/** A problem the user can act on: what went wrong, and what to do. */
export type ControllerProblem = z.infer<typeof ControllerProblemSchema>;

/** A finding of the review phase. Blocking severities keep the goal not_ready. */
export type ReviewFinding = z.infer<typeof ReviewFindingSchema>;

/**
 * Progress of a run, for the CLI's live view and `--json` (one event a line,
 * docs/schemas/controller-event.schema.json). Packages never print; the CLI
 * renders these. Every event appended to the goal's log is also passed on as
 * `goal_event`. The schema is schemas/event.ts.
 */
export type ControllerEvent = z.infer<typeof ControllerEventSchema>;

/** How a phase ended: passed; failed; partial (execution: some tasks failed, others succeeded); skipped; stopped (paused or cancelled mid-phase). */
export type PhaseOutcome = z.infer<typeof PhaseOutcomeSchema>;

export type ControllerEventSink = (event: ControllerEvent) => void;

/**
 * How a run confines its engine sessions and the commands agents run:
 * `bwrap` (the path the CLI's probe found: probeConfinement in @omk/wire)
 * or `unconfined` (the user passed --unconfined). Recorded in proof.json and
 * failure.json.
 */
export type RunConfinement = import("@omk/proof").RunConfinement;

/** What runGoal (and resumeGoal) take. */
export type RunGoalOptions = {
  readonly store: GoalStore;
  /** The goal to drive: a new one (status created) or one to continue from its log. */
  readonly goalId: string;
  readonly engine: EngineProvider;
  /** After a not_ready verification or review, plan follow-ups and run again (bounded by maxRounds and the budgets). */
  readonly untilReady?: boolean;
  /** Rounds in all, the first included (default 3). */
  readonly maxRounds?: number;
  /** Stop after this phase with the goal left running-but-stopped (`omk goal plan` stops after oracle; `execute` after execution; `review` after review). Default: run to a terminal status. */
  readonly stopAfter?: "oracle" | "execution" | "review";
  /** Plan and freeze the oracle in memory, write nothing to the repository, report what would run. */
  readonly dryRun?: boolean;
  /** Aborting it pauses the goal cleanly (the CLI's first Ctrl-C); a second abort reason "cancel" cancels. */
  readonly signal?: AbortSignal;
  readonly onEvent?: ControllerEventSink;
  /** Environment of gates and engines (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How engine sessions and agent commands are confined (default: unconfined; the CLI always passes the probe's answer or --unconfined). */
  readonly confinement?: RunConfinement;
  /** Scheduler tuning for tests (lease, poll). */
  readonly scheduler?: { readonly leaseMs?: number; readonly pollMs?: number };
  /** Gates config file (default: .omk/gates.yaml in the repository, else detection). */
  readonly gatesConfig?: string;
  /** The shared dependency install cache every checkout's setup reuses (default `$XDG_CACHE_HOME/omk/deps`). */
  readonly depsCache?: string;
  /**
   * What this run was started with, recorded as run_options_recorded once the
   * run holds the goal (names and paths only, never secret values), so that
   * `omk goal resume` can run the goal the same way. Not recorded in a dry run.
   */
  readonly runOptions?: import("@omk/state").EventData<"run_options_recorded">;
  /** Actor written into events (default "controller"). */
  readonly actor?: string;
  /**
   * Literal secret values to keep out of everything the run writes (records,
   * failure.json, follow-up descriptions, prompts, transcripts, gate logs),
   * besides the values of secret-looking variables of `env` and token shapes.
   */
  readonly secrets?: readonly string[];
};

export type RunGoalResult = {
  readonly goalId: string;
  readonly status: GoalStatus;
  /** proof.json or failure.json, absolute; null when the run stopped without a terminal status. */
  readonly outcomeFile: string | null;
  readonly reason: string;
};
