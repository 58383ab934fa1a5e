// @omk/oracle: public surface (named exports only).
// Criteria per goal class, freezing and hashing, evaluation against evidence, tamper detection.
export { buildOracle, type OracleBlock, type OracleBuild, type OracleRequest, OracleRequestSchema, testTag } from "./build.js";
export { type EvaluateInput, type Evaluation, type EvaluationError, evaluate, type CriterionEvaluation, type Verdict } from "./evaluate.js";
export {
  type CommandResult,
  CommandResultSchema,
  type EvidenceSet,
  type EvidenceSetInput,
  EvidenceSetSchema,
  type JunitCase,
  JunitCaseSchema,
  type ReviewResult,
  ReviewResultSchema,
} from "./evidence.js";
export { canonicalJson, freeze, type OracleError, oracleEvent, oracleHash, revise, sha256Hex, verifyFrozen } from "./freeze.js";
export { ORACLE_FILE, type OracleFileError, readOracleFile, writeOracleFile } from "./oracle-file.js";
export { detectTampering, TAMPER_KINDS, type TamperFinding, TamperFindingSchema, type TamperKind, TamperKindSchema, type TamperOptions, type TamperReport, type TamperSources, tamperSourcePaths } from "./tamper.js";
export { analyzeCommand, type CommandAnalysis, type CommandOutcome, cannotFail, formatCommand } from "./vacuity.js";
export { isTestFile } from "./internal/tamper-rules.js";
