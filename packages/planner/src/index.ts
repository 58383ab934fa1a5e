// @omk/planner: public surface (named exports only).
// Goal intake and classification, the ambiguity check, plan artifacts, task graph building and validation, follow-up proposals.
export { extractAnswer, MAX_ANSWER_CHARS, MAX_UNCLOSED_OBJECTS, parseAnswer, type SessionAnswer, topLevelObjects } from "./answer.js";
export { ARTIFACT_FILES, renderArtifacts } from "./artifacts.js";
export { createPlanner } from "./create-planner.js";
export {
  type AskIntake,
  askEngineIntake,
  buildIntakePrompt,
  decideIntake,
  intakeDoubt,
} from "./engine-intake.js";
export { createDeterministicPlanner, planDeterministic } from "./deterministic.js";
export {
  type AskPlan,
  createEnginePlanner,
  EnginePlanAnswerSchema,
  extractJson,
  type PlannerEvent,
} from "./engine-planner.js";
export { MAX_PLAN_TASKS, validateGraph } from "./graph.js";
export { inspectRepository } from "./inspect-repo.js";
export { buildCommandFor, EMPTY_INSPECTION, type RepoInspection, testCommandFor } from "./inspection.js";
export { type ClassifiedIntake, type Intake, intake } from "./intake.js";
export {
  budgetFor,
  DEFAULT_TASK_BUDGETS,
  type PlanRejected,
  PlanSchema,
} from "./plan.js";
export { validateProposal } from "./proposal.js";
export { planRecordedEvent, writePlanArtifacts } from "./write-artifacts.js";
