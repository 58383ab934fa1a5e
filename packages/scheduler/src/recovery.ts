import { type GoalEvent, type ReduceError, replayEvents, type Task, type TaskGraph, type TaskStatus } from "@omk/state";
import { err, ok, type Result } from "@omk/core";
import { LOST_SIGNATURE, type TaskState } from "./policy.js";

/** What the log says about one task beyond its status: attempts, failure signatures, backoff. */
export type TaskHistory = {
  attempts: number;
  signatures: string[];
  /** ms since the epoch; 0 when not in backoff. */
  retryAt: number;
  /** The worker of the last dispatch. */
  worker: string | null;
};

export type RecoveredRun = {
  /** The goal's task graph as the reducer folds it: statuses, retries, follow-ups. */
  graph: TaskGraph;
  history: Record<string, TaskHistory>;
  /** Tasks that were running when the log ends: each runs once more (task_recovered). */
  lost: string[];
  /** Runs started on this graph before (task_run_started events). */
  runs: number;
};

export type RecoveryError = { code: "no_task_graph"; message: string; fix: string } | (ReduceError & { seq: number });

/**
 * Rebuild the scheduler's state from a goal's event log, e.g. after the
 * controller crashed: done tasks stay done, terminal tasks stay terminal,
 * tasks that were running are `lost` (run once more), retries, failure
 * signatures and backoff carry over. Statuses come from the @omk/state
 * reducer, so they are exactly what goal.json says.
 */
export function recoverRun(events: readonly GoalEvent[]): Result<RecoveredRun, RecoveryError> {
  const replayed = replayEvents(events);
  if (!replayed.ok) return replayed;
  const graph = replayed.value.taskGraph;
  if (graph === null) return err({ code: "no_task_graph", message: "the goal has no task graph", fix: "set the task graph (planning) before running it" });
  let history: Record<string, TaskHistory> = {};
  let runs = 0;
  const of = (taskId: string): TaskHistory => {
    history[taskId] ??= { attempts: 0, signatures: [], retryAt: 0, worker: null };
    return history[taskId];
  };
  for (const event of events) {
    switch (event.type) {
      case "task_graph_set":
        history = {};
        runs = 0;
        break;
      case "task_run_started":
        runs += 1;
        break;
      case "task_dispatched": {
        const h = of(event.data.taskId);
        h.attempts = Math.max(h.attempts, event.data.attempt);
        h.worker = event.data.worker;
        h.retryAt = 0;
        break;
      }
      case "task_failed": {
        const h = of(event.data.taskId);
        h.signatures.push(event.data.signature);
        h.retryAt = event.data.retryAt === undefined ? 0 : Date.parse(event.data.retryAt);
        break;
      }
      case "task_recovered":
        of(event.data.taskId).signatures.push(LOST_SIGNATURE);
        break;
      default:
        break;
    }
  }
  const lost = graph.tasks.filter((t) => t.status === "running").map((t) => t.id);
  return ok({ graph, history, lost, runs });
}

/**
 * The scheduler's starting view of a task: its recorded status (`ready` is
 * pending to the scheduler), with attempts, signatures and backoff from its
 * history when there is one.
 */
export function initialTaskState(task: Task, history: TaskHistory | undefined): TaskState {
  const status: TaskStatus = task.status === "ready" ? "pending" : task.status;
  const attempts = history?.attempts ?? (status === "running" ? task.retries + 1 : task.retries);
  return { task, status, attempts, retries: task.retries, signatures: [...(history?.signatures ?? [])], retryAt: history?.retryAt ?? 0 };
}
