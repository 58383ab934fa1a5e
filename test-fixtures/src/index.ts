// Shared test helpers (private package): temporary dirs, child processes, the built `omk` binary.
export { cleanupTempDirs, makeTempDir } from "./temp.js";
export { type OmkRun, omkBinPath, runOmk } from "./omk.js";
export { deadPid, runTsScript, spawnTsScript, tsxLoaderArgs } from "./scripts.js";
export { initGitRepo } from "./git.js";
