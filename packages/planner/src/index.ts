// @omk/planner: public surface (named exports only).
// Goal intake and classification, the ambiguity check, plan artifacts, task graph building and validation, follow-up proposals.
export { type AnswerIssue, extractAnswer, MAX_ANSWER_CHARS, MAX_UNCLOSED_OBJECTS, parseAnswer, type SessionAnswer, schemaIssues, topLevelObjects } from "./answer.js";
export { ARTIFACT_FILES, type ArtifactFile, type PlanArtifacts, renderArtifacts } from "./artifacts.js";
export { createPlanner } from "./create-planner.js";
export {
  type AskIntake,
  askEngineIntake,
  buildIntakePrompt,
  decideIntake,
  type EngineIntakeAnswer,
  EngineIntakeAnswerSchema,
  intakeDoubt,
} from "./engine-intake.js";
export { createDeterministicPlanner, planDeterministic } from "./deterministic.js";
export {
  type AskPlan,
  createEnginePlanner,
  type EnginePlanAnswer,
  EnginePlanAnswerSchema,
  type EnginePlannerOptions,
  extractJson,
  type PlannerEvent,
} from "./engine-planner.js";
export { dependenciesOf, formatIssues, GRAPH_ISSUE_CODES, type GraphIssue, GraphIssueSchema, MAX_PLAN_TASKS, type ValidateGraphOptions, validateGraph } from "./graph.js";
export { inspectRepository } from "./inspect-repo.js";
export { buildCommandFor, describeInspection, EMPTY_INSPECTION, type RepoInspection, RepoInspectionSchema, testCommandFor } from "./inspection.js";
export { type ClassifiedIntake, GoalFactsSchema, type Intake, type IntakeInput, IntakeSchema, intake, type Signal, SignalSchema } from "./intake.js";
export {
  budgetFor,
  DEFAULT_TASK_BUDGETS,
  type Plan,
  type PlanAttempt,
  type PlanDecision,
  PlanDecisionSchema,
  type PlanInput,
  type Planned,
  type Planner,
  type PlanRejected,
  PlanSchema,
} from "./plan.js";
export {
  type AcceptedProposal,
  DEFAULT_POLICY,
  type PlanPolicy,
  PlanPolicySchema,
  type Proposal,
  type ProposalOptions,
  ProposalSchema,
  validateProposal,
} from "./proposal.js";
export { planRecordedEvent, type WrittenArtifact, writePlanArtifacts } from "./write-artifacts.js";
