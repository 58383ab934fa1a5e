/**
 * The controller's own modules the phases use (sessions, task runner,
 * evidence, review), in one place.
 */
export { changedTestFiles } from "../evidence/checkout.js";
export { collectOracleEvidence, evaluateRound } from "../evidence/oracle-evidence.js";
export { gateDescriptors, junitCasesOf } from "../evidence/gate-evidence.js";
export { runWall } from "../evidence/wall.js";
export { runReview } from "../review/run-review.js";
export { runSession } from "../session.js";
export { createTaskRunner } from "../task-runner.js";
