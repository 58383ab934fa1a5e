/**
 * @omk/git: the one way OMK runs git (docs/decisions/git.md). Every other
 * package imports its runner; none spawns git itself.
 */
export { type GitEnvOptions, gitEnv, REPOSITORY_VARIABLES } from "./env.js";
export { type ConfigEntry, locateRepo, MERGE_FILE_DRIVER, overridesFor, parseConfigList, type RepoConfigVerdict, type RepoPaths } from "./repo-config.js";
export { clearRepoConfigCache, type GitOptions, type GitRefusal, type GitResult, git, gitSync, repoConfigVerdict, SAFE_CONFIG, safeArgs } from "./run.js";
