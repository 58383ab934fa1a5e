/**
 * Loading OMK's config files: the user file and the repo file, each checked
 * against ConfigFileSchema (one problem → one line naming the file, the key
 * and the fix), relative command paths resolved against their base, then
 * merged: the repo file overrides the user file field by field.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { err, ok, type Result, sha256 } from "@omk/core";
import { ENGINE_PRESET_NAMES } from "@omk/wire";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { type ConfigFile, ConfigFileSchema, type EngineEntry, EngineEntrySchema } from "./schema.js";
import { type ConfigProblem, unreadable } from "./problem.js";
import { secretProblem } from "./secrets.js";
import { isTrusted, keysNeedingTrust, UNTRUSTED_ALLOWED } from "./trust.js";

/** Where a setting comes from. */
export type ConfigScope = "user" | "repo";

export type { ConfigProblem } from "./problem.js";

/**
 * Whether a repo file is trusted: `trusted` (the trust store holds its current
 * sha256), `flag` (--trust-repo-config, this run only), `not-needed` (it sets
 * only keys an untrusted file may set), `untrusted` (its `keys` were ignored:
 * listing only; a run refuses it).
 */
type RepoTrust = { readonly status: "trusted" | "flag" | "not-needed" | "untrusted"; readonly sha256: string; readonly keys: readonly string[] };

/** One config file: where it is and whether it exists (the repo file: whether it is trusted). */
type ConfigFileInfo = { readonly scope: ConfigScope; readonly path: string; readonly exists: boolean; readonly trust?: RepoTrust };

/** An engine entry after merging the files, with the file that set each field (env: each variable). */
export type MergedEngine = {
  readonly name: string;
  readonly entry: EngineEntry;
  /** The files that define it, user first. */
  readonly scopes: readonly ConfigScope[];
  /** For each field set, the file that set it last. */
  readonly fieldFiles: Readonly<Partial<Record<keyof EngineEntry, string>>>;
  /** For each env variable, the file that set it last. */
  readonly envFiles: Readonly<Record<string, string>>;
};

/** The merged configuration. */
export type OmkConfig = {
  readonly files: { readonly user: ConfigFileInfo; readonly repo: ConfigFileInfo | undefined };
  readonly defaultEngine: { readonly name: string; readonly scope: ConfigScope; readonly file: string } | undefined;
  /** Configured engines by name (presets appear only when a file overrides them). */
  readonly engines: Readonly<Record<string, MergedEngine>>;
};

/** Preset names a config may override (every preset but the scripted engine). */
export const CONFIGURABLE_PRESETS: readonly string[] = ENGINE_PRESET_NAMES.filter((n) => n !== "scripted");

export type ConfigLocation = {
  /** OMK's environment: XDG_CONFIG_HOME and HOME locate the user file. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The repository root (its `.omk/config.yaml` is the repo file); undefined: no repo file. */
  readonly repoRoot: string | undefined;
  /** `--trust-repo-config`: trust the repo file for this run, whatever the trust store says. */
  readonly trustRepo?: boolean;
  /**
   * An untrusted repo file that sets keys needing trust: `refuse` (default:
   * a `config_untrusted` problem naming the file, the keys and the fix) or
   * `ignore` (those keys are dropped and `files.repo.trust` says so: `omk engines`).
   */
  readonly untrustedRepo?: "refuse" | "ignore";
};

/** `$XDG_CONFIG_HOME/omk/config.yaml` (an absolute XDG_CONFIG_HOME), else `$HOME/.config/omk/config.yaml`. */
export function userConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env["XDG_CONFIG_HOME"];
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, "omk", "config.yaml");
  const home = env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : os.homedir();
  return path.join(home, ".config", "omk", "config.yaml");
}

/** `<repo>/.omk/config.yaml`. */
export function repoConfigPath(repoRoot: string): string {
  return path.join(repoRoot, ".omk", "config.yaml");
}

/** The nearest folder at or above `start` holding `.git` (a folder or a worktree's file); undefined outside a repository. */
export function findRepoRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, ".git"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `a.b[0].c` from a zod issue path. */
function keyPath(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (typeof s === "string" && /^[A-Za-z_$][A-Za-z0-9_$-]*$/u.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(String(s))}]`;
  }
  return out === "" ? "(top level)" : out;
}

/** Where users find the config's schema (the published package ships no docs/ folder): its $id. */
const SCHEMA_DOC = "https://omk.dev/schemas/config.schema.json";

function fieldNames(segments: readonly PropertyKey[]): string {
  // An unknown key in an engine entry: list the keys an entry may have; at the top: the file's keys.
  const inEngine = segments[0] === "engines" && segments.length === 2;
  const inDeadlines = segments[0] === "engines" && segments[2] === "deadlines" && segments.length === 3;
  const shape = inDeadlines
    ? Object.keys(EngineEntrySchema.shape.deadlines.unwrap().shape)
    : inEngine
      ? Object.keys(EngineEntrySchema.shape)
      : segments.length === 0
        ? Object.keys(ConfigFileSchema.shape)
        : [];
  return shape.length === 0 ? "" : ` (allowed: ${shape.join(", ")})`;
}

/** One zod issue as a problem naming the file, the key and the fix. */
function issueProblem(file: string, issue: z.core.$ZodIssue): ConfigProblem {
  if (issue.code === "unrecognized_keys") {
    const key = keyPath([...issue.path, issue.keys[0] ?? ""]);
    return { code: "config_invalid", file, key, message: `${file}: ${key}: unknown key`, fix: `remove it or correct its spelling${fieldNames(issue.path)}` };
  }
  const key = keyPath(issue.path);
  if (issue.code === "invalid_type") {
    const expected = issue.expected === "object" || issue.expected === "record" ? "a mapping" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
    return { code: "config_invalid", file, key, message: `${file}: ${key}: expected ${expected}`, fix: `give ${key} as ${expected} (see ${SCHEMA_DOC})` };
  }
  if (issue.code === "invalid_union" && issue.path.includes("env")) {
    return {
      code: "config_invalid",
      file,
      key,
      message: `${file}: ${key}: not a string or { from: NAME }`,
      fix: `set ${key} to a literal string or to { from: VARIABLE } (read from OMK's environment)`,
    };
  }
  if (issue.code === "invalid_key") {
    return {
      code: "config_invalid",
      file,
      key,
      message: `${file}: ${key}: not a valid name (${issue.issues[0]?.message ?? "invalid"})`,
      fix: `rename ${key} (see ${SCHEMA_DOC})`,
    };
  }
  return { code: "config_invalid", file, key, message: `${file}: ${key}: ${issue.message}`, fix: `correct ${key} (see ${SCHEMA_DOC})` };
}

/** The first `__proto__` key anywhere in parsed YAML, as a key path (zod would drop it silently). */
function protoKey(value: unknown, at: PropertyKey[] = []): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    const here = [...at, Array.isArray(value) ? Number(key) : key];
    if (key === "__proto__") return keyPath(here);
    const inner = protoKey(child, here);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** A config file read once: its checked content and the sha256 of the bytes it was parsed from. */
type ReadFile = { readonly config: ConfigFile; readonly sha256: string };

function readConfigFile(file: string, base: string, env: Readonly<Record<string, string | undefined>>): Result<ReadFile | undefined, ConfigProblem> {
  if (!existsSync(file)) return ok(undefined);
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new Error("it is a folder");
    bytes = readFileSync(file);
  } catch (cause) {
    return err(unreadable(file, cause, `make ${file} a readable file, or remove it`));
  }
  const text = bytes.toString("utf8");
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const at = yamlError.linePos?.[0];
    // yaml's linePos is 1-based; an error at the end of the input (an unclosed [ or {) sits on the line after the last one.
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    const atEnd = at !== undefined && at.line > lines;
    const where = at === undefined ? "" : atEnd ? ` at the end of the file (after line ${lines})` : ` at line ${at.line}, column ${at.col}`;
    const reason = (yamlError.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+.*$/u, "");
    const fixAt = at === undefined ? "" : atEnd ? " (something opened earlier is not closed by the end of the file)" : ` at line ${at.line}`;
    return err({
      code: "config_yaml",
      file,
      message: `${file}: not valid YAML${where}: ${reason}`,
      fix: `correct the YAML syntax${fixAt} (see ${SCHEMA_DOC})`,
    });
  }
  let data: unknown;
  try {
    // The yaml library throws (a ReferenceError) on an alias bomb ("excessive alias count").
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (cause) {
    const reason = ((cause as Error).message.split("\n")[0] ?? "").trim();
    return err({
      code: "config_yaml",
      file,
      message: `${file}: not valid YAML: ${reason}`,
      fix: "write each value out instead of expanding YAML aliases (&name / *name) many times over",
    });
  }
  const proto = protoKey(data);
  if (proto !== undefined) {
    return err({ code: "config_invalid", file, key: proto, message: `${file}: ${proto}: "__proto__" is not allowed as a key`, fix: `remove ${proto}` });
  }
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    if (first === undefined) return err({ code: "config_invalid", file, message: `${file}: not a valid config`, fix: `see ${SCHEMA_DOC}` });
    return err(issueProblem(file, first));
  }
  const config = parsed.data;
  const secret = secretProblem(file, config);
  if (secret !== undefined) return err(secret);
  const home = env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : os.homedir();
  const engines: Record<string, EngineEntry> = {};
  for (const [name, entry] of Object.entries(config.engines ?? {})) {
    const command = entry.command;
    if (command === undefined || !command.includes("/")) {
      engines[name] = entry;
      continue;
    }
    const resolved = command.startsWith("~/") ? path.join(home, command.slice(2)) : path.resolve(base, command);
    engines[name] = { ...entry, command: resolved };
  }
  return ok({ config: { ...config, engines }, sha256: sha256(bytes) });
}

/**
 * One config file, parsed and checked (absent: undefined). Relative paths of
 * `command` are resolved against `base`; `~/` against HOME. Trust is not
 * checked here (loadConfig does, for the repo file).
 */
function _loadConfigFile(
  file: string,
  base: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Result<ConfigFile | undefined, ConfigProblem> {
  const read = readConfigFile(file, base, env);
  return read.ok ? ok(read.value?.config) : read;
}

/** The repo file with only the keys an untrusted file may set. */
function untrustedPart(config: ConfigFile): ConfigFile {
  const engines: Record<string, EngineEntry> = {};
  for (const [name, entry] of Object.entries(config.engines ?? {})) {
    // A custom engine the file defines (command, protocol, ...) is dropped whole: its model alone cannot run.
    const defines = Object.keys(entry).some((key) => !UNTRUSTED_ALLOWED.engine.includes(key));
    if (defines && !CONFIGURABLE_PRESETS.includes(name)) continue;
    const kept = Object.fromEntries(Object.entries(entry).filter(([key]) => UNTRUSTED_ALLOWED.engine.includes(key)));
    if (Object.keys(kept).length > 0) engines[name] = kept as EngineEntry;
  }
  const top = Object.fromEntries(Object.entries(config).filter(([key]) => UNTRUSTED_ALLOWED.top.includes(key) && key !== "engines"));
  return { ...top, engines } as ConfigFile;
}

/** The repo file's trust, and the content that applies (an untrusted file's keys needing trust dropped, or a problem). */
function applyTrust(file: string, read: ReadFile, location: ConfigLocation, userPath: string): Result<{ config: ConfigFile; trust: RepoTrust }, ConfigProblem> {
  const keys = keysNeedingTrust(read.config);
  const status: RepoTrust["status"] =
    keys.length === 0 ? "not-needed" : isTrusted(userPath, file, read.sha256) ? "trusted" : location.trustRepo === true ? "flag" : "untrusted";
  const trust: RepoTrust = { status, sha256: read.sha256, keys };
  if (status !== "untrusted") return ok({ config: read.config, trust });
  if (location.untrustedRepo === "ignore") return ok({ config: untrustedPart(read.config), trust });
  const shown = keys.length > 4 ? `${keys.slice(0, 4).join(", ")} and ${keys.length - 4} more` : keys.join(", ");
  return err({
    code: "config_untrusted",
    file,
    key: keys[0] ?? "",
    message: `${file}: not trusted: it sets ${shown}, which can run programs or change what omk guarantees`,
    fix: `read it, then run \`omk config trust${location.repoRoot === undefined ? "" : ` --repo ${location.repoRoot}`}\` (or pass --trust-repo-config for this run only)`,
  });
}

/** Merges b over a, field by field: env, deadlines and prices key by key; every other field (args included) replaced whole. */
function mergeEntry(a: EngineEntry, b: EngineEntry): EngineEntry {
  const out: EngineEntry = { ...a, ...b };
  if (a.env !== undefined || b.env !== undefined) out.env = { ...a.env, ...b.env };
  if (a.deadlines !== undefined || b.deadlines !== undefined) out.deadlines = { ...a.deadlines, ...b.deadlines };
  if (a.prices !== undefined || b.prices !== undefined) out.prices = { ...a.prices, ...b.prices };
  return out;
}

/**
 * Loads the user file and the repo file (either may be absent) and merges
 * them: the repo file overrides the user file field by field. Checks that
 * every custom engine has a command and a protocol and that `defaultEngine`
 * names an engine.
 */
export function loadConfig(location: ConfigLocation): Result<OmkConfig, ConfigProblem> {
  const userPath = userConfigPath(location.env);
  const repoPath = location.repoRoot === undefined ? undefined : repoConfigPath(location.repoRoot);
  const userRead = readConfigFile(userPath, path.dirname(userPath), location.env);
  if (!userRead.ok) return userRead;
  const user = { value: userRead.value?.config };
  const repoRead = repoPath === undefined || location.repoRoot === undefined ? ok(undefined) : readConfigFile(repoPath, location.repoRoot, location.env);
  if (!repoRead.ok) return repoRead;
  const trusted = repoRead.value === undefined || repoPath === undefined ? undefined : applyTrust(repoPath, repoRead.value, location, userPath);
  if (trusted !== undefined && !trusted.ok) return trusted;
  const repo = { value: trusted?.value.config };
  const files = {
    user: { scope: "user" as const, path: userPath, exists: user.value !== undefined },
    repo:
      repoPath === undefined
        ? undefined
        : { scope: "repo" as const, path: repoPath, exists: repo.value !== undefined, ...(trusted === undefined ? {} : { trust: trusted.value.trust }) },
  };
  const engines: Record<string, MergedEngine> = {};
  let defaultEngine: OmkConfig["defaultEngine"];
  const layers: Array<{ scope: ConfigScope; file: string; config: ConfigFile | undefined }> = [
    { scope: "user", file: userPath, config: user.value },
    { scope: "repo", file: repoPath ?? "", config: repo.value },
  ];
  for (const { scope, file, config } of layers) {
    if (config === undefined) continue;
    if (config.defaultEngine !== undefined) defaultEngine = { name: config.defaultEngine, scope, file };
    for (const [name, entry] of Object.entries(config.engines ?? {})) {
      const before = engines[name];
      const fieldFiles: Partial<Record<keyof EngineEntry, string>> = { ...before?.fieldFiles };
      for (const key of Object.keys(entry) as Array<keyof EngineEntry>) fieldFiles[key] = file;
      const envFiles: Record<string, string> = { ...before?.envFiles };
      for (const variable of Object.keys(entry.env ?? {})) envFiles[variable] = file;
      engines[name] = {
        name,
        entry: before === undefined ? entry : mergeEntry(before.entry, entry),
        scopes: [...(before?.scopes ?? []), scope],
        fieldFiles,
        envFiles,
      };
    }
  }
  for (const engine of Object.values(engines)) {
    if (CONFIGURABLE_PRESETS.includes(engine.name)) continue;
    const file = engine.scopes.includes("repo") ? (repoPath ?? userPath) : userPath;
    for (const field of ["command", "protocol"] as const) {
      if (engine.entry[field] !== undefined) continue;
      const key = `engines.${engine.name}.${field}`;
      const example = field === "command" ? "command: /path/to/agent (or a name on PATH)" : "protocol: acp (or kimi-wire)";
      return err({
        code: "engine_incomplete",
        file,
        key,
        message: `${file}: ${key}: missing: "${engine.name}" is not a preset, so it is a custom engine and needs a command and a protocol`,
        fix: `add ${example} under engines.${engine.name}, or use a preset name (${CONFIGURABLE_PRESETS.join(", ")})`,
      });
    }
  }
  if (defaultEngine !== undefined && engines[defaultEngine.name] === undefined && !CONFIGURABLE_PRESETS.includes(defaultEngine.name)) {
    const known = [...CONFIGURABLE_PRESETS, ...Object.keys(engines).filter((n) => !CONFIGURABLE_PRESETS.includes(n))];
    return err({
      code: "engine_unknown",
      file: defaultEngine.file,
      key: "defaultEngine",
      message: `${defaultEngine.file}: defaultEngine: no engine named "${defaultEngine.name}"`,
      fix: `set defaultEngine to one of ${known.join(", ")}, or define engines.${defaultEngine.name} with a command and a protocol`,
    });
  }
  return ok({ files, defaultEngine, engines });
}
