/**
 * The seams of engine sessions: what a session is for, how an engine is
 * chosen for it, what it reports. Every module of this package codes against
 * these types; the controller passes an EngineProvider in and receives these
 * shapes back.
 */
import type { RunConfinement } from "@omk/proof";
import type { Result } from "@omk/core";
import type { EngineSpecInput, PriceTable } from "@omk/wire";
import type { z } from "zod";
import type { ProblemSchema, ReviewPassSchema, ScopeRefusedEventSchema, SpendReportSchema, TaskUpdateEventSchema } from "./schemas.js";

/** A problem the user can act on: what went wrong, and what to do. */
export type SessionProblem = z.infer<typeof ProblemSchema>;

/** The review passes (reviewer and security are always run; break-it when the engine offers it). */
export type ReviewPass = z.infer<typeof ReviewPassSchema>;

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
  specFor(purpose: SessionPurpose, runDir: string): Result<EngineSpecInput, SessionProblem>;
  /** Prices of this engine's models (from the config), merged over the default price table. */
  readonly priceTable?: PriceTable;
  /** Literal values this engine was given (a config's `{ from: VAR }` values): redacted from its transcripts and events like the run's own secrets. */
  readonly secrets?: readonly string[];
  /**
   * Whether the engine reports a turn's usage only when the turn ends (most
   * ACP engines; not Kimi, whose session log is read as the turn runs). Such
   * a session cannot be stopped at its cap mid-turn, so its task gets a
   * smaller reservation (@omk/controller's internal/task-caps.ts: one reservation of the room is kept
   * for the overshoot). Absent: as true.
   */
  readonly usageAtTurnEnd?: boolean;
  /**
   * How this engine's sessions are confined, with OMK's state root and the
   * user's repository (set by the controller's runGoal from its confinement
   * option; absent: unconfined). See @omk/proof's confinement.ts.
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

/** What a task attempt reports as it runs (the controller passes these on as its own events). */
export type TaskEvent = z.infer<typeof TaskUpdateEventSchema> | z.infer<typeof ScopeRefusedEventSchema>;

export type TaskEventSink = (event: TaskEvent) => void;
