/**
 * What every phase of a run shares (GoalRun): the store and goal, the
 * engine, the event sink, the one helper through which the controller
 * appends to the goal's log (so every appended event is also passed on as
 * `goal_event`), and what the current round has found so far (intake,
 * integrated, verified, verdict, followUps), which the phases set and the
 * next phases read.
 */
import path from "node:path";
import { createRedactor, type Redactor, type Result } from "@omk/core";
import type { Evaluation, EvidenceSet, OracleBuild } from "@omk/oracle";
import type { ClassifiedIntake, RepoInspection } from "@omk/planner";
import type { FailureCause, GateDescriptor, GateEvidence, Goal, GoalEvent, GoalStore, NewEvent, Phase, StoreError } from "@omk/state";
import { taskWorktreeDir } from "@omk/worktree";
import { type RedactedFiles, redactedFiles, type CheckoutDeps, runSetupConfig, checkoutConfinement } from "@omk/proof";
import type { FailingItem, RoundVerdict } from "./internal/run-verdict.js";
import type { ControllerEvent, ControllerEventSink, ControllerProblem, RunGoalOptions } from "./types.js";
import {
  type EngineProvider,
  estimateTokens,
  type SpendEstimate,
  type SpendReport,
  sessionSpendEvent,
  unknownSpendEstimate,
  unknownUsageWarning,
} from "@omk/sessions";

/** The goal read for this run (phases/intake.ts readIntake): what the repository is, the goal's class, its gates and oracle. */
export type GoalIntake = {
  readonly inspection: RepoInspection;
  readonly intake: ClassifiedIntake;
  readonly gates: GateDescriptor[];
  readonly oracle: OracleBuild;
};

/** The goal cannot be read without a person: the questions that unblock it. */
export type IntakeBlocked = {
  readonly blocked: true;
  readonly questions: readonly string[];
  readonly message: string;
  /** The cause to record when it is not a question (a broken gates config: config_invalid). */
  readonly cause?: FailureCause;
};

/** The round's merge (phases/integration.ts): the integrated head, and the tasks left out for conflicts. */
export type Integrated = { readonly head: string; readonly conflicts: readonly FailingItem[] };

/** The round's verification (phases/verification.ts, or read back on a resume: driver/read-back.ts). */
export type Verified = {
  readonly verdict: RoundVerdict;
  readonly headCommit: string;
  readonly gates: readonly GateEvidence[];
  readonly evaluation: Evaluation | null;
  readonly headSet: EvidenceSet | null;
  readonly baseSet: EvidenceSet | null;
  readonly headFile: string | null;
};

/** The shared state of one runGoal call. Phases read `goal` fresh through `refresh()`. */
export type GoalRun = {
  readonly store: GoalStore;
  readonly goalId: string;
  readonly engine: EngineProvider;
  readonly options: RunGoalOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly actor: string;
  /** `<state root>/goals/<id>`. */
  readonly goalDir: string;
  /** The repository (the goal's repoRoot). */
  readonly repo: string;
  /** The goal's base commit (resolved at the start of the run). */
  readonly baseCommit: string;
  readonly signal: AbortSignal | undefined;
  /** Literal secret values kept out of prompts and transcripts (RunGoalOptions.secrets). */
  readonly secrets: readonly string[];
  /**
   * The run's one redactor: secret-looking values of `env`, the literal
   * `secrets` and token shapes. Every failing item, cause and follow-up
   * description goes through it before it is written anywhere.
   */
  readonly redactor: Redactor;
  /** The one way a phase writes a file under the goal dir: through `redactor` (@omk/proof, internal/redacted-files.ts). */
  readonly files: RedactedFiles;
  /** `env` plus the literal secrets under secret-looking names: gates withhold such variables from gate processes and redact their values from the logs. */
  readonly gateEnv: Readonly<Record<string, string | undefined>>;
  /** How every checkout of the run gets its dependencies (@omk/proof, internal/checkout-deps.ts); each setup is recorded in setup.jsonl. */
  readonly deps: CheckoutDeps;
  /** The goal as last read or written. */
  goal: Goal;
  /** The current round (1 for the first). */
  round: number;
  /** The goal as read for this run: set once, by the intake phase or (a run resumed past intake) by the driver. */
  intake: GoalIntake | IntakeBlocked | null;
  /** This round's merge (the integration phase's merge step); null until it ran in this run. */
  integrated: Integrated | null;
  /** This round's verification; null until it ran (or was read back) in this run. */
  verified: Verified | null;
  /** This round's verdict as it stands: verification's, then review's (rounds/r<n>.json holds it too). */
  verdict: RoundVerdict | null;
  /** What the review proposed for the next round's follow-ups. */
  followUps: readonly unknown[];
  /** The phase entered and not yet reported finished (internal/run-phase.ts): the driver reports it stopped when a stop ends the run there. */
  openPhase: Phase | null;
  emit(event: ControllerEvent): void;
  /** Append events to the goal's log; every appended event is emitted as `goal_event`. */
  append(events: NewEvent[] | ((goal: Goal | undefined) => NewEvent[])): Promise<Result<Goal, StoreError>>;
  /** Re-read the goal from the store. */
  refresh(): Promise<Goal>;
  /** Record usage of a session run outside the scheduler (planning, follow-ups, reviews). */
  recordSpend(source: string, spend: SpendReport): Promise<void>;
  /**
   * Record a whole session's spend and its quality (session_spend_recorded); proof.json lists every session.
   * A session of unknown usage, when the goal has a token or USD limit, is charged `cap` (usage_recorded from
   * `estimate:<session>`), and the record says so (`estimate`); not when the run was stopped (pause, cancel).
   */
  recordSessionSpend(session: string, spend: SpendReport, cap?: SpendEstimate): Promise<void>;
  /** Warn once per run that the engine reports no usage (a session was charged an estimate). */
  warnUnknownUsage(): void;
  /** Where a task's worktree goes. */
  worktreeDir(taskId: string): string;
  /** The commit a task of the current round starts from: the base in round 1, the last integrated head after. */
  startCommit(): string;
};

/** The sink with a guard: a throwing listener never breaks the run. */
export function safeSink(onEvent: ControllerEventSink | undefined): (event: ControllerEvent) => void {
  return (event) => {
    if (onEvent === undefined) return;
    try {
      onEvent(event);
    } catch {
      // The live view's problems are not the run's.
    }
  };
}

/** Emit the events a store write just appended (the tail of the log after `beforeSeq`). */
function emitAppended(emit: (event: ControllerEvent) => void, events: readonly GoalEvent[], beforeSeq: number): void {
  for (const event of events) if (event.seq > beforeSeq) emit({ type: "goal_event", event });
}

export function createGoalRun(input: { options: RunGoalOptions; goal: Goal; baseCommit: string; emit: (event: ControllerEvent) => void }): GoalRun {
  const { options } = input;
  const store = options.store;
  const goalId = options.goalId;
  const env = options.env ?? process.env;
  // The run's own secrets and the engine's (a config's `{ from: VAR }` values): one redactor keeps both out of every file OMK writes.
  const secrets = [...new Set([...(options.secrets ?? []), ...(options.engine.secrets ?? [])])].filter((s) => s.trim() !== "");
  let warnedUnknownUsage = false;
  const redactor = createRedactor({ env: { ...env }, values: secrets });
  const literalEnv = Object.fromEntries(secrets.map((value, i) => [`OMK_LITERAL_SECRET_${i + 1}`, value]));
  // Setup, gates and the oracle's checks run the agent's code: in the same sandbox as its own commands (undefined: --unconfined).
  const confine = checkoutConfinement(options.confinement, { stateRoot: store.root, repo: input.goal.repoRoot });
  const ctx: GoalRun = {
    store,
    goalId,
    // Every session of the run reads its sandbox from the provider (runSession): one place, no call site can forget it.
    engine:
      options.confinement === undefined
        ? options.engine
        : { ...options.engine, confinement: { run: options.confinement, stateRoot: store.root, repo: input.goal.repoRoot } },
    options,
    env,
    actor: options.actor ?? "controller",
    goalDir: store.paths(goalId).dir,
    repo: input.goal.repoRoot,
    baseCommit: input.baseCommit,
    signal: options.signal,
    secrets,
    redactor,
    files: redactedFiles(redactor),
    gateEnv: { ...env, ...literalEnv },
    deps: {
      env: { ...env, ...literalEnv },
      recordFile: path.join(store.paths(goalId).dir, "setup.jsonl"),
      note: (message) => input.emit({ type: "note", level: "info", message }),
      ...(options.depsCache === undefined ? {} : { cacheDir: options.depsCache }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.gatesConfig === undefined ? {} : { gatesConfig: options.gatesConfig }),
      setup: runSetupConfig(input.goal.repoRoot, options.gatesConfig),
      ...(confine === undefined ? {} : { confine }),
    },
    goal: input.goal,
    round: input.goal.round ?? 1,
    intake: null,
    integrated: null,
    verified: null,
    verdict: null,
    followUps: [],
    openPhase: null,
    emit: input.emit,
    async append(events) {
      let drafts: NewEvent[] = [];
      const result = await store.append(goalId, (goal) => {
        drafts = typeof events === "function" ? events(goal) : events;
        return drafts;
      });
      if (result.ok) {
        ctx.goal = result.value;
        const first = result.value.lastSeq - drafts.length + 1;
        for (const [i, draft] of drafts.entries())
          ctx.emit({ type: "goal_event", event: { v: 1, seq: first + i, ts: result.value.updatedAt, ...draft } as GoalEvent });
      }
      return result;
    },
    async refresh() {
      const before = ctx.goal.lastSeq;
      ctx.goal = await store.readGoal(goalId);
      await emitNewEvents(ctx, before);
      return ctx.goal;
    },
    async recordSpend(source, spend) {
      const tokens = spend.tokens;
      if (tokens.input + tokens.output + tokens.cacheRead + tokens.cacheWrite === 0 && (spend.usd ?? 0) === 0) return;
      const before = ctx.goal.lastSeq;
      const result = await store.recordUsage(goalId, { source, tokens, ...(spend.usd === null ? {} : { usd: spend.usd }) }, ctx.actor);
      if (result.ok) {
        ctx.goal = result.value;
        await emitNewEvents(ctx, before);
        return;
      }
      // Usage the log cannot hold is never dropped: uncharged usage would let the goal run past its budget.
      // The goal stops (failed_infra, the store's error); the meters see it is not running and abort their sessions.
      const message = ctx.redactor.redact(`recording the usage of ${source} failed: ${result.error.message} (fix: ${result.error.fix})`);
      ctx.emit({ type: "note", level: "warn", message });
      await store.transition(goalId, "failed_infra", { actor: ctx.actor, cause: { code: "infra_error", message }, reason: message });
      await ctx.refresh();
    },
    async recordSessionSpend(session, spend, cap) {
      // A session the user stopped (pause, cancel: the run's signal) is not estimated (docs/decisions/controller.md 23).
      const estimate = cap === undefined || ctx.signal?.aborted === true ? undefined : unknownSpendEstimate(spend, cap, ctx.goal.budget.limits);
      if (estimate !== undefined) {
        ctx.warnUnknownUsage();
        await ctx.recordSpend(`estimate:${session}`, { tokens: estimateTokens(estimate), usd: estimate.usd });
      }
      const r = await ctx.append([sessionSpendEvent(session, spend, ctx.actor, undefined, estimate)]);
      if (!r.ok) ctx.emit({ type: "note", level: "warn", message: `could not record the spend of session ${session}: ${r.error.message}` });
    },
    warnUnknownUsage() {
      if (warnedUnknownUsage) return;
      warnedUnknownUsage = true;
      ctx.emit({ type: "note", level: "warn", message: unknownUsageWarning(options.engine.name) });
    },
    worktreeDir: (taskId) => taskWorktreeDir(store.root, goalId, taskId),
    startCommit: () => ctx.goal.headCommit ?? ctx.baseCommit,
  };
  return ctx;
}

/** Emit every event after `before` (ours and other writers': scheduler batches, pause requests). */
async function emitNewEvents(ctx: GoalRun, before: number): Promise<void> {
  if (ctx.goal.lastSeq <= before) return;
  const events = await ctx.store.readEvents(ctx.goalId);
  emitAppended(ctx.emit, events, before);
}

/** A problem value. */
function _problem(code: string, message: string, fix: string): ControllerProblem {
  return { code, message, fix };
}

/** A path relative to the goal dir (evidence paths in events and records). */
export function relToGoal(ctx: Pick<GoalRun, "goalDir">, file: string): string {
  return path.relative(ctx.goalDir, file).split(path.sep).join("/");
}
