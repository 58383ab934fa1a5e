/**
 * Engine providers: which engine runs each session. A preset (kimi, gemini,
 * claude, ...) runs every session; the scripted engine plays a script book
 * (see script-book.ts).
 */
import { err, ok, type Result } from "@omk/core";
import { customEngine, ENGINE_PRESET_NAMES, type EngineSpecInput, enginePreset, type PriceTable } from "@omk/wire";
import type { SessionProblem, EngineProvider } from "./types.js";

/** Preset names a user may pass to `--engine` besides `scripted`. */
const PRESET_ENGINE_NAMES: readonly string[] = ENGINE_PRESET_NAMES.filter((name) => name !== "scripted");

/**
 * A real engine for every purpose: plan, tasks, reviews (break-it too) and
 * follow-ups. `model` is selected after each session opens.
 */
export function presetProvider(name: string, options: { model?: string } = {}): Result<EngineProvider, SessionProblem> {
  if (name === "scripted") {
    return err({
      code: "engine_needs_script",
      message: "the scripted engine plays a script book and needs one",
      fix: "pass --script FILE (or set OMK_SCRIPT) with --engine scripted",
    });
  }
  const spec = enginePreset(name, options.model === undefined ? {} : { model: options.model });
  if (!spec.ok) {
    return err({
      code: "engine_unknown",
      message: `unknown engine "${name}"`,
      fix: `use one of ${PRESET_ENGINE_NAMES.join(", ")}, or --engine scripted --script FILE`,
    });
  }
  const value = spec.value;
  return ok({
    name: value.name,
    offers: () => true,
    specFor: () => ok(value),
    usageAtTurnEnd: value.usageLog !== "kimi_session_log",
  });
}

/**
 * A real engine from a spec resolved elsewhere (a config-defined engine, a
 * preset with config overrides), for every purpose like presetProvider. The
 * spec is checked here; `name` is the spec's name. `priceTable`: the
 * engine's prices (merged over the default table in every session);
 * `secrets`: values the engine was given (a config's `{ from: VAR }`
 * values), redacted from its sessions' transcripts and events.
 */
export function engineSpecProvider(
  spec: EngineSpecInput,
  options: { priceTable?: PriceTable; secrets?: readonly string[] } = {},
): Result<EngineProvider, SessionProblem> {
  const parsed = customEngine(spec);
  if (!parsed.ok) {
    return err({
      code: "engine_invalid",
      message: `engine ${spec.name}: ${parsed.error.message}`,
      fix: parsed.error.fix ?? "correct the engine's configuration (docs/schemas/config.schema.json)",
    });
  }
  const value = parsed.value;
  return ok({
    name: value.name,
    offers: () => true,
    specFor: () => ok(value),
    usageAtTurnEnd: value.usageLog !== "kimi_session_log",
    ...(options.priceTable === undefined ? {} : { priceTable: options.priceTable }),
    ...(options.secrets === undefined || options.secrets.length === 0 ? {} : { secrets: [...options.secrets] }),
  });
}
