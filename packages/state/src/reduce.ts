import { err, ok, type Result } from "./result.js";
import { SCHEMA_VERSION } from "./schemas/common.js";
import type { GoalEvent } from "./schemas/event.js";
import type { Goal } from "./schemas/goal.js";
import { checkPhaseTransition, checkStatusTransition, type TransitionError } from "./transitions.js";

export type ReduceError =
  | TransitionError
  | { code: "seq_mismatch" | "no_goal" | "goal_exists"; message: string; fix: string; from: string; to: string };

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
        return err({ code: "illegal_transition", message: `event says from ${from}, goal is ${goal.status}`, fix: "re-read the goal and retry", from: goal.status, to });
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
        return err({ code: "illegal_phase", message: `event says from ${event.data.from ?? "none"}, goal is in ${goal.phase ?? "none"}`, fix: "re-read the goal and retry", from: goal.phase ?? "none", to: event.data.to });
      }
      const check = checkPhaseTransition(goal, event.data.to);
      if (!check.ok) return check;
      next.phase = event.data.to;
      return ok(next);
    }
    case "usage_recorded": {
      const t = event.data.tokens;
      const u = goal.usage;
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
      return ok(next);
  }
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
