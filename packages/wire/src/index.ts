// @omk/wire: engine sessions (ACP, Kimi Wire, scripted). Named exports only; internals stay in src/internal.
export {
  type ConfinementMode,
  ConfinementModeSchema,
  type ConfinementPolicy,
  ConfinementPolicySchema,
  ConfinementUnavailableError,
  confinedArgv,
  ENGINE_DIR_VARS,
  ENGINE_HOME_FOLDERS,
  type Mount,
  MountSchema,
  type SessionConfinement,
  SessionConfinementSchema,
} from "./confine.js";
export { type PolicyInput, sandboxPolicy } from "./confine-policy.js";
export { engineVisiblePaths, type ProbeResult, probeConfinement } from "./confine-probe.js";
export { HOST_SOCKET_DIRS, hostSocketDirs, hostSockets } from "./confine-sockets.js";
export { judgeRefusal, type RefusalWatch, RefusalWatchSchema, type RefusedPath, refusedPaths, type SandboxRefusal, sandboxRefusals } from "./refusals.js";
export { DEFAULT_DETECT_HANDSHAKE_MS, type DetectedEngine, DetectedEngineSchema, type DetectOptions, detectEngines, findCommand } from "./detect.js";
export {
  type AgentInfo,
  type DeadlineKind,
  EngineAbortedError,
  EngineAuthRequiredError,
  EngineCrashedError,
  EngineProtocolMismatchError,
  EngineRequestError,
  EngineSpawnError,
  EngineTimeoutError,
  type ExitFacts,
  ModelNotOfferedError,
  ProtocolError,
  SessionStateError,
  WireConfigError,
  WireError,
} from "./errors.js";
export {
  ENGINE_HOME_VARS,
  ENGINE_LOGIN_FILES,
  engineEnv,
  isolatedEnv,
  isolationDirs,
  type IsolationDirs,
  loginPresetOf,
  removeSessionHome,
  TELEMETRY_OFF,
} from "./internal/isolation.js";
export { type KimiBinary, kimiBinaryFromPath } from "./internal/kimi-binary.js";
export { defaultPermissionPolicy, type PathJudge, type PermissionDecision, type PermissionPolicy, type PermissionRequest } from "./policy.js";
export { customEngine, ENGINE_PRESET_NAMES, type EnginePresetName, enginePreset, scriptedAgentCommand, scriptedEngine } from "./presets.js";
export { loadTranscriptScenario, scenarioFromTranscript } from "./replay.js";
export { loadScenario, parseScenario } from "./scenario.js";
export {
  type Deadlines,
  type DeadlinesInput,
  DeadlinesSchema,
  type EngineHome,
  EngineHomeSchema,
  type EngineProtocol,
  EngineProtocolSchema,
  type EngineSpec,
  type EngineSpecInput,
  EngineSpecSchema,
  HomeRelativePathSchema,
} from "./schemas/engine.js";
export {
  type CommandRun,
  CommandRunSchema,
  type PlanEntry,
  PlanEntrySchema,
  type StopReason,
  StopReasonSchema,
  type ToolKind,
  ToolKindSchema,
  type TurnResult,
  TurnResultSchema,
  type WireEvent,
  type WireEventInput,
  WireEventSchema,
  type WireEventType,
} from "./schemas/event.js";
export {
  type Scenario,
  type ScenarioInput,
  ScenarioSchema,
  type ScenarioStep,
  ScenarioStepSchema,
  type ScenarioTurn,
  ScenarioTurnSchema,
} from "./schemas/scenario.js";
export { type TranscriptLine, TranscriptLineSchema } from "./schemas/transcript.js";
export {
  type Cost,
  CostSchema,
  type ModelPrice,
  ModelPriceSchema,
  type PriceTable,
  PriceTableSchema,
  type TurnUsage,
  TurnUsageSchema,
  type UsageQuality,
  UsageQualitySchema,
  type Usage,
  UsageSchema,
  type UsageSource,
  UsageSourceSchema,
} from "./schemas/usage.js";
export { allowAllInRoot, checkInRoot, type RootCheck, type ScopeAccess, type ScopeCheck, scopeFromPaths, type ScopeVerdict } from "./scope.js";
export { type OpenSessionOptions, openSession } from "./session.js";
export type { CloseReport, EngineSession, PromptOptions } from "./session-types.js";
export { addUsage, costOf, DEFAULT_PRICE_TABLE, loadPriceTable, mergePriceTables, normalizeUsage, priceFor, totalTokens, ZERO_USAGE } from "./usage.js";
export { WIRE_VERSION } from "./version.js";
