// Shared test helpers (private package): temporary dirs, child processes, the built `omk` binary.
export { cleanupTempDirs, makeTempDir } from "./temp.js";
export { type OmkRun, omkBinPath, runOmk } from "./omk.js";
export { deadPid, runTsScript, spawnTsScript, tsxLoaderArgs } from "./scripts.js";
export { initGitRepo } from "./git.js";
export { ADD_JS, BROKEN_ADD_JS, npmLockfileFor, TAPE_PACKAGE_JSON, TAPE_TEST_JS, TAPE_VERSION, tapeProjectFiles } from "./npm-project.js";
export { gitIn, initBareRepo, ISOLATED_GIT_ENV, refsContaining, unreachableCommits } from "./git-repos.js";
export { checkoutWorktree, commitFiles, gitDiff } from "./git-history.js";
export { type NestedForm, PLANTED_HOOKS, type PlantedNestedRepo, type PlantedRepo, plantGitCode, plantNestedRepo } from "./planted-git.js";
export { createVirtualClock, type DagNode, type RandomDagOptions, randomDag, seededRandom, type VirtualClock } from "./scheduling.js";
export { filesContaining, isProcessAlive, listFiles, readPids } from "./leaks.js";
export { FAKE_KIMI_WIRE_SCRIPT } from "./fake-kimi-wire-path.js";
export { type FakeModelReply, type FakeOpenAI, startFakeOpenAI } from "./fake-openai.js";
export { runSchemaGenerator, SCHEMA_DIR, staleSchemaFiles, writeSchemaFiles } from "./schema-files.js";
export {
  type Dialect,
  INVALID_JSON_ANSWER,
  type LedgerEntry,
  type ModelAction,
  type ModelFault,
  type ModelReply,
  type ModelRequest,
  type ModelRule,
  type ModelServer,
  SIDE_ANSWER,
  type ServedUsage,
  startModelServer,
  type Toolset,
  toolCallFor,
  toolsetOf,
} from "./model-server.js";
export { criteriaIdsOf, followUpRule, OMK_PROMPT, type PlannedTask, planAnswer, planRule, reviewRule, say, taskRule } from "./omk-rules.js";
export { FUZZ_RUNS, FUZZ_TIMEOUT_MS, FUZZ_TOTAL, fuzzParams } from "./fuzz.js";
export { startUpClosure, staticImports } from "./bundle-imports.js";
