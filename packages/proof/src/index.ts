// @omk/proof: public surface (named exports only).
// Evidence (the gate wall, the oracle's evidence on base and head, evidence checkouts), proof.json's build, and its re-verification.
export { changedTestFiles } from "./evidence/checkout.js";
export { gateDescriptors, junitCasesOf, toGateEvidence } from "./evidence/gate-evidence.js";
export { collectOracleEvidence, evaluateRound, perTestEvidenceBlocks } from "./evidence/oracle-evidence.js";
export { buildProof } from "./evidence/proof-build.js";
export { gatePasses } from "./evidence/proof-claims.js";
export { runWall } from "./evidence/wall.js";
export {
  type CheckoutDeps,
  isSetupProblem,
  lastRecordedFailure,
  runSetupConfig,
  SETUP_FAILED,
  type SetupProblem,
  setUpCheckout,
  setupFailedCause,
  setupProducts,
} from "./internal/checkout-deps.js";
export { agentCommandEnv, checkoutConfinement, sessionConfinement } from "./internal/confinement.js";
export { type RedactedFiles, redactedFiles, redactedFilesFor } from "./internal/redacted-files.js";
export { REVIEW_ROLES } from "./internal/roles.js";
export { integratedTasks, supersededTasks, withDependents } from "./internal/superseded.js";
export { type ProofCheck, verifyProof } from "./proof-verify.js";
export type { ProofProblem, RunConfinement } from "./types.js";
export { type VerifyInput, type VerifyProblem, verifyCheckout, verifyGoal } from "./verify-goal.js";
