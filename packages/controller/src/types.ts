/**
 * The controller's contract: what runGoal takes and emits, and the seams
 * between its modules (engine provider, sessions, evidence, review). Every
 * module of this package codes against these types; change them only with
 * the lead's agreement.
 */
import type { GateEvidence, GoalStatus, GoalStore, Phase, Result, TokenUsage } from "@omk/state";

/** A problem the user can act on: what went wrong, and what to do. */
export type ControllerProblem = {
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  /** Where the problem is, when it has a place (a config file's path, line and column). */
  readonly details?: Readonly<Record<string, unknown>>;
};

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
export type ReviewPass = "reviewer" | "security-reviewer" | "break-it";

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
export type SpendReport = { readonly tokens: TokenUsage; readonly usd: number | null; readonly quality?: UsageQuality };

/** How far usage figures can be trusted, weakest last. */
export type UsageQuality = "exact" | "partial" | "unknown";

/** A finding of the review phase. Blocking severities keep the goal not_ready. */
export type ReviewFinding = {
  readonly source: "reviewer" | "security-reviewer" | "break-it" | "tamper" | "dependency" | "secret" | "scope";
  readonly severity: "blocker" | "major" | "minor" | "info";
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  /** Deterministic findings (tamper, dependency, secret, scope) cannot be waived by any engine. */
  readonly waivable: boolean;
};

/** Severities that block `ready`. */
export const BLOCKING_SEVERITIES = ["blocker", "major"] as const;

/**
 * Progress of a run, for the CLI's live view and `--json`. Packages never
 * print; the CLI renders these. Every event appended to the goal's log is
 * also passed on as `goal_event`.
 */
export type ControllerEvent =
  | { readonly type: "run_started"; readonly goalId: string; readonly engine: string; readonly resumed: boolean; readonly round: number }
  | { readonly type: "phase_started"; readonly phase: Phase; readonly round: number; readonly detail?: string }
  | { readonly type: "phase_finished"; readonly phase: Phase; readonly round: number; readonly outcome: PhaseOutcome; readonly detail?: string }
  | { readonly type: "round_started"; readonly round: number; readonly reason: string; readonly followUps: readonly string[] }
  | {
      readonly type: "task_update";
      readonly taskId: string;
      readonly title: string;
      readonly role: string;
      readonly round: number;
      readonly attempt: number;
      readonly state: "queued" | "running" | "succeeded" | "failed" | "retrying" | "blocked" | "cancelled" | "interrupted";
      readonly engine?: string;
      readonly tokens?: number;
      readonly usd?: number | null;
      /** How far `tokens` and `usd` can be trusted once the session ended (absent while it runs): a 0 that is not "exact" is not a known 0. */
      readonly usageQuality?: UsageQuality;
      readonly message?: string;
    }
  | { readonly type: "gate_finished"; readonly where: "baseline" | "head" | "proof"; readonly gate: GateEvidence }
  | { readonly type: "scope_refused"; readonly taskId: string; readonly attempt: number; readonly path: string; readonly reason: string }
  | { readonly type: "review_finished"; readonly pass: ReviewPass | "deterministic"; readonly verdict: "passed" | "blocked"; readonly findings: number; readonly blocking: number }
  | { readonly type: "note"; readonly level: "info" | "warn"; readonly message: string }
  /** The working tree had uncommitted files when the run started: they are left out (the run works from commits). Not an error. */
  | { readonly type: "tree_dirty"; readonly files: readonly string[]; readonly more: number; readonly baseCommit: string; readonly message: string }
  | { readonly type: "goal_event"; readonly event: import("@omk/state").GoalEvent }
  | {
      readonly type: "run_finished";
      readonly goalId: string;
      readonly status: GoalStatus;
      /** Absolute path of proof.json or failure.json; null when the run stopped without a terminal status (paused, interrupted). */
      readonly outcomeFile: string | null;
      readonly reason: string;
    };

/** How a phase ended: passed; failed; partial (execution: some tasks failed, others succeeded); skipped; stopped (paused or cancelled mid-phase). */
export type PhaseOutcome = "passed" | "failed" | "partial" | "skipped" | "stopped";

export type ControllerEventSink = (event: ControllerEvent) => void;

/**
 * How a run confines its engine sessions and the commands agents run:
 * `bwrap` (the path the CLI's probe found: probeConfinement in @omk/wire)
 * or `unconfined` (the user passed --unconfined). Recorded in proof.json and
 * failure.json.
 */
export type RunConfinement = { readonly mode: "bwrap"; readonly bwrap: string } | { readonly mode: "unconfined" };

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
