import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WireConfigError } from "./errors.js";
import { err, ok, type Result } from "@omk/core";
import { type EngineSpec, type EngineSpecInput, EngineSpecSchema } from "./schemas/engine.js";

export const ENGINE_PRESET_NAMES = ["kimi", "kimi-wire", "gemini", "claude", "codex", "qwen", "copilot", "scripted"] as const;
export type EnginePresetName = (typeof ENGINE_PRESET_NAMES)[number];

/** The engines OMK knows: how to start them and how to log in to them. `scripted` needs a scenario (see scriptedEngine). */
const PRESETS: Record<Exclude<EnginePresetName, "scripted">, EngineSpecInput> = {
  kimi: {
    name: "kimi",
    protocol: "acp",
    command: "kimi",
    args: ["acp"],
    login: "run `kimi login`, or configure a provider in ~/.kimi-code/config.toml",
    usageLog: "kimi_session_log",
  },
  "kimi-wire": {
    name: "kimi-wire",
    protocol: "kimi-wire",
    command: "kimi",
    login: "run `kimi` and `/login`, or set KIMI_API_KEY (and KIMI_BASE_URL, KIMI_MODEL_NAME)",
  },
  gemini: {
    name: "gemini",
    protocol: "acp",
    command: "gemini",
    args: ["--acp"],
    login: "run `gemini` once and pick a login method, or set GEMINI_API_KEY",
  },
  claude: {
    name: "claude",
    protocol: "acp",
    command: "claude-agent-acp",
    login: "run `claude` and `/login`, or set ANTHROPIC_API_KEY",
    // Claude Code's after-turn prompt suggestion is a model call for a human's composer, reported in no turn's usage.
    env: { CLAUDE_CODE_ENABLE_PROMPT_SUGGESTION: "false" },
  },
  codex: {
    name: "codex",
    protocol: "acp",
    command: "codex-acp",
    login: "run `codex login`, or set OPENAI_API_KEY",
  },
  qwen: {
    name: "qwen",
    protocol: "acp",
    command: "qwen",
    args: ["--acp"],
    login: "run `qwen` and pick an auth type, or set OPENAI_API_KEY with OPENAI_BASE_URL and OPENAI_MODEL",
    unreportedCalls: "qwen_code",
  },
  copilot: {
    name: "copilot",
    protocol: "acp",
    command: "copilot",
    args: ["--acp"],
    login: "run `copilot` and `/login`, or set GH_TOKEN with a token that has Copilot access",
  },
};

function parseSpec(input: EngineSpecInput): Result<EngineSpec, WireConfigError> {
  const parsed = EngineSpecSchema.safeParse(input);
  if (!parsed.success)
    return err(new WireConfigError(`invalid engine spec: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`));
  return ok(parsed.data);
}

/**
 * A known engine's spec, with overrides (another command path, extra args,
 * env, model, deadlines). `scripted` is built with scriptedEngine instead.
 */
export function enginePreset(name: string, overrides: Partial<EngineSpecInput> = {}): Result<EngineSpec, WireConfigError> {
  if (name === "scripted") return err(new WireConfigError("the scripted engine needs a scenario: use scriptedEngine(scenarioFile)"));
  const preset = (PRESETS as Record<string, EngineSpecInput | undefined>)[name];
  if (preset === undefined)
    return err(
      new WireConfigError(`unknown engine "${name}"; known: ${ENGINE_PRESET_NAMES.join(", ")}, or a custom command`, {
        fix: "configure a custom engine with a command and a protocol",
      }),
    );
  return parseSpec({ ...preset, ...overrides, name: overrides.name ?? preset.name });
}

/** A custom engine from config: any command speaking ACP (or Kimi Wire). */
export function customEngine(spec: EngineSpecInput): Result<EngineSpec, WireConfigError> {
  return parseSpec(spec);
}

/**
 * How to start omk-scripted-agent: the built `dist/scripted-agent.js` next to
 * this module, or, when running from source, `src/scripted-agent.ts` through
 * tsx (resolvable in a development checkout).
 */
export function scriptedAgentCommand(): { command: string; args: string[] } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.join(here, "scripted-agent.js");
  if (existsSync(built)) return { command: process.execPath, args: [built] };
  const source = path.join(here, "scripted-agent.ts");
  const tsx = createRequire(import.meta.url).resolve("tsx");
  return { command: process.execPath, args: ["--conditions=@omk/source", "--import", tsx, source] };
}

/** The scripted engine playing a scenario file (YAML or JSON), in a hermetic home unless overridden. */
export function scriptedEngine(scenarioFile: string, overrides: Partial<EngineSpecInput> = {}): EngineSpec {
  const { command, args } = scriptedAgentCommand();
  return EngineSpecSchema.parse({
    name: "scripted",
    protocol: "acp",
    command,
    args: [...args, "--scenario", path.resolve(scenarioFile)],
    login: "the scripted engine never needs a login; its scenario asked for one (auth fault)",
    versionArgs: [...args, "--version"],
    // It reads no login or config: a fresh home keeps its files (e.g. its Kimi log lines) out of the user's.
    home: "hermetic",
    ...overrides,
  });
}
