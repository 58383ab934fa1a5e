// @omk/controller: public surface (named exports only).
// The goal lifecycle: phases, the --until-ready loop, reviews, proof.
export { acceptGoal, rejectGoal } from "./decision.js";
export { deterministicFollowUp, failingText } from "./followups.js";
export { resumeGoal, runGoal } from "./run-goal.js";
export { dirtyTreeMessage } from "./internal/dirty-tree.js";
export { ControllerEventSchema } from "./schemas/event.js";
export { controllerJsonSchemas } from "./schemas/json-schemas.js";
export { readRoundVerdictFile } from "./schemas/verdict.js";
export type {
  ControllerEvent,
  ControllerEventSink,
  RunConfinement,
  RunGoalOptions,
  RunGoalResult,
  PhaseOutcome,
} from "./types.js";
