/**
 * The scheduling policy: pure functions over data. Which ready task runs
 * next, whether its reservation fits, and what a failure leads to. The
 * executor (internal/graph-run.ts) does the IO around them.
 */
import { type BudgetDimension, findConflicts, type Task, type TaskBudget, type TaskStatus } from "@omk/state";
import type { RetryPolicy } from "./schemas.js";

/** The scheduler's view of one task. */
export type TaskState = {
  task: Task;
  status: TaskStatus;
  /** Attempts dispatched so far; the next one is attempts + 1. */
  attempts: number;
  /** Retries granted so far (lost attempts after a controller crash are not counted). */
  retries: number;
  /** Failure signatures in order, `controller_lost` for attempts a crash interrupted. */
  signatures: string[];
  /** Not dispatched before this time (ms since the epoch): retry backoff. */
  retryAt: number;
};

/** The signature of an attempt that was running when the controller stopped. */
export const LOST_SIGNATURE = "controller_lost";
/** The signature of an attempt whose lease expired. */
export const LEASE_EXPIRED_SIGNATURE = "lease_expired";

/** What remains for new reservations; null: no cap on that dimension. */
export type BudgetRoom = { tokens: number | null; usd: number | null; deadline: number | null };

export type Fit = { ok: true } | { ok: false; dimension: BudgetDimension; needed: number; available: number };

/** Whether a task's caps fit in the room: tokens and USD as amounts, time as "ends before the deadline". */
export function fitsRoom(room: BudgetRoom, budget: TaskBudget, now: number): Fit {
  if (room.deadline !== null && now + budget.timeMs > room.deadline) {
    return { ok: false, dimension: "time", needed: budget.timeMs, available: Math.max(0, room.deadline - now) };
  }
  if (room.tokens !== null && budget.tokens > room.tokens)
    return { ok: false, dimension: "tokens", needed: budget.tokens, available: Math.max(0, room.tokens) };
  if (room.usd !== null && budget.usd > room.usd) return { ok: false, dimension: "usd", needed: budget.usd, available: Math.max(0, room.usd) };
  return { ok: true };
}

/** Whether two tasks may not run at the same time (the path-scope rules of @omk/state). */
export function tasksConflict(a: Task, b: Task): boolean {
  return findConflicts(a, b).length > 0;
}

export type DispatchInput = {
  /** Every task, in dispatch order (see dispatchOrder). */
  order: readonly TaskState[];
  /** Whether the task with this id is done. */
  isDone: (id: string) => boolean;
  /** Tasks running now. */
  running: readonly Task[];
  /** How many more tasks may start now (concurrency cap and free live workers). */
  slots: number;
  now: number;
  room: BudgetRoom;
  conflicts?: (a: Task, b: Task) => boolean;
};

export type DispatchPlan = {
  /** Start these now, in this order. */
  dispatch: TaskState[];
  /** Ready and conflict-free while a slot was free, but their reservation does not fit. */
  refused: Array<{ state: TaskState; fit: Exclude<Fit, { ok: true }> }>;
  /** The earliest retry time of a task still in backoff, if any. */
  wakeAt: number | null;
};

/**
 * Which ready tasks start now: pending, every dependency done, out of
 * backoff, conflicting with no running or already chosen task, and fitting
 * in the budget room (which shrinks with each choice). A task that does not
 * fit is skipped, not waited for, so smaller work keeps going.
 */
export function selectDispatch(input: DispatchInput): DispatchPlan {
  const conflicts = input.conflicts ?? tasksConflict;
  const dispatch: TaskState[] = [];
  const refused: DispatchPlan["refused"] = [];
  let wakeAt: number | null = null;
  const busy: Task[] = [...input.running];
  const room = { ...input.room };
  for (const state of input.order) {
    if (state.status !== "pending" || !state.task.dependencies.every(input.isDone)) continue;
    if (state.retryAt > input.now) {
      wakeAt = wakeAt === null ? state.retryAt : Math.min(wakeAt, state.retryAt);
      continue;
    }
    // With every slot taken, nothing more can start now: only backoff times still matter.
    if (dispatch.length >= input.slots) continue;
    if (busy.some((other) => conflicts(state.task, other))) continue;
    const fit = fitsRoom(room, state.task.budget, input.now);
    if (!fit.ok) {
      refused.push({ state, fit });
      continue;
    }
    dispatch.push(state);
    busy.push(state.task);
    if (room.tokens !== null) room.tokens -= state.task.budget.tokens;
    if (room.usd !== null) room.usd -= state.task.budget.usd;
  }
  return { dispatch, refused, wakeAt };
}

export type FailureDecision = { decision: "retry"; retryAt: number } | { decision: "give_up" | "stagnated" };

/**
 * What a failed attempt leads to. Not retryable: give up. The same
 * signature `stagnationThreshold` times in a row (lost attempts aside):
 * stagnated. Retries used up: give up. Otherwise retry after an exponential
 * backoff.
 */
export function decideFailure(
  state: Pick<TaskState, "signatures" | "retries"> & { task: Pick<Task, "maxRetries"> },
  failure: { signature: string; retryable: boolean },
  policy: RetryPolicy,
  now: number,
): FailureDecision {
  if (!failure.retryable) return { decision: "give_up" };
  const real = [...state.signatures, failure.signature].filter((s) => s !== LOST_SIGNATURE);
  const recent = real.slice(-policy.stagnationThreshold);
  if (recent.length === policy.stagnationThreshold && recent.every((s) => s === failure.signature)) return { decision: "stagnated" };
  if (state.retries >= state.task.maxRetries) return { decision: "give_up" };
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** state.retries);
  return { decision: "retry", retryAt: now + Math.round(delay) };
}

/**
 * A stable name for an error message, so "the same failure" can be
 * recognized across attempts: the first line, lowercased, with numbers,
 * hex ids and quoted durations replaced, whitespace collapsed.
 */
export function errorSignature(message: string): string {
  const firstLine = message.split("\n").find((line) => line.trim() !== "") ?? "";
  const normalized = firstLine
    .toLowerCase()
    .replace(/\b0x[0-9a-f]+\b/g, "<hex>")
    .replace(/\b[0-9a-f]{8,}\b/g, "<hex>")
    .replace(/\d+(\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
  return normalized === "" ? "unknown_error" : normalized;
}

/** Pending tasks that can no longer run because `failedId` will never be done, with what blocks each. */
export function tasksToBlock(
  failedId: string,
  states: ReadonlyMap<string, Pick<TaskState, "status" | "task">>,
  dependents: ReadonlyMap<string, readonly string[]>,
): Array<{ taskId: string; blockedBy: string[] }> {
  const out: Array<{ taskId: string; blockedBy: string[] }> = [];
  const blocked = new Set<string>([failedId]);
  const queue = [failedId];
  for (let i = 0; i < queue.length; i++) {
    for (const id of dependents.get(queue[i] as string) ?? []) {
      const state = states.get(id);
      if (state === undefined || blocked.has(id) || state.status !== "pending") continue;
      blocked.add(id);
      queue.push(id);
      out.push({ taskId: id, blockedBy: state.task.dependencies.filter((dep) => blocked.has(dep)) });
    }
  }
  return out;
}
