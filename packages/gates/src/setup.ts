/**
 * Dependencies in every checkout OMK makes. `detectSetup` reads the
 * lockfile (or the `setup:` of the gates config) and says which install
 * step the project needs, and why. `prepareCheckout` runs it in a checkout:
 * an install that can be shared (a Node install from package.json and its
 * lockfile alone) is made once in a shared cache, keyed by the sha256 of its
 * inputs, the manager, the command and the Node version, and then
 * materialised into each checkout (a private copy wherever code runs:
 * task worktrees and gate checkouts alike). Anything else is
 * installed in place. A failed install is the typed `setup_failed` outcome,
 * never a gate failure. See docs/decisions/gates.md ("Dependency setup").
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  chmodSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import type { Stats } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { CONFIG_FILES, readGatesConfig } from "./config.js";
import type { ConfineCommand } from "./confine.js";
import { expandWorkspaces, has, read, readJson } from "./internal/detect/common.js";
import { git } from "./internal/git.js";
import { type ProcessSpec, runProcess } from "./internal/process.js";
import { allowedEnv } from "./env.js";
import { createRedactor, sha256Hasher } from "@omk/core";
import type { GatesConfig, SetupConfig } from "./schemas/config.js";
import type { SetupFailure, SetupOutcome, SetupPlan, SetupStep, SetupStepResult } from "./schemas/setup.js";

const TAIL_LINES = 30;
const MANIFEST = ".omk-setup.json";
const LOCKLESS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;
const NPM_QUIET = ["--no-audit", "--no-fund"];

/** The shared install cache: `$XDG_CACHE_HOME/omk/deps` (else `~/.cache/omk/deps`). */
export function defaultDepsCacheDir(env: Record<string, string | undefined> = process.env): string {
  const base = env["XDG_CACHE_HOME"] !== undefined && env["XDG_CACHE_HOME"] !== "" ? env["XDG_CACHE_HOME"] : path.join(os.homedir(), ".cache");
  return path.join(base, "omk", "deps");
}

function onPath(bin: string, env: Record<string, string | undefined> = process.env): boolean {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    try {
      if (statSync(path.join(dir, bin)).isFile()) return true;
    } catch {
      // not here
    }
  }
  return false;
}

function hasDeps(pkg: Record<string, unknown>): boolean {
  return ["dependencies", "devDependencies", "optionalDependencies"].some((f) => {
    const v = pkg[f];
    return v !== null && typeof v === "object" && Object.keys(v as object).length > 0;
  });
}

/** Local dependency specs (file:, link:, workspace:) point outside package.json: such an install cannot be made elsewhere. */
function hasLocalSpecs(pkg: Record<string, unknown>): boolean {
  return ["dependencies", "devDependencies", "optionalDependencies"].some((f) =>
    Object.values((pkg[f] ?? {}) as Record<string, unknown>).some(
      (spec) => typeof spec === "string" && /^(file:|link:|workspace:|portal:|\.{0,2}\/)/.test(spec),
    ),
  );
}

function isWorkspace(root: string, pkg: Record<string, unknown>): boolean {
  return has(root, "pnpm-workspace.yaml") || pkg["workspaces"] !== undefined;
}

/** The Node step: npm ci / pnpm / yarn frozen installs, or npm install when there is no lockfile. */
function nodeStep(root: string, env: Record<string, string | undefined>): { step?: SetupStep; reason: string } {
  const pkg = readJson(root, "package.json");
  if (pkg === undefined) return { reason: "no package.json" };
  const extra = [".npmrc"].filter((f) => has(root, f));
  const workspace = isWorkspace(root, pkg);
  const local = hasLocalSpecs(pkg);
  const manifests = ["package.json", ...(workspace ? expandWorkspaces(root, workspacePatterns(root, pkg)).map((w) => path.join(w, "package.json")) : [])];
  const sharedWhy = workspace
    ? "; a workspace: installed in place (its packages link into node_modules)"
    : local
      ? "; local dependency paths: installed in place"
      : "; shared install, materialised per checkout";
  const shareable = !workspace && !local;
  const products = workspace
    ? ["node_modules", ...expandWorkspaces(root, workspacePatterns(root, pkg)).map((w) => path.join(w, "node_modules"))]
    : ["node_modules"];
  const lock = ["package-lock.json", "npm-shrinkwrap.json"].find((f) => has(root, f));
  if (has(root, "pnpm-lock.yaml")) {
    const major = pnpmMajor(root, pkg);
    const pnpm = onPath("pnpm", env) ? ["pnpm"] : ["npx", "-y", `pnpm@${major}`];
    return {
      step: {
        manager: "pnpm",
        command: [...pnpm, "install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts"],
        shell: false,
        after: [],
        inputs: [...manifests, "pnpm-lock.yaml", ...(workspace ? ["pnpm-workspace.yaml"] : []), ...extra],
        products,
        shareable,
        lockless: false,
        reason: `pnpm-lock.yaml: frozen pnpm install${onPath("pnpm", env) ? "" : ` (no pnpm on PATH: pnpm@${major} through npx)`}, without lifecycle scripts${sharedWhy}`,
      },
      reason: "pnpm-lock.yaml",
    };
  }
  if (has(root, "yarn.lock")) {
    const berry = !/^# yarn lockfile v1/m.test(read(root, "yarn.lock")?.slice(0, 400) ?? "");
    const yarnPath = /^yarnPath:\s*["']?([^"'\n]+)/m.exec(read(root, ".yarnrc.yml") ?? "")?.[1]?.trim();
    const yarn =
      berry && yarnPath !== undefined
        ? ["node", yarnPath]
        : onPath("yarn", env)
          ? ["yarn"]
          : berry
            ? ["npx", "-y", "@yarnpkg/cli-dist@4"]
            : ["npx", "-y", "yarn@1"];
    const args = berry ? ["install", "--immutable"] : ["install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts", "--non-interactive"];
    return {
      step: {
        manager: "yarn",
        command: [...yarn, ...args],
        shell: false,
        after: [],
        inputs: [...manifests, "yarn.lock", ...(berry ? [".yarnrc.yml"].filter((f) => has(root, f)) : []), ...extra],
        products: berry ? [...products, ".yarn/install-state.gz", ".pnp.cjs", ".pnp.loader.mjs"] : products,
        // Berry may use Plug'n'Play (.pnp.cjs next to the sources) and its own release file: always in place.
        shareable: shareable && !berry,
        lockless: false,
        reason: `yarn.lock (${berry ? "yarn berry: --immutable, installed in place" : "yarn v1: --frozen-lockfile, without lifecycle scripts"})${berry ? "" : sharedWhy}`,
      },
      reason: "yarn.lock",
    };
  }
  if (lock !== undefined) {
    const lockJson = readJson(root, lock);
    const scripts = JSON.stringify(lockJson?.["packages"] ?? {}).includes('"hasInstallScript":true');
    return {
      step: {
        manager: "npm",
        command: ["npm", "ci", "--prefer-offline", ...NPM_QUIET, "--ignore-scripts"],
        shell: false,
        after: scripts ? [["npm", "rebuild", ...NPM_QUIET]] : [],
        inputs: [...manifests, lock, ...extra],
        products,
        shareable,
        lockless: false,
        reason: `${lock}: npm ci (prefer offline, no audit or fund), the project's own lifecycle scripts not run${scripts ? "; npm rebuild of the dependencies with install scripts (by name)" : ""}${sharedWhy}`,
      },
      reason: lock,
    };
  }
  if (has(root, "bun.lock") || has(root, "bun.lockb")) return { reason: "bun lockfile: bun installs are not set up by OMK (set `setup:` in .omk/gates.yaml)" };
  if (!hasDeps(pkg)) return { reason: "package.json lists no dependencies: nothing to install" };
  return {
    step: {
      manager: "npm",
      command: ["npm", "install", "--no-package-lock", "--no-save", "--prefer-offline", ...NPM_QUIET, "--ignore-scripts"],
      shell: false,
      after: [["npm", "rebuild", ...NPM_QUIET]],
      inputs: [...manifests, ...extra],
      products,
      shareable,
      lockless: true,
      reason: `package.json with dependencies and no lockfile: npm install resolving the ranges now (no lockfile written, package.json not changed; a shared install is re-resolved after a day), the project's own lifecycle scripts not run, npm rebuild of the dependencies with install scripts (by name)${sharedWhy}`,
    },
    reason: "package.json without a lockfile",
  };
}

function workspacePatterns(root: string, pkg: Record<string, unknown>): string[] {
  if (has(root, "pnpm-workspace.yaml")) {
    return [...(read(root, "pnpm-workspace.yaml") ?? "").matchAll(/^\s*-\s*["']?([^"'\n#]+?)["']?\s*$/gm)]
      .map((m) => m[1] as string)
      .filter((p) => !p.startsWith("!"));
  }
  const field = pkg["workspaces"];
  const list = Array.isArray(field) ? field : (field as { packages?: unknown } | undefined)?.packages;
  return Array.isArray(list) ? (list as string[]) : [];
}

function pnpmMajor(root: string, pkg: Record<string, unknown>): string {
  const named = /^pnpm@(\d+)/.exec(typeof pkg["packageManager"] === "string" ? (pkg["packageManager"] as string) : "")?.[1];
  if (named !== undefined) return named;
  const lockVersion = /^lockfileVersion:\s*'?(\d+)/m.exec(read(root, "pnpm-lock.yaml") ?? "")?.[1];
  return lockVersion === "5" ? "7" : lockVersion === "6" ? "8" : "10";
}

function pythonStep(root: string): SetupStep | undefined {
  const reqs = readdirSafe(root)
    .filter((f) => /^requirements.*\.txt$/.test(f))
    .sort();
  const pyproject = has(root, "pyproject.toml");
  if (reqs.length === 0 && !pyproject) return undefined;
  const pip = [".venv/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet"];
  const install = reqs.length > 0 ? [...pip, ...reqs.flatMap((r) => ["-r", r])] : [...pip, "-e", "."];
  return {
    manager: "python",
    command: ["python3", "-m", "venv", ".venv"],
    shell: false,
    after: [install],
    inputs: reqs.length > 0 ? reqs : ["pyproject.toml"],
    products: [".venv"],
    shareable: false,
    lockless: true,
    reason: `${reqs.length > 0 ? reqs.join(", ") : "pyproject.toml"}: a venv in .venv (pip's cache is shared; a venv is not relocatable, so installed in place), first on the gates' PATH`,
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function configStep(setup: Exclude<SetupConfig, "none">): SetupStep {
  const shell = typeof setup === "string";
  return {
    manager: "command",
    command: shell ? [setup] : setup,
    shell,
    after: [],
    inputs: [],
    products: [],
    shareable: false,
    lockless: false,
    reason: `setup: in the gates config (${shell ? "run by /bin/sh" : "argv"}, in each checkout)`,
  };
}

/** The config's `setup:` when the caller has no config at hand: read from the checkout (a broken file is ignored here; the gates report it). */
function configuredSetup(root: string): SetupConfig | undefined {
  const file = CONFIG_FILES.map((f) => path.join(root, f)).find((f) => existsSync(f));
  if (file === undefined) return undefined;
  const r = readGatesConfig(file);
  return r.ok ? r.value.setup : undefined;
}

/**
 * The setup a project needs in a fresh checkout, with the reason for each
 * step: `setup:` of the gates config when set (a command, or `none`), else
 * from the lockfile: npm ci, pnpm/yarn frozen installs, npm install with no
 * lockfile written, a Python venv from requirements*.txt or pyproject.toml,
 * `go mod download`, `cargo fetch --locked`. No step: nothing to install.
 */
export function detectSetup(dir: string, config?: Pick<GatesConfig, "setup"> | null, env: Record<string, string | undefined> = process.env): SetupPlan {
  const root = path.resolve(dir);
  const setup = config === undefined ? configuredSetup(root) : (config?.setup ?? undefined);
  if (setup === "none") return { root, source: "config", steps: [], reason: "setup: none in the gates config" };
  if (setup !== undefined) return { root, source: "config", steps: [configStep(setup)], reason: "setup: in the gates config" };
  const steps: SetupStep[] = [];
  const seen: string[] = [];
  const node = nodeStep(root, env);
  if (node.step !== undefined) steps.push(node.step);
  else if (has(root, "package.json")) seen.push(node.reason);
  const python = pythonStep(root);
  if (python !== undefined) steps.push(python);
  if (has(root, "go.mod")) {
    if (onPath("go", env))
      steps.push({
        manager: "go",
        command: ["go", "mod", "download"],
        shell: false,
        after: [],
        inputs: ["go.mod", "go.sum"].filter((f) => has(root, f)),
        products: [],
        shareable: false,
        lockless: false,
        reason: "go.mod: go mod download (into the shared module cache)",
      });
    else seen.push("go.mod, but no go on PATH");
  }
  if (has(root, "Cargo.lock")) {
    steps.push({
      manager: "cargo",
      command: ["cargo", "fetch", "--locked"],
      shell: false,
      after: [],
      inputs: ["Cargo.toml", "Cargo.lock"],
      products: [],
      shareable: false,
      lockless: false,
      reason: "Cargo.lock: cargo fetch --locked (into the shared cargo registry)",
    });
  } else if (has(root, "Cargo.toml")) seen.push("Cargo.toml without Cargo.lock: cargo fetches at build time (a fetch would write a lockfile)");
  const reason = steps.length > 0 ? steps.map((s) => s.reason).join("; ") : seen.length > 0 ? seen.join("; ") : "no manifest or lockfile: nothing to install";
  return { root, source: "detected", steps, reason };
}

/**
 * Whether the dependencies of the project in `dir` look installed: for
 * `omk-gates run` on the user's own tree, which OMK never installs into.
 * Returns the sentence to show when they are missing.
 */
export function missingDependencies(dir: string, config?: Pick<GatesConfig, "setup"> | null): string | undefined {
  const plan = detectSetup(dir, config);
  const missing = plan.steps.filter((s) => s.products.length > 0 && !existsSync(path.join(plan.root, s.products[0] as string)));
  if (missing.length === 0) return undefined;
  return `dependencies are not installed here (${missing.map((s) => `no ${s.products[0]}: ${displayCommand(s)}`).join("; ")}); gates that need them will fail. omk-gates never installs into your tree: run the install first`;
}

export type PrepareCheckoutOptions = {
  /** The shared install cache (default `$XDG_CACHE_HOME/omk/deps`). */
  cacheDir?: string;
  /**
   * How a shared install reaches the checkout: `copy` (a private copy,
   * reflinked where the filesystem can, checked against the content
   * recorded at install time: for every checkout where any code runs,
   * gates included) or `hardlink` (shares inodes with the cache: only for a
   * checkout where nothing runs, since code that writes a hardlinked file
   * writes the shared install). Default copy.
   */
  mode?: "hardlink" | "copy";
  /** The gates config (its `setup:`); undefined: read from the checkout; null: detect only. */
  config?: Pick<GatesConfig, "setup"> | null;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** Per command (default 15 min). */
  timeoutMs?: number;
  /** The whole install log (redacted) is written here when given. */
  logFile?: string;
  /**
   * Confines every install command (./confine.ts, purpose `setup`): writable
   * are the folder installed in and OMK's own package-manager caches
   * (managerCaches), never the user's. Undefined: unconfined.
   */
  confine?: ConfineCommand;
  /**
   * OMK's own package-manager caches for every setup command (setupCacheEnv):
   * `<dir>/<kind>`, made 0700 and kept across runs so they stay warm. When
   * given (default, when `confine` is: its `managerCaches`, else
   * defaultSetupCachesDir), the managers
   * are pointed there through the environment and only those folders are
   * writable: the user's own caches (~/.npm and npx's ~/.npm/_npx, corepack,
   * the pnpm store, pip, Go, cargo) are never written by a confined setup.
   * Undefined and unconfined: the user's caches, as before.
   */
  managerCaches?: string;
};

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
function managerCachesMade(dir: string): string[] {
  return [...new Set(Object.values(setupCacheEnv(dir)))].filter((d) => {
    try {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      return true;
    } catch {
      return false;
    }
  });
}

type RunOutput = { exitCode: number | null; output: string; durationMs: number; error?: string };

const OUTPUT_CAP = 4 * 1024 * 1024;
const OUTPUT_HEAD = 256 * 1024;
const OUTPUT_TAIL = 2 * 1024 * 1024;

/**
 * One install command in its own process group (the gates' runner: a
 * timeout or an abort kills the whole tree, and killAllGatesNow reaches it),
 * stdout and stderr interleaved as they came, capped (head and tail kept).
 */
async function runCommand(
  argv: readonly string[],
  shell: boolean,
  cwd: string,
  env: Record<string, string | undefined>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  confine: ProcessSpec["confine"],
): Promise<RunOutput> {
  let output = "";
  const take = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > OUTPUT_CAP) output = `${output.slice(0, OUTPUT_HEAD)}\n… (output cut) …\n${output.slice(-OUTPUT_TAIL)}`;
  };
  const clean = setupEnv(env);
  const [file, ...args] = argv as [string, ...string[]];
  const p = await runProcess({
    file,
    args: shell ? [] : args,
    shell,
    cwd,
    env: clean,
    timeoutMs,
    graceMs: 3000,
    signal,
    onStdout: take,
    onStderr: take,
    confine,
  });
  const error =
    p.spawnError ??
    (p.timedOut ? `timed out after ${Math.round(timeoutMs / 1000)}s` : p.aborted ? "was aborted" : p.signal !== null ? `was killed by ${p.signal}` : undefined);
  return { exitCode: p.exitCode, output, durationMs: Math.round(p.durationMs), ...(error === undefined ? {} : { error }) };
}

/**
 * The environment every setup command runs with: the gates' environment
 * (every variable whose name does not look secret, see looksSecretName:
 * tokens, passwords, keys never reach an install or its dependencies'
 * install scripts), then npm settings pinned over any project .npmrc (env
 * beats the project's config file): the script shell is /bin/sh, git is
 * `git` from PATH, no node-options, the user's own userconfig. A project
 * .npmrc can still name registries; it can no longer pick the program npm
 * runs scripts or git with. See docs/decisions/gates.md ("Setup security").
 */
function setupEnv(env: Record<string, string | undefined>): Record<string, string> {
  const clean = allowedEnv(env);
  const home = env["HOME"] ?? os.homedir();
  const userconfig = env["npm_config_userconfig"] ?? env["NPM_CONFIG_USERCONFIG"] ?? path.join(home, ".npmrc");
  Object.assign(clean, {
    npm_config_update_notifier: "false",
    npm_config_script_shell: "/bin/sh",
    npm_config_git: "git",
    // Empty would count as unset (the project's node-options would win): the caller's own NODE_OPTIONS, else a blank.
    npm_config_node_options: env["NODE_OPTIONS"] !== undefined && env["NODE_OPTIONS"].trim() !== "" ? env["NODE_OPTIONS"] : " ",
    npm_config_userconfig: userconfig,
  });
  return clean;
}

/** Where a setup's package managers keep their caches: the given folder, else (confined) OMK's default, else (unconfined) the user's own. */
const managerCachesOf = (options: Pick<PrepareCheckoutOptions, "managerCaches" | "confine" | "env">): string | undefined =>
  options.managerCaches ?? (options.confine === undefined ? undefined : (options.confine.managerCaches ?? defaultSetupCachesDir(options.env)));

const displayCommand = (s: Pick<SetupStep, "command" | "after">) => [s.command, ...s.after].map((c) => c.join(" ")).join(" && ");

/** Every entry under `dir` (relative path, lstat), directories before their contents. */
function walk(dir: string, visit: (rel: string, st: Stats) => void, rel = ""): void {
  for (const name of readdirSafe(path.join(dir, rel)).sort()) {
    const r = rel === "" ? name : path.join(rel, name);
    const st = lstatSync(path.join(dir, r));
    visit(r, st);
    if (st.isDirectory()) walk(dir, visit, r);
  }
}

/** Make the shared files read-only and digest (path, type, size, mtime, inode) of everything: a later change shows. */
function sealAndDigest(entry: string, products: readonly string[], seal: boolean): { digest: string; files: number } {
  const h = sha256Hasher();
  let files = 0;
  for (const product of products) {
    const root = path.join(entry, product);
    if (!existsSync(root)) continue;
    walk(root, (rel, st) => {
      if (seal && st.isFile() && (st.mode & 0o222) !== 0) chmodSync(path.join(root, rel), st.mode & ~0o222);
      const mode = seal && st.isFile() ? st.mode & ~0o222 : st.mode;
      h.update(`${product}/${rel}\0${mode.toString(8)}\0${st.size}\0${Math.floor(st.mtimeMs)}\0${st.ino}\n`);
      files += 1;
    });
  }
  return { digest: h.digest("hex"), files };
}

/**
 * sha256 over every entry's path, type and content (a symlink's target):
 * what the shared install held when it was made. Modes and times are left
 * out (a private copy is made writable). Checked on each private copy made
 * from the shared install, so a same-size write with its mtime put back is
 * caught too.
 */
function contentDigest(root: string, products: readonly string[]): string {
  const h = sha256Hasher();
  for (const product of products) {
    const dir = path.join(root, product);
    if (!existsSync(dir)) continue;
    walk(dir, (rel, st) => {
      const full = path.join(dir, rel);
      if (st.isSymbolicLink()) h.update(`${product}/${rel}\0l\0${readlinkSync(full)}\n`);
      else if (st.isDirectory()) h.update(`${product}/${rel}\0d\n`);
      else if (st.isFile()) {
        h.update(`${product}/${rel}\0f\0${st.size}\0`);
        h.update(readFileSync(full));
        h.update("\n");
      } else h.update(`${product}/${rel}\0o\n`);
    });
  }
  return h.digest("hex");
}

type Manifest = { key: string; createdAt: string; command: string; lockless: boolean; digest: string; files: number; installMs: number; content?: string };

function readManifest(entry: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(entry, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** A shared install as made: present, unchanged since (digest), and (no lockfile) at most a day old. */
function usable(entry: string, step: SetupStep): { ok: true; manifest: Manifest } | { ok: false; why: string | null } {
  const manifest = readManifest(entry);
  if (manifest === undefined) return { ok: false, why: existsSync(entry) ? "the shared install has no manifest" : null };
  if (manifest.content === undefined) return { ok: false, why: "the shared install has no content digest (made by an older OMK): made again" };
  if (step.lockless && Date.now() - Date.parse(manifest.createdAt) > LOCKLESS_MAX_AGE_MS)
    return { ok: false, why: "the shared install (no lockfile) is more than a day old: re-resolved" };
  if (sealAndDigest(entry, step.products, false).digest !== manifest.digest)
    return { ok: false, why: "the shared install was changed after it was made: it was discarded and made again" };
  return { ok: true, manifest };
}

const UNUSED_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/** Mark a shared install as used now (its manifest's mtime): what pruning goes by. */
function touch(entry: string): void {
  try {
    const now = new Date();
    utimesSync(path.join(entry, MANIFEST), now, now);
  } catch {
    // gone meanwhile: the next use installs again
  }
}

/**
 * Remove shared installs unused for 14 days, and temp folders of installs
 * that died, after a new install (so the cache does not grow without end).
 * An entry whose lock is held is left alone.
 */
function prune(cacheDir: string): void {
  const now = Date.now();
  for (const name of readdirSafe(cacheDir)) {
    const full = path.join(cacheDir, name);
    try {
      if (/^[0-9a-f]{64}$/.test(name)) {
        if (existsSync(`${full}.lock`) || now - statSync(path.join(full, MANIFEST)).mtimeMs < UNUSED_MAX_AGE_MS) continue;
        evict(full);
      } else if ((name.startsWith(".tmp-") || name.includes(".trash-")) && now - statSync(full).mtimeMs > DEFAULT_TIMEOUT_MS * 4) {
        rmSync(full, { recursive: true, force: true });
      }
    } catch {
      // raced with another process: leave it
    }
  }
}

function evict(entry: string): void {
  const trash = `${entry}.trash-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(entry, trash);
  } catch {
    return;
  }
  // Read-only files in writable directories: removable.
  rmSync(trash, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** An exclusive lock file (O_EXCL); a lock whose process on this host is gone, or older than `staleMs`, is taken over. */
async function lock(file: string, staleMs: number, signal: AbortSignal | undefined): Promise<{ release: () => void; waitedMs: number }> {
  const started = performance.now();
  for (;;) {
    if (signal?.aborted === true) throw new Error("aborted while waiting for the shared install lock");
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString() }));
      closeSync(fd);
      return { release: () => rmSync(file, { force: true }), waitedMs: Math.round(performance.now() - started) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    try {
      const held = JSON.parse(readFileSync(file, "utf8")) as { pid: number; host: string; at: string };
      const stale = (held.host === os.hostname() && !alive(held.pid)) || Date.now() - Date.parse(held.at) > staleMs;
      if (stale) rmSync(file, { force: true });
    } catch {
      // Being written or just released: look again.
    }
    await sleep(100);
  }
}

function linkTree(src: string, dst: string): void {
  const st = lstatSync(src);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
  else if (st.isDirectory()) {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) linkTree(path.join(src, name), path.join(dst, name));
  } else linkSync(src, dst);
}

/**
 * Hardlink (cp -al) or copy (cp -a, reflinked where possible) `src` to
 * `dst`; a JS walk when cp lacks the flags. Hardlinks cannot cross
 * filesystems: then the checkout gets a copy (returned as the mode used).
 */
async function materialise(src: string, dst: string, mode: "hardlink" | "copy"): Promise<"hardlink" | "copy"> {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(path.dirname(dst), { recursive: true });
  if (mode === "hardlink") {
    const r = await execa("cp", ["-al", src, dst], { reject: false, stdin: "ignore" });
    if (r.exitCode === 0) return "hardlink";
    rmSync(dst, { recursive: true, force: true });
    try {
      linkTree(src, dst);
      return "hardlink";
    } catch {
      rmSync(dst, { recursive: true, force: true });
    }
  }
  const r = await execa("cp", ["-a", "--reflink=auto", src, dst], { reject: false, stdin: "ignore" });
  if (r.exitCode !== 0) {
    rmSync(dst, { recursive: true, force: true });
    cpSync(src, dst, { recursive: true, verbatimSymlinks: true });
  }
  // A private copy is the checkout's own: writable again.
  await execa("chmod", ["-R", "u+w", dst], { reject: false, stdin: "ignore" });
  return "copy";
}

/** A product directory ignores itself (`*`), so `git add --all`, status and the builtins never see it, without touching the user's ignore files. */
function ignoreItself(dir: string): void {
  try {
    if (statSync(dir).isDirectory() && !existsSync(path.join(dir, ".gitignore")))
      writeFileSync(path.join(dir, ".gitignore"), "# made by omk setup: never part of a change\n*\n");
  } catch {
    // not there
  }
}

function keyOf(root: string, step: SetupStep): string {
  const h = sha256Hasher();
  h.update(
    JSON.stringify({
      v: 1,
      manager: step.manager,
      command: step.command,
      after: step.after,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    }),
  );
  for (const input of [...step.inputs].sort()) {
    h.update(`\0${input}\0`);
    h.update(existsSync(path.join(root, input)) ? readFileSync(path.join(root, input)) : "(absent)");
  }
  return h.digest("hex");
}

const ERRORISH = /\b(error|ERR!|fatal|failed)\b/i;

/**
 * The last lines of an install log, led by its first error lines when they
 * scrolled off (npm prints the cause, then pages of usage).
 */
function logTail(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !/^\$ /.test(l));
  const last = lines.slice(-TAIL_LINES);
  const earlier = lines
    .slice(0, -TAIL_LINES)
    .filter((l) => ERRORISH.test(l) && !/^npm error\s*$/.test(l))
    .slice(0, 6);
  return earlier.length > 0 ? [...earlier, "…", ...last] : last;
}

const firstError = (tail: readonly string[]) =>
  tail
    .find((l) => ERRORISH.test(l) && l.replace(/^npm error\s*/, "").trim() !== "")
    ?.trim()
    .slice(0, 240);

/**
 * `npm rebuild <the installed packages that have install scripts>`, from the
 * hidden lockfile npm just wrote (node_modules/.package-lock.json), or
 * undefined when none has one. Named: a bare `npm rebuild` also runs the
 * project's own install script, which the setup leaves out.
 */
function rebuildArgv(cwd: string, listed: readonly string[]): string[] | undefined {
  const hidden = readJson(cwd, path.join("node_modules", ".package-lock.json"));
  const packages = (hidden?.["packages"] ?? {}) as Record<string, { hasInstallScript?: boolean }>;
  const names = [
    ...new Set(
      Object.entries(packages).flatMap(([key, value]) =>
        key.includes("node_modules/") && value.hasInstallScript === true ? [key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)] : [],
      ),
    ),
  ].sort();
  return names.length === 0 ? undefined : [...listed.slice(0, 2), ...names, ...listed.slice(2)];
}

/** Products with files tracked in git at `root` (not a git checkout: none). */
async function trackedProducts(root: string, products: readonly string[]): Promise<string[]> {
  if (products.length === 0) return [];
  const r = await git(root, ["ls-files", "-z", "--", ...products.map((p) => `:(literal)${p}`)]);
  if (!r.ok) return [];
  const files = r.stdout.split("\0").filter((f) => f !== "");
  return products.filter((p) => files.some((f) => f === p || f.startsWith(`${p}/`)));
}

type StepRun = { result: SetupStepResult; failure?: SetupFailure; log: string };

async function runSteps(
  step: SetupStep,
  cwd: string,
  baseEnv: Record<string, string | undefined>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  confine: ConfineCommand | undefined,
  managerCaches: string | undefined,
): Promise<{ ok: boolean; exitCode: number | null; output: string; durationMs: number; failed?: string; error?: string }> {
  const env = managerCaches === undefined ? baseEnv : { ...baseEnv, ...setupCacheEnv(managerCaches) };
  let output = "";
  let durationMs = 0;
  for (const [i, listed] of [step.command, ...step.after].entries()) {
    const argv = i > 0 && listed[0] === "npm" && listed[1] === "rebuild" ? rebuildArgv(cwd, listed) : listed;
    if (argv === undefined) continue;
    const r = await runCommand(
      argv,
      i === 0 && step.shell,
      cwd,
      env,
      timeoutMs,
      signal,
      confine === undefined
        ? undefined
        : { run: confine, root: cwd, purpose: "setup", writable: managerCaches === undefined ? [] : managerCachesMade(managerCaches) },
    );
    output += `$ ${argv.join(" ")}\n${r.output}\n`;
    durationMs += r.durationMs;
    if (r.exitCode !== 0)
      return { ok: false, exitCode: r.exitCode, output, durationMs, failed: argv.join(" "), ...(r.error === undefined ? {} : { error: r.error }) };
  }
  return { ok: true, exitCode: 0, output, durationMs };
}

function fixFor(step: SetupStep, failed: string): string {
  if (step.manager === "command") return "correct `setup:` in .omk/gates.yaml (or set `setup: none`), then run again";
  const lockfile = step.inputs.find((f) => /lock|shrinkwrap/.test(f));
  return `run \`${failed}\` in the project to see the problem; ${lockfile === undefined ? "fix the manifest" : `bring ${lockfile} in line with the manifest (re-run the install and commit the lockfile)`}, or set \`setup:\` in .omk/gates.yaml (a command, or \`none\`)`;
}

async function prepareStep(
  root: string,
  step: SetupStep,
  options: PrepareCheckoutOptions & { env: Record<string, string | undefined>; retried?: boolean },
  redact: (s: string) => string,
): Promise<StepRun> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = { manager: step.manager, command: [step.command, ...step.after].map((c) => redact(c.join(" "))), reason: step.reason };
  const tailOf = (text: string) => logTail(redact(text));
  const failedRun = (r: { exitCode: number | null; output: string; failed?: string; error?: string }, key: string | null, notes: string[]): StepRun => {
    const tail = tailOf(r.output);
    const failed = redact(r.failed ?? displayCommand(step));
    return {
      result: {
        ...base,
        key,
        reused: false,
        materialised: "in_place",
        outcome: "failed",
        exitCode: r.exitCode,
        durationMs: Math.round(performance.now() - started),
        tail,
        notes,
      },
      failure: {
        code: "setup_failed",
        command: failed,
        exitCode: r.exitCode,
        tail,
        message: `the dependency setup failed: \`${failed}\` ${r.error ?? `exited ${r.exitCode}`}${firstError(tail) === undefined ? "" : `: ${firstError(tail)}`}`,
        fix: fixFor(step, failed),
      },
      log: redact(r.output),
    };
  };

  // Vendored dependencies (node_modules committed): they are the project's files, never replaced.
  const tracked = await trackedProducts(root, step.products);
  if (tracked.length > 0) {
    return {
      result: {
        ...base,
        key: null,
        reused: false,
        materialised: "in_place",
        outcome: "ok",
        exitCode: null,
        durationMs: Math.round(performance.now() - started),
        tail: [],
        notes: [`${tracked.join(", ")} is tracked in git (vendored): left as committed, nothing installed`],
      },
      log: "",
    };
  }

  if (!step.shareable) {
    const r = await runSteps(step, root, options.env, timeoutMs, options.signal, options.confine, managerCachesOf(options));
    if (!r.ok) return failedRun(r, null, []);
    for (const p of step.products) ignoreItself(path.join(root, p));
    return {
      result: {
        ...base,
        key: null,
        reused: false,
        materialised: "in_place",
        outcome: "ok",
        exitCode: 0,
        durationMs: Math.round(performance.now() - started),
        tail: tailOf(r.output),
        notes: [],
      },
      log: redact(r.output),
    };
  }

  const cacheDir = path.resolve(options.cacheDir ?? defaultDepsCacheDir(options.env));
  mkdirSync(cacheDir, { recursive: true });
  const key = keyOf(root, step);
  const entry = path.join(cacheDir, key);
  const notes: string[] = [];
  let reused = true;
  let log = "";
  let check = usable(entry, step);
  if (!check.ok) {
    const held = await lock(`${entry}.lock`, timeoutMs * (1 + step.after.length) + 60_000, options.signal);
    try {
      check = usable(entry, step);
      if (check.ok) notes.push(`waited ${held.waitedMs} ms for another checkout's identical install`);
      else {
        if (check.why !== null) notes.push(check.why);
        evict(entry);
        reused = false;
        const tmp = path.join(cacheDir, `.tmp-${key.slice(0, 12)}-${randomBytes(4).toString("hex")}`);
        try {
          for (const input of step.inputs) {
            if (!existsSync(path.join(root, input))) continue;
            mkdirSync(path.dirname(path.join(tmp, input)), { recursive: true });
            copyFileSync(path.join(root, input), path.join(tmp, input));
          }
          const r = await runSteps(step, tmp, options.env, timeoutMs, options.signal, options.confine, managerCachesOf(options));
          log = redact(r.output);
          if (!r.ok) return failedRun(r, key, notes);
          for (const p of step.products) ignoreItself(path.join(tmp, p));
          const sealed = sealAndDigest(tmp, step.products, true);
          const manifest: Manifest = {
            key,
            createdAt: new Date().toISOString(),
            command: displayCommand(step),
            lockless: step.lockless,
            digest: sealed.digest,
            files: sealed.files,
            installMs: r.durationMs,
            content: contentDigest(tmp, step.products),
          };
          writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
          renameSync(tmp, entry);
          prune(cacheDir);
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      }
    } finally {
      held.release();
    }
  }
  touch(entry);
  let mode: "hardlink" | "copy" = options.mode ?? "copy";
  for (const p of step.products) {
    if (!existsSync(path.join(entry, p))) continue;
    const used = await materialise(path.join(entry, p), path.join(root, p), mode);
    if (used !== mode) notes.push(`hardlinks are not possible from ${cacheDir} to ${root} (another filesystem?): copied`);
    mode = used;
  }
  // A private copy is checked against the content recorded at install time: a change to the shared files that kept
  // their size and times (something writing the cache directly) is caught here, the install discarded and made again.
  const recorded = readManifest(entry)?.content;
  if (mode === "copy" && recorded !== undefined && contentDigest(root, step.products) !== recorded) {
    for (const p of step.products) rmSync(path.join(root, p), { recursive: true, force: true });
    if (options.retried === true) throw new Error(`the shared install ${entry} does not match its recorded content, even after a fresh install`);
    evict(entry);
    const again = await prepareStep(root, step, { ...options, retried: true }, redact);
    again.result.notes.unshift("the shared install's content no longer matched what was installed: it was discarded and made again");
    return again;
  }
  return {
    result: {
      ...base,
      key,
      reused,
      materialised: mode,
      outcome: "ok",
      exitCode: 0,
      durationMs: Math.round(performance.now() - started),
      tail: log === "" ? [] : tailOf(log),
      notes,
    },
    log,
  };
}

/**
 * Set up the dependencies of the checkout `dir` (see detectSetup): shared
 * installs are made once under `cacheDir` (lock file + atomic rename, so two
 * checkouts with the same key install once) and materialised; the rest is
 * installed in place. Setup products ignore themselves in git. A failed
 * step stops the setup: status `failed` with the typed `setup_failed`
 * failure (command, exit code, redacted log tail, fix). Never throws for a
 * failing install.
 */
export async function prepareCheckout(dir: string, options: PrepareCheckoutOptions = {}): Promise<SetupOutcome> {
  const started = performance.now();
  const root = path.resolve(dir);
  const env = options.env ?? process.env;
  const plan = detectSetup(root, options.config, env);
  const redactor = createRedactor({ env });
  const redact = (s: string) => redactor.redact(s);
  const steps: SetupStepResult[] = [];
  const logs: string[] = [];
  let failure: SetupFailure | undefined;
  for (const step of plan.steps) {
    let run: StepRun;
    try {
      run = await prepareStep(root, step, { ...options, env }, redact);
    } catch (e) {
      const message = redact(e instanceof Error ? e.message : String(e));
      run = {
        result: {
          manager: step.manager,
          command: [redact(displayCommand(step))],
          reason: step.reason,
          key: null,
          reused: false,
          materialised: "in_place",
          outcome: "failed",
          exitCode: null,
          durationMs: 0,
          tail: [message],
          notes: [],
        },
        failure: {
          code: "setup_failed",
          command: redact(displayCommand(step)),
          exitCode: null,
          tail: [message],
          message: `the dependency setup could not run: ${message}`,
          fix: "check that the OMK cache directory is writable and the checkout exists, then run again",
        },
        log: message,
      };
    }
    steps.push(run.result);
    logs.push(run.log);
    if (run.failure !== undefined) {
      failure = run.failure;
      break;
    }
  }
  if (options.logFile !== undefined) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    writeFileSync(options.logFile, logs.join("\n"));
  }
  const venv = plan.steps.some((s) => s.manager === "python") && failure === undefined ? [path.join(root, ".venv", "bin")] : [];
  return {
    status: failure !== undefined ? "failed" : plan.steps.length === 0 ? "none" : "ready",
    source: plan.source,
    reason: plan.reason,
    durationMs: Math.round(performance.now() - started),
    steps,
    path: venv,
    ...(failure === undefined ? {} : { failure }),
  };
}

/** One line per step for logs and reports: `npm ci … (reused, hardlink, 120 ms)`. */
export function describeSetup(outcome: SetupOutcome): string {
  if (outcome.status === "none") return `no dependency setup (${outcome.reason})`;
  if (outcome.failure !== undefined) return `setup failed: ${outcome.failure.message}`;
  return outcome.steps
    .map(
      (s) =>
        `${s.command.join(" && ")} (${s.key === null ? "installed in place" : s.reused ? `reused shared install, ${s.materialised}` : `installed once, ${s.materialised}`}, ${s.durationMs} ms)`,
    )
    .join("; ");
}
