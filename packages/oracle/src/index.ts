// @omk/oracle: public surface (named exports only).
// Criteria per goal class, freezing and hashing, evaluation against evidence, tamper detection.
export { buildOracle, type OracleBuild, testTag } from "./build.js";
export { type Evaluation, evaluate } from "./evaluate.js";
export {
  type CommandResult,
  type EvidenceSet,
  type EvidenceSetInput,
  EvidenceSetSchema,
  type JunitCase,
  type ReviewResult,
} from "./evidence.js";
export { freeze, oracleEvent, oracleHash, revise } from "./freeze.js";
export { readOracleFile, writeOracleFile } from "./oracle-file.js";
export { detectTampering, type TamperSources, tamperSourcePaths } from "./tamper.js";
export { isTestFile } from "./internal/tamper-rules.js";
/** @public the README's usage example */
export { analyzeCommand } from "./vacuity.js";
