// @omk/controller: public surface (named exports only).
// The goal lifecycle: phases, the --until-ready loop, reviews, proof.
export {
  BLOCKING_SEVERITIES,
  type ControllerEvent,
  type ControllerEventSink,
  type ControllerProblem,
  type EngineProvider,
  type ReviewFinding,
  type ReviewPass,
  type RunGoalOptions,
  type RunGoalResult,
  type SessionKey,
  type SessionPurpose,
  type SpendReport,
} from "./types.js";
