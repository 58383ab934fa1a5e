import type { Goal, Lease, NewEvent, Task, TaskBudget, TaskGraph } from "@omk/state";
import type { Result } from "@omk/core";
import type { TaskResult, UsageReport } from "./schemas.js";

/** Time, injectable: tests drive a virtual clock, production uses the system one. */
export type Clock = {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Call `fn` after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
};

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};

/** What a runner gets with its task. */
export type TaskContext = {
  /** Aborted when the task must stop now: pause, cancel, budget breach, lease expiry, shutdown. `reason` is a SchedulerAbortError. */
  readonly signal: AbortSignal;
  readonly attempt: number;
  readonly worker: string;
  /** The lease as dispatched; `heartbeat()` extends it. */
  readonly lease: Lease;
  /** The caps reserved for this attempt; going over any of them aborts it. */
  readonly reservation: TaskBudget;
  /** Renew the lease. False when the lease is gone (expired, task over): stop working. */
  heartbeat(): boolean;
  /** Report usage as it arrives during a turn (an increment). Counts as a heartbeat. */
  reportUsage(usage: UsageReport): void;
};

/** Runs one attempt of a task; the controller binds it to an engine session in a task worktree. */
export type TaskRunner = (task: Task, context: TaskContext) => Promise<TaskResult>;

/** Events the scheduler emits; the controller appends each to the goal's log, in order. */
export type SchedulerEvent = Extract<NewEvent, { type: `task_${string}` | "usage_recorded" }>;

/** The planner's validation of proposed follow-up tasks (schema, safe paths, conflicts, budget). */
export type FollowUpValidator = (input: {
  graph: TaskGraph;
  proposedBy: Task;
  proposals: readonly unknown[];
  /** Aborted when the run stops (cancel, pause, shutdown); the answer is ignored from then on, so a validator may give up. */
  signal?: AbortSignal;
}) => Result<Task[], { message: string }> | Promise<Result<Task[], { message: string }>>;

export type SchedulerPorts = {
  runTask: TaskRunner;
  /**
   * Called once per decision, in order; the next event waits for the
   * previous one to settle. A dispatch waits for its event before the runner
   * starts (write-ahead). A throw or rejection ends the run as failed_infra.
   */
  onEvent: (event: SchedulerEvent) => void | Promise<void>;
  /**
   * Optional, replaces onEvent: takes the events in batches, in order. Every
   * event decided while the previous batch was being written comes in the
   * next one (group commit), e.g. `(events) => store.append(id, () => events)`.
   */
  onEvents?: (events: SchedulerEvent[]) => void | Promise<void>;
  clock?: Clock;
  /** The goal as stored (e.g. `() => store.readGoal(id)`): read at start and polled for pause, cancel and budget changes. */
  readGoal?: () => Promise<Goal>;
  validateFollowUps?: FollowUpValidator;
};
