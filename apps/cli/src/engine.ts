import path from "node:path";
import type { EngineProvider } from "@omk/controller";
import { PRESET_ENGINE_NAMES, presetProvider, scriptBookProvider } from "@omk/controller";
import { detectEngines } from "@omk/wire";
import type { Context } from "./context.js";
import { UsageError } from "./errors.js";

export type EngineChoice = { engine?: string | undefined; script?: string | undefined; model?: string | undefined };

/** A provider with no engine: everything runs on the deterministic paths (`goal plan` without an engine). */
const NO_ENGINE: EngineProvider = {
  name: "none",
  offers: () => false,
  specFor: () => ({ ok: false, error: { code: "no_engine", message: "no engine was chosen", fix: "pass --engine NAME, or --engine scripted --script FILE" } }),
};

/**
 * The engine provider from `--engine`/`--script`/`--model`, else OMK_ENGINE /
 * OMK_SCRIPT, else the first engine found on PATH. Bad input is a usage error
 * (exit 2) naming the fix, raised before anything is recorded.
 */
export async function resolveEngine(ctx: Context, choice: EngineChoice, options: { optional?: boolean } = {}): Promise<EngineProvider> {
  const script = choice.script ?? nonEmpty(ctx.env["OMK_SCRIPT"]);
  const named = choice.engine ?? nonEmpty(ctx.env["OMK_ENGINE"]) ?? (script === undefined ? undefined : "scripted");
  if (named === "scripted") {
    if (script === undefined) throw new UsageError("--engine scripted needs a script book", "pass --script book.yaml (or set OMK_SCRIPT)");
    const provider = scriptBookProvider(path.resolve(ctx.cwd, script));
    if (!provider.ok) throw new UsageError(firstLine(provider.error.message), provider.error.fix);
    return provider.value;
  }
  if (script !== undefined && choice.script !== undefined) {
    throw new UsageError(`--script plays a script book with the scripted engine, not with ${named}`, "drop --script, or use --engine scripted");
  }
  if (named !== undefined) {
    if (!PRESET_ENGINE_NAMES.includes(named)) throw new UsageError(`unknown engine "${named}"`, `use one of ${PRESET_ENGINE_NAMES.join(", ")}, or --engine scripted --script FILE`);
    const provider = presetProvider(named, choice.model === undefined ? {} : { model: choice.model });
    if (!provider.ok) throw new UsageError(provider.error.message, provider.error.fix);
    return provider.value;
  }
  // No engine named: the first one installed (found on PATH; no handshake, so this stays quick).
  const found = (await detectEngines({ engines: [...PRESET_ENGINE_NAMES], env: ctx.env, versionOnly: true })).find((e) => e.found);
  if (found !== undefined) {
    const provider = presetProvider(found.name, choice.model === undefined ? {} : { model: choice.model });
    if (provider.ok) return provider.value;
  }
  if (options.optional === true) return NO_ENGINE;
  throw new UsageError("no engine found", "install one (omk doctor) or use --engine scripted --script FILE");
}

/**
 * A parser's multi-line message (a YAML error quotes the source with a caret)
 * as one line: its first line, with the position (`line N, column M`) kept
 * when only a later line carries it.
 */
export function firstLine(message: string): string {
  const [head = "", ...rest] = message.split("\n");
  const line = head.trim().replace(/:$/, "");
  if (rest.length === 0 || /line \d+, column \d+/.test(line)) return line;
  const at = /line (\d+), column (\d+)/.exec(rest.join("\n"));
  return at === null ? line : `${line} (line ${at[1]}, column ${at[2]})`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
