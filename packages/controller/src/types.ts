/**
 * The controller's contract: what runGoal takes and emits, and the seams
 * between its modules (engine provider, sessions, evidence, review). Every
 * module of this package codes against these types; change them only with
 * the lead's agreement.
 */
import type { GoalStatus, GoalStore, Result } from "@omk/state";
import type { z } from "zod";
import type { ControllerProblemSchema, PhaseOutcomeSchema, ReviewFindingSchema, ReviewPassSchema, SpendReportSchema } from "./schemas/common.js";
import type { ControllerEventSchema } from "./schemas/event.js";

/** A problem the user can act on: what went wrong, and what to do. */
export type ControllerProblem = z.infer<typeof ControllerProblemSchema>;

/**
 * What an engine session is for. The engine provider picks the engine (and,
 * for the scripted engine, the scenario) from this.
 */
export type SessionPurpose =
  | { readonly kind: "intake" }
  | { readonly kind: "plan"; readonly round: number }
  | { readonly kind: "followups"; readonly round: number }
  | { readonly kind: "task"; readonly taskId: string; readonly attempt: number; readonly round: number }
  | { readonly kind: "review"; readonly reviewer: ReviewPass; readonly round: number };

/** The review passes (reviewer and security are always run; break-it when the engine offers it). */
export type ReviewPass = z.infer<typeof ReviewPassSchema>;

/** The key of a purpose in a script book (`task:implement#2`, `review:reviewer`, `plan`, `followups#2`). */
export type SessionKey = string;

/**
 * Chooses the engine for each session. Built by the CLI from `--engine`
 * (a preset such as kimi or gemini, or `scripted` with a script book).
 */
export type EngineProvider = {
  /** Short name shown to users ("scripted", "kimi", ...). */
  readonly name: string;
  /**
   * The engine spec for one session, or a problem naming what is missing
   * (e.g. the script book has no session for `task:implement`).
   * `runDir` is the session's own folder (runs/<task>/<attempt>/, reviews/, plan/), where a scenario file may be written.
   */
  specFor(purpose: SessionPurpose, runDir: string): Result<import("@omk/wire").EngineSpecInput, ControllerProblem>;
  /** Prices of this engine's models (from the config), merged over the default price table. */
  readonly priceTable?: import("@omk/wire").PriceTable;
  /** Literal values this engine was given (a config's `{ from: VAR }` values): redacted from its transcripts and events like the run's own secrets. */
  readonly secrets?: readonly string[];
  /**
   * Whether the engine reports a turn's usage only when the turn ends (most
   * ACP engines; not Kimi, whose session log is read as the turn runs). Such
   * a session cannot be stopped at its cap mid-turn, so its task gets a
   * smaller reservation (task-caps.ts: one reservation of the room is kept
   * for the overshoot). Absent: as true.
   */
  readonly usageAtTurnEnd?: boolean;
  /**
   * How this engine's sessions are confined, with OMK's state root and the
   * user's repository (set by runGoal from RunGoalOptions.confinement; absent:
   * unconfined). See internal/confinement.ts.
   */
  readonly confinement?: { readonly run: RunConfinement; readonly stateRoot: string; readonly repo: string };
  /** Whether this purpose has an engine at all (a script book may omit plan, followups and break-it: then the deterministic path is used or the pass is skipped). */
  offers(purpose: SessionPurpose): boolean;
};

/**
 * Usage of one session or task, normalized. `usd` null: unknown cost (never taken as zero).
 * `quality`: how far the tokens can be trusted (wire's TurnResult.usageQuality): exact, partial (a lower bound), or unknown
 * (nothing was reported: the zeros are not known zeros). Set on a whole session's figures; absent on increments.
 */
export type SpendReport = z.infer<typeof SpendReportSchema>;

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
