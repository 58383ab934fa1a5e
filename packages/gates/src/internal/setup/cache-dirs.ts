/**
 * Where setup keeps things between runs: the shared install cache
 * (`defaultDepsCacheDir`) and OMK's own package-manager caches
 * (`defaultSetupCachesDir`, `setupCacheEnv`: the environment that points
 * npm, pnpm, yarn, pip, Go and cargo there, so a confined setup never writes
 * the user's caches). See docs/decisions/confinement.md ("Setup and gates").
 */
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The shared install cache: `$XDG_CACHE_HOME/omk/deps` (else `~/.cache/omk/deps`). */
export function defaultDepsCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env["XDG_CACHE_HOME"] !== undefined && env["XDG_CACHE_HOME"] !== "" ? env["XDG_CACHE_HOME"] : path.join(os.homedir(), ".cache");
  return path.join(base, "omk", "deps");
}

/** OMK's package-manager caches for confined setup outside a goal run: `$XDG_CACHE_HOME/omk/setup` (else `~/.cache/omk/setup`). */
export function defaultSetupCachesDir(env: Record<string, string | undefined> = process.env): string {
  return path.join(path.dirname(defaultDepsCacheDir(env)), "setup");
}

/**
 * The environment that points every package manager at OMK's own caches
 * under `dir` (one folder per kind), whatever the user's environment or
 * HOME says: npm (and npx's `_npx`), corepack, pnpm's store and cache, yarn
 * 1 and berry, pip, uv, Go's module and build caches, cargo's home (its
 * registry and git checkouts; a `cargo install` lands there too, never in
 * the user's ~/.cargo/bin), and XDG_CACHE_HOME / XDG_DATA_HOME for whatever
 * else keeps a cache by the XDG default. See docs/decisions/confinement.md
 * ("Setup and gates").
 */
export function setupCacheEnv(dir: string): Record<string, string> {
  const at = (kind: string) => path.join(dir, kind);
  return {
    npm_config_cache: at("npm"),
    NPM_CONFIG_CACHE: at("npm"),
    COREPACK_HOME: at("corepack"),
    npm_config_store_dir: at("pnpm-store"),
    npm_config_cache_dir: at("pnpm-cache"),
    PNPM_HOME: at("pnpm-home"),
    YARN_CACHE_FOLDER: at("yarn"),
    YARN_GLOBAL_FOLDER: at("yarn-berry"),
    PIP_CACHE_DIR: at("pip"),
    UV_CACHE_DIR: at("uv"),
    GOMODCACHE: at("go-mod"),
    GOCACHE: at("go-build"),
    CARGO_HOME: at("cargo"),
    XDG_CACHE_HOME: at("xdg-cache"),
    XDG_DATA_HOME: at("xdg-data"),
  };
}

/** setupCacheEnv's folders, each made 0700 when missing (one that cannot be made is left out: the sandbox binds only what exists). */
export function managerCachesMade(dir: string): string[] {
  return [...new Set(Object.values(setupCacheEnv(dir)))].filter((d) => {
    try {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      return true;
    } catch {
      return false;
    }
  });
}
