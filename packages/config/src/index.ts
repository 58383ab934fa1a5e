// @omk/config: OMK's config files (user and repo): engines, their environment, the default engine. Named exports only.
export {
  CONFIGURABLE_PRESETS,
  type ConfigProblem,
  findRepoRoot,
  loadConfig,
  type OmkConfig,
  repoConfigPath,
  userConfigPath,
} from "./load.js";
export { type EngineListing, engineNames, isKnownEngine, listEngines, resolveEngineSpec } from "./resolve.js";
export { trustConfigFile } from "./trust.js";
