import { err, ok, type Result } from "@omk/core";
import { weakestQuality } from "./schemas/budget.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import type { EventOf, GoalEvent } from "./schemas/event.js";
import type { Goal } from "./schemas/goal.js";
import type { Task, TaskStatus } from "./schemas/task.js";
import { checkPhaseTransition, checkStatusTransition, type TransitionError } from "./transitions.js";

export type ReduceError =
  | TransitionError
  | { code: "seq_mismatch" | "no_goal" | "goal_exists"; message: string; fix: string; from: string; to: string }
  | { code: "oracle_conflict" | "graph_conflict"; message: string; fix: string; from: string; to: string }
  | { code: "unknown_task" | "illegal_task_transition"; message: string; fix: string; from: string; to: string }
  | { code: "usage_overflow"; message: string; fix: string; from: string; to: string };

const ZERO_TOKENS = { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };

function elapsedMs(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from));
}

/**
 * The pure reducer: fold one event into the goal. Illegal events are error
 * values and leave the goal as it was. Timestamps come from the events, so
 * replay is deterministic. `logBytes` is the store's business.
 */
export function reduce(goal: Goal | undefined, event: GoalEvent): Result<Goal, ReduceError> {
  if (event.type === "goal_created") {
    if (goal !== undefined) {
      return err({ code: "goal_exists", message: "goal_created on an existing goal", fix: "create a new goal", from: goal.status, to: "created" });
    }
    if (event.seq !== 1) {
      return err({ code: "seq_mismatch", message: `goal_created must be seq 1, got ${event.seq}`, fix: "the log is damaged", from: "none", to: "created" });
    }
    const { limits, maxAgents, ...spec } = event.data.goal;
    return ok({
      ...spec,
      schemaVersion: SCHEMA_VERSION,
      status: "created",
      phase: null,
      statusReason: null,
      statusCause: null,
      budget: { limits, maxAgents, extensions: 0 },
      usage: { timeMs: 0, tokens: { ...ZERO_TOKENS }, usd: 0, usdUnknownRecords: 0, records: 0 },
      runningSince: null,
      flags: { budgetExtendedSinceExhausted: false, amendedSinceBlocked: false },
      amendments: [],
      taskGraph: null,
      outcome: null,
      lockTakeovers: 0,
      createdAt: event.ts,
      updatedAt: event.ts,
      lastSeq: 1,
      logBytes: 0,
    });
  }
  if (goal === undefined) {
    return err({ code: "no_goal", message: `${event.type} before goal_created`, fix: "the log must start with goal_created", from: "none", to: event.type });
  }
  if (event.seq !== goal.lastSeq + 1) {
    return err({
      code: "seq_mismatch",
      message: `event seq ${event.seq} does not follow ${goal.lastSeq}`,
      fix: "events are numbered by the store; append through it",
      from: String(goal.lastSeq),
      to: String(event.seq),
    });
  }
  const next: Goal = { ...goal, updatedAt: event.ts, lastSeq: event.seq };
  switch (event.type) {
    case "status_changed": {
      const { from, to } = event.data;
      if (from !== goal.status) {
        return err({
          code: "illegal_transition",
          message: `event says from ${from}, goal is ${goal.status}`,
          fix: "re-read the goal and retry",
          from: goal.status,
          to,
        });
      }
      const check = checkStatusTransition(goal, to, { newRun: event.data.newRun === true });
      if (!check.ok) return check;
      next.status = to;
      next.statusReason = event.data.reason ?? event.data.cause?.message ?? null;
      next.statusCause = event.data.cause ?? null;
      if (from === "running" && goal.runningSince !== null) {
        next.usage = { ...goal.usage, timeMs: goal.usage.timeMs + elapsedMs(goal.runningSince, event.ts) };
        next.runningSince = null;
      }
      if (to === "running") {
        next.runningSince = event.ts;
        next.outcome = null;
      }
      next.flags = {
        budgetExtendedSinceExhausted: to === "needs_more_budget" || from === "needs_more_budget" ? false : goal.flags.budgetExtendedSinceExhausted,
        amendedSinceBlocked: to === "blocked_on_human" || from === "blocked_on_human" ? false : goal.flags.amendedSinceBlocked,
      };
      return ok(next);
    }
    case "phase_changed": {
      if ((goal.phase ?? null) !== event.data.from) {
        return err({
          code: "illegal_phase",
          message: `event says from ${event.data.from ?? "none"}, goal is in ${goal.phase ?? "none"}`,
          fix: "re-read the goal and retry",
          from: goal.phase ?? "none",
          to: event.data.to,
        });
      }
      const check = checkPhaseTransition(goal, event.data.to);
      if (!check.ok) return check;
      next.phase = event.data.to;
      return ok(next);
    }
    case "usage_recorded": {
      const t = event.data.tokens;
      const u = goal.usage;
      // A total the log cannot hold as a safe integer is refused, never wrapped or rounded: the writer must stop the goal.
      const over = (["input", "cacheRead", "cacheWrite", "output"] as const).find((k) => !Number.isSafeInteger(u.tokens[k] + t[k]));
      if (over !== undefined) {
        return err({
          code: "usage_overflow",
          message: `usage_recorded from ${event.data.source} makes the goal's ${over} tokens ${u.tokens[over] + t[over]}, beyond the largest count the log holds (${Number.MAX_SAFE_INTEGER})`,
          fix: "the engine reported an impossible token count: check the engine and its model server, then start a new goal",
          from: goal.status,
          to: "usage_recorded",
        });
      }
      next.usage = {
        ...u,
        tokens: {
          input: u.tokens.input + t.input,
          cacheRead: u.tokens.cacheRead + t.cacheRead,
          cacheWrite: u.tokens.cacheWrite + t.cacheWrite,
          output: u.tokens.output + t.output,
        },
        usd: event.data.usd === undefined ? u.usd : u.usd + event.data.usd,
        usdUnknownRecords: u.usdUnknownRecords + (event.data.usd === undefined ? 1 : 0),
        records: u.records + 1,
      };
      return ok(next);
    }
    case "session_spend_recorded": {
      const quality = weakestQuality(goal.usage.quality, event.data.quality);
      if (quality !== undefined) next.usage = { ...goal.usage, quality };
      return ok(next);
    }
    case "run_options_recorded":
      // Read from the log by the CLI (resume remembers); on goal.json only the confinement, the least confined run's.
      if (event.data.confinement !== undefined) next.confinement = goal.confinement === "unconfined" ? "unconfined" : event.data.confinement;
      return ok(next);
    case "worktree_dirty_noted":
      // A note for the record (what the run left out); nothing on goal.json.
      return ok(next);
    case "budget_extended": {
      const add = event.data.add;
      const l = goal.budget.limits;
      next.budget = {
        ...goal.budget,
        extensions: goal.budget.extensions + 1,
        limits: {
          timeMs: l.timeMs === null || add.timeMs === undefined ? l.timeMs : l.timeMs + add.timeMs,
          tokens: l.tokens === null || add.tokens === undefined ? l.tokens : l.tokens + add.tokens,
          usd: l.usd === null || add.usd === undefined ? l.usd : l.usd + add.usd,
        },
      };
      if (goal.status === "needs_more_budget") next.flags = { ...goal.flags, budgetExtendedSinceExhausted: true };
      return ok(next);
    }
    case "goal_amended": {
      next.amendments = [...goal.amendments, { seq: event.seq, ...event.data }];
      if (event.data.text !== undefined) {
        next.text = event.data.text;
        next.normalizedText = normalizeGoalText(event.data.text);
      }
      if (goal.status === "blocked_on_human") next.flags = { ...goal.flags, amendedSinceBlocked: true };
      return ok(next);
    }
    case "task_graph_set":
      next.taskGraph = event.data.graph;
      return ok(next);
    case "outcome_recorded":
      next.outcome = { file: event.data.file, seq: event.seq, status: goal.status };
      return ok(next);
    case "lock_taken_over":
      next.lockTakeovers = goal.lockTakeovers + 1;
      return ok(next);
    case "lock_acquired":
    case "lock_released":
    case "log_repaired":
    case "log_quarantined":
      return ok(next);
    case "intake_decided":
      next.intake = { ...event.data, seq: event.seq };
      return ok(next);
    case "plan_recorded":
      next.plan = { goalClass: event.data.goalClass, classes: event.data.classes, strategy: event.data.strategy, seq: event.seq };
      return ok(next);
    case "oracle_frozen":
    case "oracle_revised":
      return reduceOracle(goal, next, event);
    case "task_graph_mutated":
      return reduceGraphMutation(goal, next, event);
    case "task_dispatched":
      return updateTask(next, event, ["pending", "ready"], (t) => ({ ...t, status: "running", lease: event.data.lease }));
    case "task_succeeded":
      return updateTask(next, event, ["running"], (t) => ({ ...t, status: "done", lease: null, evidence: [...t.evidence, ...event.data.evidence] }));
    case "task_failed":
      return updateTask(next, event, ["running"], (t) =>
        event.data.decision === "retry" ? { ...t, status: "pending", retries: t.retries + 1, lease: null } : { ...t, status: "failed", lease: null },
      );
    case "task_recovered":
      return updateTask(next, event, ["running"], (t) => ({ ...t, status: event.data.decision === "retry" ? "pending" : "failed", lease: null }));
    case "task_interrupted":
      return updateTask(next, event, ["running"], (t) => ({ ...t, status: "pending", lease: null }));
    case "task_worker_dead":
      return updateTask(next, event, ["running"], (t) => ({ ...t, lease: null }));
    case "task_cancelled":
      return updateTask(next, event, ["pending", "ready", "running"], (t) => ({ ...t, status: "cancelled", lease: null }));
    case "task_blocked":
      return updateTask(next, event, ["pending", "ready"], (t) => ({ ...t, status: "blocked" }));
    case "task_run_started":
    case "task_late_result_ignored":
    case "task_budget_breached":
    case "task_budget_refused":
    case "task_followups_rejected":
    case "task_run_finished":
      return ok(next);
    case "verification_recorded":
      // Evidence only: the log keeps it for the proof; status moves are the controller's.
      return ok(next);
    case "attempt_captured":
    case "scope_violation_recorded":
      // Evidence of the task runner: the proof and the review read them from the log.
      return ok(next);
    case "round_started":
      if (event.data.round <= (goal.round ?? 1)) {
        return err({
          code: "illegal_transition",
          message: `round ${event.data.round} does not follow round ${goal.round ?? 1}`,
          fix: "number the new round after the current one",
          from: String(goal.round ?? 1),
          to: String(event.data.round),
        });
      }
      next.round = event.data.round;
      return ok(next);
    case "integration_recorded":
      if (event.data.outcome === "integrated") next.headCommit = event.data.head;
      return ok(next);
    case "decision_recorded": {
      const allowed = event.data.decision === "accepted" ? goal.status === "ready" : goal.status === "ready" || goal.status === "not_ready";
      if (!allowed) {
        return err({
          code: "illegal_transition",
          message: `a ${goal.status} goal cannot be ${event.data.decision}`,
          fix: event.data.decision === "accepted" ? "only a ready goal is accepted" : "only a ready or not_ready goal is rejected",
          from: goal.status,
          to: event.data.decision,
        });
      }
      next.decision = {
        decision: event.data.decision,
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
        headCommit: event.data.headCommit,
        seq: event.seq,
      };
      return ok(next);
    }
    case "baseline_recorded":
    case "oracle_evaluated":
    case "review_recorded":
      return ok(next);
  }
}

/** Phases in which the oracle may no longer be frozen for the first time: execution has begun. */
const ORACLE_FROZEN_TOO_LATE: ReadonlySet<string> = new Set(["execution", "verification", "review", "integration", "delivery", "proof"]);

/** oracle_frozen once, before execution; then each oracle_revised names the hash it replaces and the next revision. */
function reduceOracle(goal: Goal, next: Goal, event: EventOf<"oracle_frozen"> | EventOf<"oracle_revised">): Result<Goal, ReduceError> {
  const current = goal.oracle ?? null;
  const conflict = (message: string, fix: string) =>
    err({
      code: "oracle_conflict" as const,
      message,
      fix,
      from: current === null ? "none" : `revision ${current.revision}`,
      to: `revision ${event.data.revision}`,
    });
  if (event.type === "oracle_frozen") {
    if (current !== null) return conflict(`the oracle is frozen already (revision ${current.revision})`, "change it with an oracle_revised event");
    if (goal.phase !== null && ORACLE_FROZEN_TOO_LATE.has(goal.phase)) {
      return conflict(`the oracle must be frozen before execution; the goal is in ${goal.phase}`, "freeze the oracle in the oracle phase");
    }
  } else {
    if (current === null) return conflict("there is no frozen oracle to revise", "freeze it first with oracle_frozen");
    if (event.data.previousHash !== current.hash) {
      return conflict(
        `the revision replaces ${event.data.previousHash}, but the oracle in force is ${current.hash}`,
        "re-read the goal and revise the oracle in force",
      );
    }
    if (event.data.revision !== current.revision + 1) {
      return conflict(`revision ${event.data.revision} does not follow ${current.revision}`, `number it ${current.revision + 1}`);
    }
    if (event.data.hash === current.hash) return conflict("the revision does not change the oracle", "record a revision only when the criteria change");
  }
  next.oracle = { revision: event.data.revision, hash: event.data.hash, seq: event.seq };
  return ok(next);
}

/** Follow-up tasks join the graph; ids stay unique and every dependency names a task of the graph. */
function reduceGraphMutation(goal: Goal, next: Goal, event: EventOf<"task_graph_mutated">): Result<Goal, ReduceError> {
  const graph = goal.taskGraph;
  const conflict = (message: string, fix: string) => err({ code: "graph_conflict" as const, message, fix, from: "graph", to: "graph" });
  if (graph === null) return conflict("there is no task graph to add tasks to", "set the task graph first (task_graph_set)");
  const ids = new Set(graph.tasks.map((task) => task.id));
  for (const task of event.data.added) {
    if (ids.has(task.id)) return conflict(`task id "${task.id}" is already in the graph`, "give the follow-up task a new id");
    ids.add(task.id);
  }
  for (const task of event.data.added) {
    const missing = task.dependencies.find((dep) => !ids.has(dep));
    if (missing !== undefined) return conflict(`task "${task.id}" depends on "${missing}", which is not in the graph`, "depend on tasks of the graph");
  }
  next.taskGraph = { ...graph, tasks: [...graph.tasks, ...event.data.added] };
  return ok(next);
}

/** A scheduler event moves one task of goal.taskGraph, which must exist and be in one of `from` (e.g. nothing done is dispatched again). */
function updateTask(
  next: Goal,
  event: { type: string; data: { taskId: string } },
  from: readonly TaskStatus[],
  change: (task: Task) => Task,
): Result<Goal, ReduceError> {
  const graph = next.taskGraph;
  const index = graph === null ? -1 : graph.tasks.findIndex((t) => t.id === event.data.taskId);
  const task = graph?.tasks[index];
  if (graph === null || task === undefined) {
    return err({
      code: "unknown_task",
      message: `${event.type}: no task "${event.data.taskId}" in the goal's task graph`,
      fix: "set the task graph before task events",
      from: "none",
      to: event.type,
    });
  }
  if (!from.includes(task.status)) {
    return err({
      code: "illegal_task_transition",
      message: `${event.type} on task "${task.id}", which is ${task.status}`,
      fix: "re-read the goal: a task event must follow the task's status",
      from: task.status,
      to: event.type,
    });
  }
  next.taskGraph = { ...graph, tasks: graph.tasks.map((t, i) => (i === index ? change(t) : t)) };
  return ok(next);
}

/** Fold a whole log; the first illegal event stops the fold with its seq. */
export function replayEvents(events: readonly GoalEvent[]): Result<Goal, ReduceError & { seq: number }> {
  let goal: Goal | undefined;
  for (const event of events) {
    const result = reduce(goal, event);
    if (!result.ok) return err({ ...result.error, seq: event.seq });
    goal = result.value;
  }
  if (goal === undefined) {
    return err({ code: "no_goal", message: "the log has no events", fix: "the log must start with goal_created", from: "none", to: "none", seq: 0 });
  }
  return ok(goal);
}

/** Goal text as stored for matching and planning: NFC, trimmed, whitespace collapsed. */
export function normalizeGoalText(text: string): string {
  return text.normalize("NFC").replace(/\s+/gu, " ").trim();
}
