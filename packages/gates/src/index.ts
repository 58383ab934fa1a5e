// @omk/gates: the verification wall. Public surface (named exports only).
export { compareToBaseline, type BaselineRun, type CompareToBaselineOptions } from "./baseline.js";
export { dependencyChanges, isDependencyFile, type ManifestVersions } from "./builtin/dependencies.js";
export { diffFiles, scanDiffForSecrets } from "./builtin/secret-scan.js";
export { compareReports, missingOnBase } from "./compare.js";
export type { ConfineCommand, ConfineRequest, Confined } from "./confine.js";
export { CONFIG_FILES, type LoadedGates, loadGates, parseGatesConfig, readGatesConfig } from "./config.js";
export { detectGates } from "./detect.js";
export {
  type ConfigPosition,
  GatesAbortedError,
  GatesConfigError,
  GatesError,
  GatesGitError,
  GatesUsageError,
  type GitProblem,
  NoGatesDetectedError,
} from "./errors.js";
export { allowedEnv } from "./env.js";
export { gatesJsonSchemas } from "./json-schemas.js";
export { formatJunit } from "./report/junit.js";
export { formatMarkdown } from "./report/markdown.js";
export { formatText } from "./report/text.js";
export { newRunId, requiredNotPassing, type RunGatesOptions, runGates } from "./run.js";
export { type ArgvRun, type RunArgvOptions, runArgv } from "./run-argv.js";
export {
  BUILTINS,
  type BenchmarkSpec,
  BenchmarkSpecSchema,
  type Builtin,
  BuiltinSchema,
  DurationSchema,
  type Figure,
  FigureSchema,
  GATE_KINDS,
  type Gate,
  type GateInput,
  type GateKind,
  GateKindSchema,
  GateNameSchema,
  GateSchema,
  type GatesConfig,
  type GatesConfigInput,
  GatesConfigSchema,
  type GoldenSpec,
  GoldenSpecSchema,
  TEST_REPORT_FORMATS,
  type TestReportFormat,
  TestReportFormatSchema,
  type TestReportSpec,
  TestReportSpecSchema,
} from "./schemas/config.js";
export { type Detection, DetectionSchema } from "./schemas/detection.js";
export { defaultDepsCacheDir, defaultSetupCachesDir, setupCacheEnv } from "./internal/setup/cache-dirs.js";
export { detectSetup, missingDependencies } from "./internal/setup/plan.js";
export { describeSetup, type PrepareCheckoutOptions, prepareCheckout } from "./setup.js";
export {
  type SetupConfig,
  SetupConfigSchema,
} from "./schemas/config.js";
export {
  type SetupFailure,
  SetupFailureSchema,
  type SetupOutcome,
  SetupOutcomeSchema,
  type SetupPlan,
  SetupPlanSchema,
  type SetupStep,
  type SetupStepResult,
  SetupStepResultSchema,
  SetupStepSchema,
} from "./schemas/setup.js";
export { type GatesEvent, GatesEventSchema, type OnGatesEvent } from "./schemas/events.js";
export {
  type Attempt,
  AttemptSchema,
  BASELINE_STATUSES,
  type BaselineStatus,
  BaselineStatusSchema,
  type BenchmarkResult,
  BenchmarkResultSchema,
  type Comparison,
  ComparisonSchema,
  type DependencyChange,
  DependencyChangeSchema,
  GATE_OUTCOMES,
  type GateComparison,
  GateComparisonSchema,
  type GateOutcome,
  GateOutcomeSchema,
  type GateResult,
  GateResultSchema,
  type GatesReport,
  GatesReportSchema,
  type GoldenResult,
  GoldenResultSchema,
  type LogFile,
  LogFileSchema,
  REPORT_SCHEMA_VERSION,
  type SecretFinding,
  SecretFindingSchema,
  type TestCase,
  TestCaseSchema,
} from "./schemas/result.js";
export { treeState as readTreeState, type TreeState } from "./internal/git.js";
export { TOOL_NAME, TOOL_VERSION } from "./internal/version.js";
export { killAllGatesNow } from "./internal/process.js";
export { GATES_EXIT, gatesExitCode } from "./internal/exit-codes.js";
export type { Runner } from "./internal/tests/find-runner.js";
export { type PlanInput, planTestReport, type TestReportPlan } from "./internal/tests/plan.js";
export { parseGoJson, parseJestJson, parseLibtest, parseTap } from "./internal/tests/parsers.js";
export { perTestEvidence } from "./internal/tests/read.js";
