// @omk/sessions: public surface (named exports only).
// Engine sessions: choosing the engine, running one session confined and metered, running one task attempt in its worktree.
export { engineSpecProvider, presetProvider } from "./engine-provider.js";
export { EngineSetupFailure, isEngineSetupProblem, resumeFlagsOf, sessionFailure, splitFix } from "./engine-setup.js";
export { knownSecretsIn, namedHits } from "./known-secrets.js";
export { ProblemSchema, ReviewPassSchema, ScopeRefusedEventSchema, SpendReportSchema, TaskUpdateEventSchema } from "./schemas.js";
export { loadScriptBook, ScriptBookSchema, scriptBookProvider } from "./script-book.js";
export { runSession, type SessionOutcome } from "./session.js";
export {
  addSessionSpends,
  addSpend,
  estimateTokens,
  type SpendEstimate,
  sessionSpendEvent,
  unknownSpendEstimate,
  unknownUsageWarning,
  ZERO_SPEND,
  ZERO_TOKENS,
} from "./session-spend.js";
export { createTaskRunner } from "./tasks/task-runner.js";
export { capturedCommits, taskStartCommit } from "./tasks/task-start.js";
export { prepareTaskWorktree, removeTaskWorktree } from "./tasks/task-worktree.js";
export type { EngineProvider, ReviewPass, SessionProblem, SessionPurpose, SpendReport } from "./types.js";
