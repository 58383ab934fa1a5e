// Shared test helpers (private package): temporary dirs, child processes, the built `omk` binary.
export { cleanupTempDirs, makeTempDir } from "./temp.js";
export { type OmkRun, omkBinPath, runOmk } from "./omk.js";
export { deadPid, spawnTsScript, tsxLoaderArgs } from "./scripts.js";
export { initGitRepo } from "./git.js";
export { BROKEN_ADD_JS, npmLockfileFor, TAPE_PACKAGE_JSON, TAPE_VERSION, tapeProjectFiles } from "./npm-project.js";
export { gitIn, initBareRepo, ISOLATED_GIT_ENV, refsContaining, unreachableCommits } from "./git-repos.js";
export { checkoutWorktree, commitFiles, gitDiff } from "./git-history.js";
export { type PlantedNestedRepo, plantGitCode, plantNestedRepo } from "./planted-git.js";
export { createVirtualClock, randomDag } from "./scheduling.js";
export { filesContaining, isProcessAlive, listFiles, readPids } from "./leaks.js";
export { FAKE_KIMI_WIRE_SCRIPT } from "./fake-kimi-wire-path.js";
export { type FakeModelReply, type FakeOpenAI, startFakeOpenAI } from "./fake-openai.js";
export { runSchemaGenerator, SCHEMA_DIR, staleSchemaFiles } from "./schema-files.js";
export { type ModelRule, type LedgerEntry, type ModelServer, startModelServer } from "./model-server.js";
export { planRule, reviewRule, say, taskRule } from "./omk-rules.js";
export { FUZZ_TIMEOUT_MS, FUZZ_TOTAL, fuzzParams } from "./fuzz.js";
export { startUpClosure, staticImports } from "./bundle-imports.js";
export { bundledAgent } from "./scripted-agent.js";
export {
  makeTextkitRepo,
  PASSED_REVIEW,
  SLUGIFY_SRC,
  SLUGIFY_TEST,
  TEXTKIT_FILES,
  TEXTKIT_GOAL,
  textkitPlanSession,
  textkitReadySessions,
  turn,
  usage,
  write,
} from "./textkit.js";
