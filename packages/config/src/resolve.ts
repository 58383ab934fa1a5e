/**
 * From the merged config to a session's engine: the preset (when the name is
 * one) with the configured fields on top, `{ from: VAR }` values read from
 * OMK's environment, the command found on PATH, a price table.
 */
import { err, ok, type Result } from "@omk/core";
import { customEngine, type EngineSpec, type EngineSpecInput, enginePreset, findCommand, type PriceTable } from "@omk/wire";
import { CONFIGURABLE_PRESETS, type ConfigProblem, type ConfigScope, type MergedEngine, type OmkConfig } from "./load.js";

/** Where an engine is defined: a preset, the user file, the repo file (in that order of precedence, last wins). */
type EngineSource = "preset" | ConfigScope;

/** An engine ready for a session. */
export type ResolvedEngine = {
  readonly name: string;
  /** The spec a session runs: `command` is an absolute path when it was found. */
  readonly spec: EngineSpec;
  readonly sources: readonly EngineSource[];
  /** The config files that define it (user first). */
  readonly files: readonly string[];
  /** The command as configured (a name looked up on PATH, or an absolute path). */
  readonly command: string;
  /** The command's absolute path; undefined when it was not found. */
  readonly path: string | undefined;
  /** The engine's prices from the config, as a price table keyed by its name. */
  readonly priceTable: PriceTable | undefined;
  /** Values read through `{ from: VAR }`: to keep out of everything OMK writes. */
  readonly secrets: readonly string[];
};

export type ResolveOptions = {
  /** OMK's environment: `{ from: VAR }` values and PATH. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--model`: overrides the config's model. */
  readonly model?: string | undefined;
  /** Fail when the command is not found (default true; `omk engines` and `omk doctor` list it as not found instead). */
  readonly requireCommand?: boolean;
};

/** Every engine a user may name: the presets, then the configured custom engines (in file order). */
export function engineNames(config: OmkConfig): string[] {
  return [...CONFIGURABLE_PRESETS, ...Object.keys(config.engines).filter((n) => !CONFIGURABLE_PRESETS.includes(n))];
}

/** Whether `name` is a preset or a configured engine. */
export function isKnownEngine(config: OmkConfig, name: string): boolean {
  return CONFIGURABLE_PRESETS.includes(name) || config.engines[name] !== undefined;
}

function fileOf(engine: MergedEngine | undefined, config: OmkConfig, field: "command" | "env"): string {
  const file = field === "command" ? engine?.fieldFiles.command : undefined;
  return file ?? (engine?.scopes.includes("repo") ? config.files.repo?.path : undefined) ?? config.files.user.path;
}

/**
 * The engine `name` resolves to: a configured engine (a preset overridden
 * field by field, or a custom one), else a preset. `model` (from `--model`)
 * overrides the config's. An unknown name, an unset `{ from }` variable or
 * (with requireCommand) a command not found is a problem naming the fix.
 */
export function resolveEngineSpec(config: OmkConfig, name: string, options: ResolveOptions): Result<ResolvedEngine, ConfigProblem> {
  const preset = CONFIGURABLE_PRESETS.includes(name);
  const configured = config.engines[name];
  if (!preset && configured === undefined) {
    const where = [config.files.user, config.files.repo].filter((f) => f?.exists).map((f) => f?.path);
    return err({
      code: "engine_unknown",
      message: `unknown engine "${name}"`,
      fix: `use one of ${engineNames(config).join(", ")}, or --engine scripted --script FILE, or define engines.${name} (command, protocol) in ${where.length === 0 ? `${config.files.repo?.path ?? config.files.user.path}` : where.join(" or ")}`,
    });
  }
  const entry = configured?.entry ?? {};
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [variable, value] of Object.entries(entry.env ?? {})) {
    if (typeof value === "string") {
      env[variable] = value;
      continue;
    }
    const read = options.env[value.from];
    if (read === undefined) {
      const file = configured?.envFiles[variable] ?? fileOf(configured, config, "env");
      const key = `engines.${name}.env.${variable}`;
      return err({
        code: "env_missing",
        file,
        key,
        message: `${file}: ${key}: takes its value from ${value.from}, which is not set in omk's environment`,
        fix: `export ${value.from}=<value> before running omk, or remove ${variable} from engines.${name}.env`,
      });
    }
    env[variable] = read;
    if (read.trim() !== "") secrets.push(read);
  }
  const overrides: Partial<EngineSpecInput> = {
    ...(entry.command === undefined ? {} : { command: entry.command }),
    ...(entry.args === undefined ? {} : { args: entry.args }),
    ...(entry.protocol === undefined ? {} : { protocol: entry.protocol }),
    ...(Object.keys(env).length === 0 ? {} : { env }),
    ...(entry.priceModel === undefined ? {} : { priceModel: entry.priceModel }),
    ...(entry.deadlines === undefined ? {} : { deadlines: entry.deadlines }),
    ...(entry.versionArgs === undefined ? {} : { versionArgs: entry.versionArgs }),
    ...(entry.usageLog === undefined ? {} : { usageLog: entry.usageLog }),
    ...(entry.login === undefined ? {} : { login: entry.login }),
    ...(entry.home === undefined ? {} : { home: entry.home }),
    ...(entry.homeCopy === undefined ? {} : { homeCopy: entry.homeCopy }),
  };
  const model = options.model ?? entry.model;
  if (model !== undefined) overrides.model = model;
  const built = preset ? enginePreset(name, overrides) : customEngine({ name, ...overrides } as EngineSpecInput);
  if (!built.ok) {
    return err({
      code: "config_invalid",
      message: `engine ${name}: ${built.error.message}`,
      fix: built.error.fix ?? "correct the engine's entry (see https://omk.dev/schemas/config.schema.json)",
    });
  }
  const spec = built.value;
  const found = findCommand(spec.command, options.env);
  if (found === undefined && options.requireCommand !== false) {
    const file = configured?.fieldFiles.command ?? fileOf(configured, config, "command");
    const onPath = !spec.command.includes("/");
    return err({
      code: "command_not_found",
      ...(configured?.fieldFiles.command === undefined ? {} : { file, key: `engines.${name}.command` }),
      message: onPath ? `engine ${name}: ${spec.command} not found on PATH` : `engine ${name}: ${spec.command} does not exist or is not executable`,
      fix: onPath
        ? `install it, or set engines.${name}.command to its path in ${file}`
        : `make ${spec.command} an executable file, or correct engines.${name}.command in ${file}`,
    });
  }
  const sources: EngineSource[] = [...(preset ? (["preset"] as const) : []), ...(configured?.scopes ?? [])];
  const files = (configured?.scopes ?? []).map((s) => (s === "user" ? config.files.user.path : (config.files.repo?.path ?? "")));
  return ok({
    name,
    spec: found === undefined ? spec : { ...spec, command: found },
    sources,
    files,
    command: spec.command,
    path: found,
    priceTable: entry.prices === undefined ? undefined : { version: 1, prices: { [spec.name]: entry.prices } },
    secrets,
  });
}

/** One line of `omk engines`. */
export type EngineListing = {
  readonly name: string;
  readonly sources: readonly EngineSource[];
  readonly files: readonly string[];
  readonly protocol: string;
  readonly command: string;
  readonly path: string | undefined;
  readonly found: boolean;
  readonly model: string | undefined;
  /** Why it cannot run as configured (an unset `{ from }` variable), else undefined. */
  readonly problem: ConfigProblem | undefined;
};

/** Every engine (presets and configured), where it is defined and whether its command is found; no process is started. */
export function listEngines(config: OmkConfig, env: Readonly<Record<string, string | undefined>>): EngineListing[] {
  return engineNames(config).map((name) => {
    const resolved = resolveEngineSpec(config, name, { env, requireCommand: false });
    if (resolved.ok) {
      const r = resolved.value;
      return {
        name,
        sources: r.sources,
        files: r.files,
        protocol: r.spec.protocol,
        command: r.command,
        path: r.path,
        found: r.path !== undefined,
        model: r.spec.model,
        problem: undefined,
      };
    }
    // Resolution failed (an unset variable): list the entry as written.
    const configured = config.engines[name];
    const preset = CONFIGURABLE_PRESETS.includes(name) ? enginePreset(name) : undefined;
    const command = configured?.entry.command ?? (preset?.ok === true ? preset.value.command : "");
    const found = command === "" ? undefined : findCommand(command, env);
    return {
      name,
      sources: [...(preset === undefined ? [] : (["preset"] as const)), ...(configured?.scopes ?? [])],
      files: (configured?.scopes ?? []).map((s) => (s === "user" ? config.files.user.path : (config.files.repo?.path ?? ""))),
      protocol: configured?.entry.protocol ?? (preset?.ok === true ? preset.value.protocol : "acp"),
      command,
      path: found,
      found: found !== undefined,
      model: configured?.entry.model,
      problem: resolved.error,
    };
  });
}
