import path from "node:path";
import { type ConfigProblem, findRepoRoot, isKnownEngine, listEngines, loadConfig, type OmkConfig, resolveEngineSpec } from "@omk/config";
import { type EngineProvider, engineSpecProvider, presetProvider, scriptBookProvider } from "@omk/sessions";
import type { Context } from "./context.js";
import { UsageError } from "./errors.js";
import { INSTALL } from "./install-hints.js";
import { shellWord } from "./invocation.js";
import { exampleScriptBook, scriptBookSchemaPath } from "./shipped.js";

/**
 * `repo`: the repository whose `.omk/config.yaml` applies (default: the one
 * holding the current directory); `trustRepoConfig` (--trust-repo-config):
 * trust that file for this run whatever the trust store says (CI).
 */
export type EngineChoice = {
  engine?: string | undefined;
  script?: string | undefined;
  model?: string | undefined;
  repo?: string | undefined;
  trustRepoConfig?: boolean | undefined;
};

/** How readConfig treats an untrusted repo file: `refuse` (runs, doctor: exit 2) or `ignore` (listing: its keys needing trust dropped and reported). */
export type ReadConfigOptions = { trustRepo?: boolean | undefined; untrustedRepo?: "refuse" | "ignore" };

/** A config problem as a usage error (exit 2): one line naming the file, the key and the fix. */
export function configError(problem: ConfigProblem): UsageError {
  return new UsageError(problem.message, problem.fix);
}

/** The merged user and repo config (the repo found from `repo`, else from the current directory); an invalid file is a usage error. */
export function readConfig(ctx: Context, repo?: string, options: ReadConfigOptions = {}): OmkConfig {
  const loaded = loadConfig({
    env: ctx.env,
    repoRoot: repoRootOf(ctx, repo),
    trustRepo: options.trustRepo === true,
    untrustedRepo: options.untrustedRepo ?? "refuse",
  });
  if (!loaded.ok) throw configError(loaded.error);
  return loaded.value;
}

/** The repository whose `.omk/config.yaml` applies: the one holding `repo` (else the current directory), else `repo` itself. */
export function repoRootOf(ctx: Context, repo?: string): string | undefined {
  const start = path.resolve(ctx.cwd, repo ?? ".");
  return findRepoRoot(start) ?? (repo === undefined ? undefined : start);
}

/** The first preset (in preset order, with the config's overrides) whose command is found and that can start as configured. */
export function firstInstalledPreset(ctx: Context, config: OmkConfig): string | undefined {
  return listEngines(config, ctx.env).find((e) => e.sources.includes("preset") && e.found && e.problem === undefined)?.name;
}

/** A provider for an engine from the config (a preset overridden field by field, or a custom engine). */
function configuredProvider(ctx: Context, config: OmkConfig, name: string, model: string | undefined): EngineProvider {
  const resolved = resolveEngineSpec(config, name, { env: ctx.env, model });
  if (!resolved.ok) throw configError(resolved.error);
  const { spec, priceTable, secrets } = resolved.value;
  const provider = engineSpecProvider(spec, { ...(priceTable === undefined ? {} : { priceTable }), secrets });
  if (!provider.ok) throw new UsageError(provider.error.message, provider.error.fix);
  return provider.value;
}

/** A provider with no engine: everything runs on the deterministic paths (`goal plan` without an engine). */
const NO_ENGINE: EngineProvider = {
  name: "none",
  offers: () => false,
  specFor: () => ({ ok: false, error: { code: "no_engine", message: "no engine was chosen", fix: "pass --engine NAME, or --engine scripted --script FILE" } }),
};

/**
 * The engine provider from `--engine`/`--script`/`--model`, else OMK_ENGINE /
 * OMK_SCRIPT, else the config's `defaultEngine`, else the first preset found
 * on PATH. A name resolves from the config first (user and repo files), then
 * from the presets; `--model` overrides the config's model. Bad input (an
 * invalid config included) is a usage error (exit 2) naming the fix, raised
 * before anything is recorded.
 */
export async function resolveEngine(ctx: Context, choice: EngineChoice, options: { optional?: boolean } = {}): Promise<EngineProvider> {
  const script = choice.script ?? nonEmpty(ctx.env["OMK_SCRIPT"]);
  const named = choice.engine ?? nonEmpty(ctx.env["OMK_ENGINE"]) ?? (script === undefined ? undefined : "scripted");
  if (named === "scripted") {
    if (script === undefined) {
      const example = exampleScriptBook();
      const shown =
        example === undefined
          ? ""
          : `; an example book ships with omk: ${shellWord(example)} (it plays the demo's goal on the demo's project: omk demo runs it)`;
      throw new UsageError(
        "--engine scripted needs a script book (the sessions it plays instead of a model)",
        `pass --script book.yaml (or set OMK_SCRIPT)${shown}`,
      );
    }
    const schema = scriptBookSchemaPath();
    const provider = scriptBookProvider(path.resolve(ctx.cwd, script), schema === undefined ? {} : { schema: shellWord(schema) });
    if (!provider.ok) throw new UsageError(firstLine(provider.error.message), provider.error.fix);
    return provider.value;
  }
  if (script !== undefined && choice.script !== undefined) {
    throw new UsageError(`--script plays a script book with the scripted engine, not with ${named}`, "drop --script, or use --engine scripted");
  }
  // Engines resolve from the config first (user file, then the repo file over it), then from the presets.
  // An untrusted repo file that sets keys needing trust stops here (exit 2), before any engine is looked up.
  const config = readConfig(ctx, choice.repo, { trustRepo: choice.trustRepoConfig });
  const chosen = named ?? config.defaultEngine?.name;
  if (chosen !== undefined) {
    if (config.engines[chosen] !== undefined) return configuredProvider(ctx, config, chosen, choice.model);
    if (!isKnownEngine(config, chosen)) {
      const problem = resolveEngineSpec(config, chosen, { env: ctx.env });
      throw problem.ok ? new UsageError(`unknown engine "${chosen}"`, "use --engine NAME (omk engines lists them)") : configError(problem.error);
    }
    requireInstalled(ctx, config, chosen);
    const provider = presetProvider(chosen, choice.model === undefined ? {} : { model: choice.model });
    if (!provider.ok) throw new UsageError(provider.error.message, provider.error.fix);
    return provider.value;
  }
  // No engine named anywhere: the first preset installed (its command, as the config may set it, found; no process is started).
  const found = firstInstalledPreset(ctx, config);
  if (found !== undefined) {
    if (config.engines[found] !== undefined) return configuredProvider(ctx, config, found, choice.model);
    const provider = presetProvider(found, choice.model === undefined ? {} : { model: choice.model });
    if (provider.ok) return provider.value;
  }
  if (options.optional === true) return NO_ENGINE;
  throw new UsageError("no engine found", "install one (omk doctor) or use --engine scripted --script FILE");
}

/**
 * A preset named (flag, OMK_ENGINE, recorded or defaultEngine) whose command
 * is not on PATH: a usage error (exit 2) before any goal is created or moved,
 * as for a configured engine, with the install line `omk doctor` gives.
 */
function requireInstalled(ctx: Context, config: OmkConfig, name: string): void {
  const resolved = resolveEngineSpec(config, name, { env: ctx.env });
  if (resolved.ok || resolved.error.code !== "command_not_found") return;
  const install = INSTALL[name];
  throw new UsageError(
    resolved.error.message,
    install === undefined ? resolved.error.fix : `${install} (or set engines.${name}.command to where it is, in a config file: omk engines --help)`,
  );
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
