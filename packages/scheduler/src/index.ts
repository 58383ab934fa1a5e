// @omk/scheduler: public surface (named exports only).
;
export {  SchedulerAbortError } from "./errors.js";
;
export {
  
  
  
  
  
  
  
  
  
  
  
  
  tasksConflict,
  
} from "./policy.js";
export {  type FollowUpValidator, type SchedulerEvent, type SchedulerPorts,  type TaskContext, type TaskRunner } from "./ports.js";
export {   recoverRun,  } from "./recovery.js";
export { resumeGraph,  runGraph } from "./run-graph.js";
export {
  
  
  
  
  
  type RunReport,
  
  type SchedulerOptions,
  
  
  
  type TaskResult,
  
  type UsageReport,
  
  
  
} from "./schemas.js";
