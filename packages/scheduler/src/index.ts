// @omk/scheduler: public surface (named exports only).
export { SchedulerAbortError } from "./errors.js";
export { tasksConflict } from "./policy.js";
export type { FollowUpValidator, SchedulerEvent, SchedulerPorts, TaskContext, TaskRunner } from "./ports.js";
export { recoverRun } from "./recovery.js";
export { resumeGraph, runGraph } from "./run-graph.js";
export type {
  RunReport,
  SchedulerOptions,
  TaskResult,
  UsageReport,
} from "./schemas.js";
/** @public the README's usage example */
export { topologicalOrder } from "./graph.js";
