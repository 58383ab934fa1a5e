import { z } from "zod";
import { IdSchema } from "../ids.js";
import { BudgetDimensionSchema, BudgetExtensionSchema, SessionSpendSchema, TokenUsageSchema } from "./budget.js";
import { CommitShaSchema, ConfinementModeSchema, NonNegativeIntSchema, PositiveIntSchema, SCHEMA_VERSION, Sha256Schema, TimestampSchema } from "./common.js";
import { GateEvidenceSchema } from "./evidence.js";
import { GoalSpecSchema } from "./goal.js";
import { LockOwnerSchema } from "./lock.js";
import { GoalClassSchema, IntakeDecisionSchema, OracleSchema } from "./oracle.js";
import { CriterionVerdictSchema, FailureCauseSchema } from "./outcome.js";
import { GoalStatusSchema, PhaseSchema } from "./status.js";
import { LeaseSchema, TaskBudgetSchema, TaskGraphSchema, TaskSchema } from "./task.js";

/** What one task attempt spent (scheduler events); unknown USD is flagged, never taken as zero. */
const TASK_SPEND = z.object({ tokens: NonNegativeIntSchema, usd: z.number().nonnegative().finite(), usdUnknown: z.boolean() });

/** The run options a goal remembers (`omk goal resume` uses them; flags given to it override them). */
const RUN_OPTION_NAMES = ["engine", "model", "script", "untilReady", "maxRounds", "gatesConfig"] as const;

/** Event payloads by type. The log is the source of truth; goal.json is folded from it. */
const EventPayloadSchemas = {
  goal_created: z.object({ goal: GoalSpecSchema }),
  status_changed: z.object({
    from: GoalStatusSchema,
    to: GoalStatusSchema,
    reason: z.string().optional(),
    cause: FailureCauseSchema.optional(),
    /** A `ready` goal is re-run only on purpose (architecture: lifecycle). */
    newRun: z.boolean().optional(),
  }),
  phase_changed: z.object({ from: PhaseSchema.nullable(), to: PhaseSchema }),
  usage_recorded: z.object({
    source: z.string().min(1),
    taskId: IdSchema.optional(),
    tokens: TokenUsageSchema,
    usd: z.number().nonnegative().finite().optional().describe("absent when the cost is unknown"),
  }),
  budget_extended: z.object({ add: BudgetExtensionSchema }),
  /** A whole engine session's spend and its quality (the tokens themselves are counted by usage_recorded as they arrive). */
  session_spend_recorded: SessionSpendSchema,
  /** What a run was started with (no secret values: names and paths only); `omk goal resume` and `goal run <id>` reuse the last one. */
  run_options_recorded: z.object({
    engine: z.string().min(1).describe("the engine's name (a preset, a configured engine, or scripted)"),
    model: z.string().min(1).optional(),
    script: z.string().min(1).optional().describe("absolute path of the script book (scripted engine)"),
    untilReady: z.boolean(),
    maxRounds: PositiveIntSchema.optional(),
    gatesConfig: z.string().min(1).optional().describe("absolute path of the gates config"),
    overridden: z.array(z.enum(RUN_OPTION_NAMES)).describe("options given as flags that changed what the goal ran with before; empty on the first run"),
    confinement: ConfinementModeSchema.optional().describe(
      "how this run's engine sessions and agent commands were confined: bwrap (a bubblewrap sandbox) or unconfined (--unconfined)",
    ),
  }),
  /** The working tree had uncommitted files when a run started: left out, since a run works from commits (named, not an error). */
  worktree_dirty_noted: z.object({
    files: z.array(z.string().min(1)).min(1).describe("up to 10 of them, in git status order"),
    more: NonNegativeIntSchema.describe("files not listed"),
    baseCommit: CommitShaSchema.describe("the commit the run starts from"),
  }),
  goal_amended: z
    .object({ text: z.string().min(1).optional(), answer: z.string().min(1).optional() })
    .refine((v) => v.text !== undefined || v.answer !== undefined, { message: "an amendment needs text or answer" }),
  task_graph_set: z.object({ graph: TaskGraphSchema }),
  outcome_recorded: z.object({ file: z.enum(["proof.json", "failure.json"]), sha256: Sha256Schema }),
  lock_acquired: z.object({ owner: LockOwnerSchema }),
  lock_taken_over: z.object({ previous: LockOwnerSchema, owner: LockOwnerSchema, reason: z.enum(["pid_dead", "heartbeat_stale"]) }),
  lock_released: z.object({ owner: LockOwnerSchema }),
  /** Lines that failed the chain or the MAC were set aside by `omk goal replay --quarantine` (never folded). */
  log_quarantined: z.object({
    fromLine: PositiveIntSchema.describe("the first line set aside"),
    droppedBytes: z.number().int().positive(),
    sha256: Sha256Schema,
    savedTo: z.string().describe("file beside the log that keeps the lines set aside"),
    reason: z.string().min(1),
  }),
  log_repaired: z.object({
    droppedBytes: z.number().int().positive(),
    sha256: Sha256Schema,
    savedTo: z.string().describe("file beside the log that keeps the dropped bytes"),
  }),
  /**
   * How intake classified the goal when the deterministic classifier was unsure and the engine was asked
   * (docs/decisions/planner.md): both readings, who decided and why. A resumed run reuses it for the same text.
   */
  intake_decided: IntakeDecisionSchema,
  plan_recorded: z.object({
    goalClass: GoalClassSchema,
    classes: z.array(GoalClassSchema).min(1),
    strategy: z.enum(["deterministic", "engine"]),
    attempts: z.number().int().positive().describe("engine answers asked for; 1 for the deterministic planner"),
    tasks: z.number().int().nonnegative(),
    artifacts: z.array(z.object({ file: z.string().min(1), sha256: Sha256Schema })).describe("files written under plan/"),
  }),
  oracle_frozen: z.object({ revision: z.literal(1), hash: Sha256Schema, oracle: OracleSchema }),
  oracle_revised: z.object({
    revision: z.number().int().min(2),
    hash: Sha256Schema,
    previousHash: Sha256Schema,
    reason: z.string().min(1),
    oracle: OracleSchema,
  }),
  task_graph_mutated: z.object({
    proposedBy: IdSchema.describe("the task whose agent proposed the follow-up"),
    reason: z.string().min(1),
    added: z.array(TaskSchema).min(1),
  }),
  // @omk/scheduler: every decision about a task; reduce.ts keeps task statuses on goal.taskGraph.
  task_run_started: z.object({
    tasks: NonNegativeIntSchema,
    concurrency: PositiveIntSchema,
    workers: z.array(z.string().min(1)).min(1),
    recovered: z.boolean().describe("continues the log of an earlier run"),
  }),
  task_dispatched: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    worker: z.string().min(1),
    lease: LeaseSchema,
    reservation: TaskBudgetSchema.describe("the task's caps, reserved from the goal's remaining budget"),
  }),
  task_succeeded: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    worker: z.string().min(1),
    durationMs: NonNegativeIntSchema,
    usage: TASK_SPEND,
    evidence: z.array(z.string()),
  }),
  task_failed: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    worker: z.string().min(1),
    signature: z.string().min(1).describe("the normalized error: the same failure gives the same signature"),
    message: z.string(),
    retryable: z.boolean(),
    decision: z.enum(["retry", "give_up", "stagnated"]),
    retryAt: TimestampSchema.optional().describe("when the retry may start (decision retry)"),
    usage: TASK_SPEND,
  }),
  task_recovered: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema.describe("the attempt that was running when the controller stopped"),
    worker: z.string().min(1),
    decision: z.enum(["retry", "stagnated"]),
  }),
  task_worker_dead: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    worker: z.string().min(1),
    reason: z.enum(["lease_expired", "abort_ignored"]),
    expiredAt: TimestampSchema,
  }),
  task_late_result_ignored: z.object({ taskId: IdSchema, attempt: PositiveIntSchema, worker: z.string().min(1), result: z.enum(["succeeded", "failed"]) }),
  task_interrupted: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    worker: z.string().min(1),
    reason: z.enum(["paused", "goal_stopped", "shutdown", "no_live_workers", "event_log_failed"]),
  }),
  task_cancelled: z.object({ taskId: IdSchema, attempt: PositiveIntSchema.nullable(), reason: z.string().min(1) }),
  task_blocked: z.object({ taskId: IdSchema, blockedBy: z.array(IdSchema).min(1) }),
  task_budget_breached: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    dimension: BudgetDimensionSchema,
    limit: z.number().nonnegative(),
    used: z.number().nonnegative(),
  }),
  task_budget_refused: z.object({ taskId: IdSchema, dimension: BudgetDimensionSchema, needed: z.number().nonnegative(), available: z.number().nonnegative() }),
  task_followups_rejected: z.object({ proposedBy: IdSchema, count: PositiveIntSchema, reason: z.string().min(1) }),
  task_run_finished: z.object({
    outcome: z.enum(["completed", "paused", "cancelled", "needs_more_budget", "failed_infra", "stopped", "interrupted"]),
    reason: z.string(),
    counts: z.object({
      done: NonNegativeIntSchema,
      failed: NonNegativeIntSchema,
      blocked: NonNegativeIntSchema,
      cancelled: NonNegativeIntSchema,
      pending: NonNegativeIntSchema,
    }),
  }),
  /** One run of the verification wall (`omk goal verify`): the evidence of every gate and where the full report is. */
  verification_recorded: z.object({
    runId: z.string().min(1),
    verdict: z.enum(["passed", "failed"]).describe("passed: every required gate passed (judged against the base when one is named)"),
    commit: CommitShaSchema,
    dirty: z.boolean(),
    base: z
      .object({ ref: z.string().min(1), commit: CommitShaSchema })
      .nullable()
      .describe("the baseline the gates were compared with, if any"),
    gates: z.array(GateEvidenceSchema),
    report: z.object({ path: z.string().min(1).describe("relative to the goal dir"), sha256: Sha256Schema }),
  }),
  // @omk/controller: rounds, baseline, integration, evaluation, reviews, the integrator's decision.
  round_started: z.object({
    round: PositiveIntSchema,
    reason: z.string().min(1),
    followUps: z.array(IdSchema).describe("ids of the follow-up tasks this round runs"),
  }),
  baseline_recorded: z.object({
    oracleHash: Sha256Schema,
    commit: CommitShaSchema,
    gates: z.array(GateEvidenceSchema),
    evidence: z.object({ path: z.string().min(1).describe("the base EvidenceSet, relative to the goal dir"), sha256: Sha256Schema }),
  }),
  integration_recorded: z.discriminatedUnion("outcome", [
    z.object({
      outcome: z.literal("integrated"),
      round: PositiveIntSchema,
      branch: z.string().min(1),
      head: CommitShaSchema,
      merged: z.array(z.object({ taskId: IdSchema, commit: CommitShaSchema })),
    }),
    z.object({
      outcome: z.literal("conflict"),
      round: PositiveIntSchema,
      branch: z.string().min(1),
      taskId: IdSchema,
      files: z.array(z.string()),
      conflictsWith: z.array(IdSchema),
      message: z.string(),
    }),
  ]),
  oracle_evaluated: z.object({
    round: PositiveIntSchema,
    oracleHash: Sha256Schema,
    headCommit: CommitShaSchema,
    ready: z.boolean(),
    counts: z.record(z.string(), NonNegativeIntSchema).describe("criteria per verdict"),
    criteria: z.array(CriterionVerdictSchema.extend({ reason: z.string().optional() })),
    evidence: z.array(z.object({ path: z.string().min(1), sha256: Sha256Schema })),
  }),
  review_recorded: z.object({
    round: PositiveIntSchema,
    pass: z.enum(["reviewer", "security-reviewer", "break-it", "deterministic"]),
    verdict: z.enum(["passed", "blocked"]),
    findings: NonNegativeIntSchema,
    blocking: NonNegativeIntSchema,
    record: z.object({ path: z.string().min(1).describe("relative to the goal dir"), sha256: Sha256Schema }),
  }),
  decision_recorded: z.object({
    decision: z.enum(["accepted", "rejected"]),
    reason: z.string().min(1).optional(),
    headCommit: CommitShaSchema,
  }),
  // @omk/controller (task runner): what an attempt left behind, and every write outside its write set.
  attempt_captured: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    round: PositiveIntSchema,
    branch: z.string().min(1).describe("the task branch, omk/<goal>/<task>"),
    commit: CommitShaSchema.describe("the branch head after the capture (the base when the engine changed nothing)"),
    changedFiles: z.array(z.string()).describe("paths changed from the task's base, relative to the repository root"),
    keptRef: z.string().min(1).optional().describe("refs/omk/attempts/... when the attempt was kept (never integrated)"),
  }),
  scope_violation_recorded: z.object({
    taskId: IdSchema,
    attempt: PositiveIntSchema,
    path: z.string().min(1),
    kind: z.string().min(1).describe("outside_write_set, symlink_escape, git_dir, ... (as @omk/worktree names it)"),
    atWrite: z.boolean().describe("true: refused when the engine asked to write; false: found in the captured diff afterwards"),
    message: z.string(),
  }),
} as const;

export type EventType = keyof typeof EventPayloadSchemas;
const _EVENT_TYPES = Object.keys(EventPayloadSchemas) as EventType[];

const envelope = {
  v: z.literal(SCHEMA_VERSION),
  seq: z.number().int().positive(),
  ts: TimestampSchema,
  actor: z.string().min(1).describe("who caused it: user, controller, system, or a worker id"),
  prev: Sha256Schema.optional().describe(
    "sha256 of the previous line's bytes (64 zeros for the first line); every line from the first chained one on carries it, and a MAC after it (docs/decisions/state-store.md)",
  ),
};

function variant<T extends EventType>(type: T) {
  return z.object({ ...envelope, type: z.literal(type), data: EventPayloadSchemas[type] });
}

export const EventSchema = z.discriminatedUnion("type", [
  variant("goal_created"),
  variant("status_changed"),
  variant("phase_changed"),
  variant("usage_recorded"),
  variant("budget_extended"),
  variant("session_spend_recorded"),
  variant("run_options_recorded"),
  variant("worktree_dirty_noted"),
  variant("goal_amended"),
  variant("task_graph_set"),
  variant("outcome_recorded"),
  variant("lock_acquired"),
  variant("lock_taken_over"),
  variant("lock_released"),
  variant("log_repaired"),
  variant("log_quarantined"),
  variant("intake_decided"),
  variant("plan_recorded"),
  variant("oracle_frozen"),
  variant("oracle_revised"),
  variant("task_graph_mutated"),
  variant("task_run_started"),
  variant("task_dispatched"),
  variant("task_succeeded"),
  variant("task_failed"),
  variant("task_recovered"),
  variant("task_worker_dead"),
  variant("task_late_result_ignored"),
  variant("task_interrupted"),
  variant("task_cancelled"),
  variant("task_blocked"),
  variant("task_budget_breached"),
  variant("task_budget_refused"),
  variant("task_followups_rejected"),
  variant("task_run_finished"),
  variant("verification_recorded"),
  variant("attempt_captured"),
  variant("scope_violation_recorded"),
  variant("round_started"),
  variant("baseline_recorded"),
  variant("integration_recorded"),
  variant("oracle_evaluated"),
  variant("review_recorded"),
  variant("decision_recorded"),
]);
export type GoalEvent = z.infer<typeof EventSchema>;
export type EventOf<T extends EventType> = Extract<GoalEvent, { type: T }>;
export type EventData<T extends EventType> = EventOf<T>["data"];

/** An event before the store numbers and stamps it. */
export type NewEvent = { [T in EventType]: { type: T; actor: string; data: EventData<T> } }[EventType];
