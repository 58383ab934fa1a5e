/**
 * What a graph run reads off its task states without changing them: the
 * task graph as it stands (statuses, retries, live leases), the per-status
 * counts of task_run_finished, the RunReport a run resolves with, and
 * whether the goal's own pool is spent in a breached dimension (the goal's
 * budget ran out, not the task's). GraphRun (./graph-run.ts) holds the state.
 */
import type { Task, TaskStatus } from "@omk/state";
import { SCHEMA_VERSION } from "@omk/state";
import type { BudgetLedger } from "../budget.js";
import type { TaskState } from "../policy.js";
import type { RunOutcome, RunReport } from "../schemas.js";
import type { Attempt } from "./attempt.js";

/** The graph as it stands: each task with its current status, retries and live lease. */
export function tasksNow(states: ReadonlyMap<string, TaskState>, live: ReadonlyMap<string, Attempt>): Task[] {
  return [...states.values()].map((s) => ({ ...s.task, status: s.status, retries: s.retries, lease: live.get(s.task.id)?.lease ?? null }));
}

/** How many tasks end the run in each status (task_run_finished). */
export function statusCounts(states: ReadonlyMap<string, TaskState>): { done: number; failed: number; blocked: number; cancelled: number; pending: number } {
  const count = (status: TaskStatus) => [...states.values()].filter((s) => s.status === status).length;
  return { done: count("done"), failed: count("failed"), blocked: count("blocked"), cancelled: count("cancelled"), pending: count("pending") };
}

/** The report a finished run resolves with. */
export function runReport(
  outcome: RunOutcome,
  reason: string,
  run: {
    states: ReadonlyMap<string, TaskState>;
    live: ReadonlyMap<string, Attempt>;
    stagnated: ReadonlySet<string>;
    deadWorkers: string[];
    spent: RunReport["spent"];
    dispatches: number;
  },
): RunReport {
  const states = [...run.states.values()];
  return {
    outcome,
    reason,
    graph: { schemaVersion: SCHEMA_VERSION, tasks: tasksNow(run.states, run.live) },
    tasks: states.map((s) => ({
      id: s.task.id,
      status: s.status,
      attempts: s.attempts,
      retries: s.retries,
      signatures: [...s.signatures],
      stagnated: run.stagnated.has(s.task.id),
    })),
    deadWorkers: run.deadWorkers,
    spent: run.spent,
    dispatches: run.dispatches,
  };
}

/**
 * Whether this run's pool (what the goal had for tasks) is spent in the
 * breached dimension: whether another attempt with the same cap would no
 * longer fit in what is left (for time, end before the goal's deadline,
 * less the reserve).
 */
export function goalPoolSpent(ledger: BudgetLedger, breach: Attempt["breach"], now: () => number): boolean {
  if (breach === undefined) return false;
  const pool = ledger.pool();
  const spent = ledger.spent();
  // Spent when what is left no longer covers another attempt with the same cap: a cap fitted to the goal's room
  // (shared by width + 1) is breached well before the pool itself is empty, and a retry could not fit.
  if (breach.dimension === "tokens") return pool.tokens !== null && pool.tokens - spent.tokens < breach.limit;
  if (breach.dimension === "usd") return pool.usd !== null && pool.usd - spent.usd < breach.limit;
  const deadline = ledger.room().deadline;
  return deadline !== null && deadline - now() < breach.limit;
}
