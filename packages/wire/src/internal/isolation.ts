import { cpSync, existsSync, lstatSync, mkdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WireConfigError } from "../errors.js";
import { err, ok, type Result } from "../result.js";
import type { EngineHome } from "../schemas/engine.js";

export type IsolationDirs = { home: string; tmp: string; configHome: string; cacheHome: string; dataHome: string; stateHome: string };

/** The per-engine HOME, TMPDIR and XDG dirs under a run folder. */
export function isolationDirs(runDir: string): IsolationDirs {
  return {
    home: path.join(runDir, "home"),
    tmp: path.join(runDir, "tmp"),
    configHome: path.join(runDir, "xdg", "config"),
    cacheHome: path.join(runDir, "xdg", "cache"),
    dataHome: path.join(runDir, "xdg", "data"),
    stateHome: path.join(runDir, "xdg", "state"),
  };
}

/** Variables that switch telemetry, update checks and crash reports off in the engines OMK knows. */
export const TELEMETRY_OFF: Readonly<Record<string, string>> = {
  DO_NOT_TRACK: "1",
  DISABLE_TELEMETRY: "1",
  DISABLE_ERROR_REPORTING: "1",
  DISABLE_AUTOUPDATER: "1",
  NO_UPDATE_NOTIFIER: "1",
  NPM_CONFIG_UPDATE_NOTIFIER: "false",
  CLAUDE_CODE_ENABLE_TELEMETRY: "0",
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
  GEMINI_TELEMETRY_ENABLED: "false",
  GEMINI_CLI_DISABLE_AUTO_UPDATE: "true",
  QWEN_TELEMETRY_ENABLED: "false",
  KIMI_TELEMETRY: "0",
  OTEL_SDK_DISABLED: "true",
  CI: "1",
};

/**
 * Variables that point an engine at its own home or config folder instead of
 * `~/.<engine>` (see docs/engines.md). A hermetic environment drops them from
 * the base environment, so a user's real folders never leak into it; the
 * engine spec's own `env` may still set them.
 */
export const ENGINE_HOME_VARS: readonly string[] = ["KIMI_CODE_HOME", "KIMI_SHARE_DIR", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "QWEN_HOME", "QWEN_RUNTIME_DIR"];

/**
 * The environment of an engine that sees the user's home (`home: "user"`): the
 * base environment with HOME and XDG dirs untouched, TMPDIR/TMP/TEMP moved
 * under the run folder (created here), telemetry off, then the engine's own
 * variables on top.
 */
export function userHomeEnv(base: Record<string, string | undefined>, runDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const tmp = isolationDirs(runDir).tmp;
  mkdirSync(tmp, { recursive: true });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  Object.assign(env, { TMPDIR: tmp, TMP: tmp, TEMP: tmp, ...TELEMETRY_OFF });
  Object.assign(env, extra);
  return env;
}

/** The user's HOME as the base environment names it (else this process's home). */
export function userHomeOf(base: Record<string, string | undefined>): string {
  const home = base["HOME"] ?? base["USERPROFILE"];
  return home !== undefined && home !== "" ? home : os.homedir();
}

/**
 * Copies `paths` (relative to the user's HOME; files or folders) into the
 * hermetic HOME under `runDir`. Refused (a WireConfigError): a path that is
 * absolute, climbs out with `..`, names HOME itself (`.`), does not exist, or
 * whose real path (symbolic links resolved) is not inside the user's real HOME.
 * Symbolic links inside a copied folder are not followed: one is refused, so a
 * link to `~/.ssh` or `/etc` never lands in the run folder.
 */
export function copyIntoHome(userHome: string, runDir: string, paths: readonly string[]): Result<void, WireConfigError> {
  const home = isolationDirs(runDir).home;
  for (const rel of paths) {
    const parts = rel.split(/[\\/]/);
    if (path.isAbsolute(rel) || parts.includes("..") || !parts.some((p) => p !== "" && p !== ".")) {
      return err(new WireConfigError(`homeCopy entry "${rel}" must be a path relative to the user's HOME, without "..", naming a file or folder in it`, { fix: 'name files under HOME relatively, e.g. ".kimi-code/config.toml"' }));
    }
    const from = path.join(userHome, rel);
    if (!existsSync(from)) return err(new WireConfigError(`homeCopy entry "${rel}" does not exist in ${userHome}`, { fix: `create ${from}, or remove "${rel}" from the engine's homeCopy` }));
    let realHome: string;
    let realFrom: string;
    try {
      realHome = realpathSync(userHome);
      realFrom = realpathSync(from);
    } catch (cause) {
      return err(new WireConfigError(`cannot resolve homeCopy entry "${rel}": ${(cause as Error).message}`, { cause, fix: "check that the file is readable" }));
    }
    const inside = path.relative(realHome, realFrom);
    if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) {
      return err(new WireConfigError(`homeCopy entry "${rel}" resolves to ${realFrom}, outside the user's HOME ${realHome}`, { fix: `copy the file itself into ${userHome}, or remove "${rel}" from the engine's homeCopy` }));
    }
    let link: string | undefined;
    try {
      cpSync(realFrom, path.join(home, rel), {
        recursive: true,
        dereference: false,
        errorOnExist: false,
        force: true,
        filter: (src) => {
          if (link === undefined && src !== realFrom && lstatSync(src).isSymbolicLink()) link = src;
          return link === undefined;
        },
      });
    } catch (cause) {
      return err(new WireConfigError(`cannot copy ${from} into the engine's hermetic home: ${(cause as Error).message}`, { cause, fix: "check that the file is readable" }));
    }
    if (link !== undefined) {
      return err(new WireConfigError(`homeCopy entry "${rel}" holds a symbolic link, ${link}, which OMK does not follow`, { fix: `name the files to copy in homeCopy instead of "${rel}", or replace the link with the file` }));
    }
  }
  return ok(undefined);
}

/**
 * The environment of one engine process for its spec's `home` mode:
 * `user` (see userHomeEnv) or `hermetic` (see isolatedEnv, plus the `homeCopy`
 * files copied from the user's HOME), or the base environment untouched plus
 * the spec's variables when `isolate` is false.
 */
export function engineEnv(
  base: Record<string, string | undefined>,
  runDir: string,
  spec: { home: EngineHome; homeCopy: readonly string[]; env: Record<string, string> },
  isolate = true,
): Result<Record<string, string>, WireConfigError> {
  if (!isolate) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
    return ok({ ...env, ...spec.env });
  }
  if (spec.home === "user") return ok(userHomeEnv(base, runDir, spec.env));
  const env = isolatedEnv(base, runDir, spec.env);
  const copied = copyIntoHome(userHomeOf(base), runDir, spec.homeCopy);
  return copied.ok ? ok(env) : copied;
}

/**
 * The hermetic environment of an engine process: the base environment, with HOME,
 * TMPDIR and the XDG dirs moved under the run folder (created here), the
 * engines' home variables (ENGINE_HOME_VARS) dropped, telemetry off, then the
 * engine's own variables on top.
 */
export function isolatedEnv(base: Record<string, string | undefined>, runDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const dirs = isolationDirs(runDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined && !ENGINE_HOME_VARS.includes(key)) env[key] = value;
  Object.assign(env, {
    HOME: dirs.home,
    USERPROFILE: dirs.home,
    TMPDIR: dirs.tmp,
    TMP: dirs.tmp,
    TEMP: dirs.tmp,
    XDG_CONFIG_HOME: dirs.configHome,
    XDG_CACHE_HOME: dirs.cacheHome,
    XDG_DATA_HOME: dirs.dataHome,
    XDG_STATE_HOME: dirs.stateHome,
    KIMI_SHARE_DIR: path.join(dirs.home, ".kimi"),
    ...TELEMETRY_OFF,
  });
  Object.assign(env, extra);
  return env;
}
