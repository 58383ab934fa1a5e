import { mkdirSync } from "node:fs";
import path from "node:path";

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
 * The environment of an engine process: the base environment, with HOME,
 * TMPDIR and the XDG dirs moved under the run folder (created here), telemetry
 * off, then the engine's own variables on top.
 */
export function isolatedEnv(base: Record<string, string | undefined>, runDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const dirs = isolationDirs(runDir);
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
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
