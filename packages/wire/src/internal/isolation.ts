import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { WireConfigError } from "../errors.js";
import { err, ok, type Result } from "@omk/core";
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
 * engine spec's own `env` may still set them. The same list is the sandbox's
 * ENGINE_DIR_VARS (confine.ts): a folder such a variable of the spec's own
 * `env` names is WRITABLE in the sandbox. Add only variables that name an
 * engine's own folder; a variable that must merely be dropped belongs in
 * another list.
 */
export const ENGINE_HOME_VARS: readonly string[] = [
  "KIMI_CODE_HOME",
  "KIMI_SHARE_DIR",
  "CLAUDE_CONFIG_DIR",
  "CODEX_HOME",
  "GEMINI_CLI_HOME",
  "QWEN_HOME",
  "QWEN_RUNTIME_DIR",
];

/** The user's HOME as the base environment names it (else this process's home). */
export function userHomeOf(base: Record<string, string | undefined>): string {
  const home = base["HOME"] ?? base["USERPROFILE"];
  return home !== undefined && home !== "" ? home : os.homedir();
}

/**
 * The files an engine needs from the user's HOME to log in and select its
 * model, by preset name: copied (when present) into the session's own HOME
 * in `home: "user"` mode. Never its hooks, MCP servers, sessions or history:
 * the engine writes those in the session's HOME, which goes when the session
 * closes. Checked in the installed agents (docs/engines.md).
 */
export const ENGINE_LOGIN_FILES: Readonly<Record<string, readonly string[]>> = {
  kimi: [".kimi-code/config.toml", ".kimi-code/credentials", ".kimi-code/device_id"],
  "kimi-wire": [".kimi/config.toml", ".kimi/config.json", ".kimi/credentials"],
  // ~/.claude.json: Claude Code's global config, where a Console login keeps its key (`primaryApiKey`) and `oauthAccount`.
  claude: [".claude/settings.json", ".claude/.credentials.json", ".claude.json"],
  gemini: [
    ".gemini/settings.json",
    ".gemini/oauth_creds.json",
    ".gemini/google_accounts.json",
    ".gemini/gemini-credentials.json",
    ".gemini/installation_id",
    ".gemini/.env",
  ],
  codex: [".codex/config.toml", ".codex/auth.json"],
  qwen: [".qwen/settings.json", ".qwen/oauth_creds.json", ".qwen/.env"],
  copilot: [".copilot/config.json"],
};

/**
 * Where a user keeps an engine's folder instead of HOME's (the base
 * environment's variable, which a session HOME drops): the HOME-relative
 * folder it stands for and the folder it names. The login files are copied
 * from there.
 */
const ENGINE_DIR_SOURCES: ReadonlyArray<{ variable: string; folder: string; dir: (value: string) => string }> = [
  { variable: "KIMI_CODE_HOME", folder: ".kimi-code", dir: (v) => v },
  { variable: "KIMI_SHARE_DIR", folder: ".kimi", dir: (v) => v },
  { variable: "CLAUDE_CONFIG_DIR", folder: ".claude", dir: (v) => v },
  // Claude Code keeps its global config inside CLAUDE_CONFIG_DIR when set, under the same name.
  { variable: "CLAUDE_CONFIG_DIR", folder: ".claude.json", dir: (v) => v },
  { variable: "CODEX_HOME", folder: ".codex", dir: (v) => v },
  { variable: "QWEN_HOME", folder: ".qwen", dir: (v) => v },
  { variable: "GEMINI_CLI_HOME", folder: ".gemini", dir: (v) => path.join(v, ".gemini") },
];

/** The preset whose login files an engine spec gets: its own name, or Kimi Code for an engine read through Kimi's session log (Kimi Code under another name, as detect.ts takes it). */
export function loginPresetOf(spec: { name: string; usageLog?: string }): string | undefined {
  if (ENGINE_LOGIN_FILES[spec.name] !== undefined) return spec.name;
  return spec.usageLog === "kimi_session_log" ? "kimi" : undefined;
}

function badEntry(rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  return path.isAbsolute(rel) || parts.includes("..") || !parts.some((p) => p !== "" && p !== ".");
}

/**
 * Copies `from` (inside `root`, both resolved) to `<session HOME>/<rel>`:
 * refused when its real path is outside `root`; symbolic links inside a
 * copied folder are not followed (one is refused), so a link to `~/.ssh` or
 * `/etc` never lands in the run folder.
 */
function copyEntry(rel: string, from: string, root: string, home: string, what: string, rootName: string): Result<void, WireConfigError> {
  let realRoot: string;
  let realFrom: string;
  try {
    realRoot = realpathSync(root);
    realFrom = realpathSync(from);
  } catch (cause) {
    return err(new WireConfigError(`cannot resolve ${what} "${rel}": ${(cause as Error).message}`, { cause, fix: "check that the file is readable" }));
  }
  const inside = path.relative(realRoot, realFrom);
  if (inside === "" || inside.startsWith("..") || path.isAbsolute(inside)) {
    return err(
      new WireConfigError(`${what} "${rel}" resolves to ${realFrom}, outside ${rootName} ${realRoot}`, {
        fix: `copy the file itself into ${root}, or remove the link`,
      }),
    );
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
    return err(
      new WireConfigError(`cannot copy ${from} into the engine's session home: ${(cause as Error).message}`, { cause, fix: "check that the file is readable" }),
    );
  }
  if (link !== undefined) {
    return err(
      new WireConfigError(`${what} "${rel}" holds a symbolic link, ${link}, which OMK does not follow`, {
        fix: `replace the link with the file, or name the files themselves in homeCopy`,
      }),
    );
  }
  return ok(undefined);
}

/**
 * Copies `paths` (relative to the user's HOME; files or folders) into the
 * session HOME under `runDir`. Refused (a WireConfigError): a path that is
 * absolute, climbs out with `..`, names HOME itself (`.`), does not exist, or
 * whose real path (symbolic links resolved) is not inside the user's real HOME.
 * Symbolic links inside a copied folder are not followed: one is refused, so a
 * link to `~/.ssh` or `/etc` never lands in the run folder.
 */
function copyIntoHome(userHome: string, runDir: string, paths: readonly string[]): Result<void, WireConfigError> {
  const home = isolationDirs(runDir).home;
  for (const rel of paths) {
    if (badEntry(rel)) {
      return err(
        new WireConfigError(`homeCopy entry "${rel}" must be a path relative to the user's HOME, without "..", naming a file or folder in it`, {
          fix: 'name files under HOME relatively, e.g. ".kimi-code/config.toml"',
        }),
      );
    }
    const from = path.join(userHome, rel);
    if (!existsSync(from))
      return err(
        new WireConfigError(`homeCopy entry "${rel}" does not exist in ${userHome}`, { fix: `create ${from}, or remove "${rel}" from the engine's homeCopy` }),
      );
    const copied = copyEntry(rel, from, userHome, home, "homeCopy entry", "the user's HOME");
    if (!copied.ok) return copied;
  }
  return ok(undefined);
}

/**
 * Copies an engine's login files (ENGINE_LOGIN_FILES of `preset`) that exist
 * into the session HOME under `runDir`: from the folder the base
 * environment's engine variable names (`KIMI_CODE_HOME`, ...), else from the
 * user's HOME. A missing one is skipped (a login through the environment
 * needs none); one that resolves outside its folder, or a folder holding a
 * symbolic link, is refused.
 */
function copyLoginFiles(base: Record<string, string | undefined>, runDir: string, preset: string | undefined): Result<void, WireConfigError> {
  const home = isolationDirs(runDir).home;
  const userHome = userHomeOf(base);
  for (const rel of preset === undefined ? [] : (ENGINE_LOGIN_FILES[preset] ?? [])) {
    const top = rel.split("/")[0] ?? "";
    const source = ENGINE_DIR_SOURCES.find((s) => s.folder === top && base[s.variable] !== undefined && path.isAbsolute(base[s.variable] as string));
    const root = source === undefined ? userHome : source.dir(base[source.variable] as string);
    // A folder's file is found inside the folder the variable names; a top-level file (`.claude.json`) under its own name there.
    const from = source === undefined ? path.join(userHome, rel) : path.join(root, rel === top ? rel : rel.slice(top.length + 1));
    try {
      lstatSync(from);
    } catch {
      continue;
    }
    const copied = copyEntry(rel, from, root, home, `${preset} login file`, source === undefined ? "the user's HOME" : `the folder ${source.variable} names,`);
    if (!copied.ok) return copied;
  }
  return ok(undefined);
}

/** Removes the session HOME and XDG dirs under `runDir` (the copied login files, whatever the engine wrote there). */
export function removeSessionHome(runDir: string): void {
  const dirs = isolationDirs(runDir);
  for (const dir of [dirs.home, path.dirname(dirs.configHome)]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // left behind: inside the session's own run folder (0700)
    }
  }
}

/**
 * The environment of one engine process for its spec's `home` mode. Both
 * modes give the engine a session HOME and XDG dirs of its own under the run
 * folder (see isolatedEnv): `user` copies the engine's login files in
 * (ENGINE_LOGIN_FILES, from the user's HOME or the folder an engine variable
 * names), then the `homeCopy` files; `hermetic` copies only the `homeCopy`
 * files. The base environment untouched plus the spec's variables when
 * `isolate` is false.
 */
export function engineEnv(
  base: Record<string, string | undefined>,
  runDir: string,
  spec: { name?: string; home: EngineHome; homeCopy: readonly string[]; env: Record<string, string>; usageLog?: string },
  isolate = true,
): Result<Record<string, string>, WireConfigError> {
  if (!isolate) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
    return ok({ ...env, ...spec.env });
  }
  const env = isolatedEnv(base, runDir, spec.env);
  if (spec.home === "user") {
    const login = copyLoginFiles(base, runDir, loginPresetOf({ name: spec.name ?? "", ...(spec.usageLog === undefined ? {} : { usageLog: spec.usageLog }) }));
    if (!login.ok) return login;
  }
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
  // The session HOME may hold copied login files (API keys): only this user may enter it.
  mkdirSync(dirs.home, { recursive: true, mode: 0o700 });
  chmodSync(dirs.home, 0o700);
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
