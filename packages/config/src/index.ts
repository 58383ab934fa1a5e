// @omk/config: OMK's config files (user and repo): engines, their environment, the default engine. Named exports only.
export { configJsonSchemas } from "./json-schemas.js";
export {
  CONFIGURABLE_PRESETS,
  type ConfigFileInfo,
  type ConfigLocation,
  type ConfigProblem,
  type ConfigScope,
  findRepoRoot,
  keyPath,
  loadConfig,
  loadConfigFile,
  type MergedEngine,
  type OmkConfig,
  type RepoTrust,
  repoConfigPath,
  userConfigPath,
} from "./load.js";
export { type EngineListing, type EngineSource, engineNames, isKnownEngine, listEngines, type ResolvedEngine, type ResolveOptions, resolveEngineSpec } from "./resolve.js";
export {
  type ConfigDeadlines,
  ConfigDeadlinesSchema,
  type ConfigFile,
  ConfigFileSchema,
  EngineEntrySchema,
  type EngineEntry,
  EngineNameSchema,
  EnvNameSchema,
  type EnvValue,
  EnvValueSchema,
} from "./schema.js";
export { isSecretName, looksLikeToken } from "./secrets.js";
export { isTrusted, keysNeedingTrust, trustConfigFile, trustStorePath, UNTRUSTED_ALLOWED } from "./trust.js";
