/**
 * The sandbox of one engine session, built from the run's confinement (the
 * bwrap the CLI's probe found, or unconfined) and the session's paths. See
 * docs/decisions/confinement.md for the policy and why each mount is there.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { allowedEnv, type ConfineCommand, type ConfineRequest, setupCacheEnv } from "@omk/gates";
import {
  type RefusalWatch,
  confinedArgv,
  ENGINE_DIR_VARS,
  ENGINE_HOME_FOLDERS,
  type EngineSpecInput,
  engineVisiblePaths,
  isolationDirs,
  type SessionConfinement,
  sandboxPolicy,
} from "@omk/wire";
import type { RunConfinement } from "../types.js";

export type SessionPaths = {
  /** OMK's state root: hidden from the engine. */
  readonly stateRoot: string;
  /** The user's repository: its `.git` hidden, `.git/objects` shown read-only. */
  readonly repo: string;
  /** The session root. */
  readonly cwd: string;
  /** Whether the engine may write the session root (task sessions); read-only otherwise (intake, plan, review, follow-ups). */
  readonly writableRoot: boolean;
  /** The session's folder (scenario, transcript): shown read-only. */
  readonly sessionDir: string;
  /** The engine's own run folder (its HOME or TMPDIR, settings layers, usage log): writable for the engine, hidden from its commands. */
  readonly engineRunDir: string;
  /** The run folder of the commands an agent runs through OMK's terminal (their own HOME, XDG dirs and TMPDIR: agentCommandEnv): writable for them. */
  readonly commandsRunDir: string;
};

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The git dir of a repository or checkout: `.git` itself, or where a `.git` file (`gitdir: ...`) points. */
function gitDirOf(root: string): string | undefined {
  const dotGit = path.join(root, ".git");
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const line = readFileSync(dotGit, "utf8").split("\n")[0] ?? "";
    const target = line.startsWith("gitdir:") ? line.slice("gitdir:".length).trim() : "";
    return target === "" ? undefined : path.resolve(root, target);
  } catch {
    return undefined;
  }
}

/** The common git dir (a linked worktree's `commondir`), else the git dir itself. */
function commonDirOf(gitDir: string): string {
  try {
    const rel = readFileSync(path.join(gitDir, "commondir"), "utf8").trim();
    return rel === "" ? gitDir : path.resolve(gitDir, rel);
  } catch {
    return gitDir;
  }
}

/**
 * The engine's and its commands' sandboxes for one session, or undefined when
 * the run is unconfined. Writable: the session root (task sessions), the
 * engine's run folder (its own HOME, XDG dirs and TMPDIR: wire's
 * isolation.ts), and any folder an ENGINE_DIR_VARS variable of the engine
 * spec's own `env` names. The user's real HOME is read-only, the engines'
 * folders in it included (ENGINE_HOME_FOLDERS: a refused write there is a
 * finding). Hidden: the state root and the repository's git dir (its objects
 * shown read-only: checkouts borrow them). The checkout's own `.git` is
 * read-only over the writable root. The engine shares the host network (its
 * model endpoint); its commands get none.
 *
 * The commands an agent runs through OMK's terminal get less: the session
 * root (task sessions) and a run folder of their own (their HOME, XDG dirs and
 * TMPDIR: agentCommandEnv), writable; the engine's run folder hidden (its
 * copied login, settings and the usage log OMK charges from: a command must
 * not forge them), the spec's own engine folders read-only.
 */
export function sessionConfinement(
  run: RunConfinement | undefined,
  spec: EngineSpecInput,
  env: Readonly<Record<string, string | undefined>>,
  paths: SessionPaths,
): SessionConfinement | undefined {
  if (run === undefined || run.mode === "unconfined") return undefined;
  const repoGit = gitDirOf(paths.repo);
  const repoCommon = repoGit === undefined ? undefined : commonDirOf(repoGit);
  const home = env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : os.homedir();
  const engineEnv = { ...env, ...(spec.env ?? {}) };
  // The user's own engine-folder variables are dropped from the engine's environment (wire's isolatedEnv); only the spec's own env can point the engine at a folder of its choosing.
  const dirVars = ENGINE_DIR_VARS.map((name) => spec.env?.[name]).filter((v): v is string => v !== undefined && path.isAbsolute(v));
  for (const dir of [paths.engineRunDir, ...dirVars]) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // not creatable: left out of the writable list below (sandboxPolicy skips what does not exist)
    }
  }
  // Every engine's folders in the real HOME, and where the user's variables keep them: an agent of one engine may plant in another's.
  const engineFolders = [
    ...new Set([
      ...Object.values(ENGINE_HOME_FOLDERS)
        .flat()
        .map((rel) => path.join(home, rel)),
      ...ENGINE_DIR_VARS.map((name) => env[name]).filter((v): v is string => v !== undefined && path.isAbsolute(v) && !dirVars.includes(v)),
    ]),
  ];
  const checkoutGit = paths.writableRoot ? path.join(paths.cwd, ".git") : undefined;
  const hidden = [paths.stateRoot, ...(repoGit === undefined ? [] : [repoGit]), ...(repoCommon === undefined || repoCommon === repoGit ? [] : [repoCommon])];
  const shown = [
    ...(repoCommon === undefined ? [] : [path.join(repoCommon, "objects")]),
    paths.sessionDir,
    paths.repo,
    paths.cwd,
    home,
    ...engineVisiblePaths(spec.command, spec.args ?? [], engineEnv),
  ];
  const writable = [...(paths.writableRoot ? [paths.cwd] : []), paths.engineRunDir, ...dirVars];
  const readOnlyAfter = checkoutGit !== undefined && existsSync(checkoutGit) ? [checkoutGit] : [];
  const commandDirs = Object.values(isolationDirs(paths.commandsRunDir));
  for (const dir of commandDirs) mkdirSync(dir, { recursive: true });
  const engine = sandboxPolicy({ bwrap: run.bwrap, hidden, shownReadOnly: shown, writable, readOnlyAfter, network: "shared", env: engineEnv });
  const commands = sandboxPolicy({
    bwrap: run.bwrap,
    hidden: [...hidden, paths.engineRunDir],
    shownReadOnly: shown,
    writable: [...(paths.writableRoot ? [paths.cwd] : []), ...commandDirs],
    readOnlyAfter,
    network: "none",
    env: engineEnv,
  });
  // What a refusal named in a command's output is judged against (@omk/wire's refusals.ts): real paths, as the sandbox mounts them.
  const watch: RefusalWatch = {
    writable: [...new Set([...writable, ...commandDirs].map(real))],
    readOnly: [
      { path: real(paths.engineRunDir), what: "the engine's own run folder (its HOME, settings and usage log), hidden from its commands" },
      ...readOnlyAfter.map((p) => ({ path: real(p), what: "the task checkout's own .git, read-only" })),
      ...engineFolders.map((p) => ({ path: real(p), what: "an engine's folder in the user's HOME, read-only: the engine has a HOME of its own" })),
    ],
    hidden: [
      { path: real(paths.stateRoot), what: "OMK's state dir" },
      ...[repoGit, repoCommon].filter((p): p is string => p !== undefined).map((p) => ({ path: real(p), what: "the user's repository .git" })),
    ],
    repo: real(paths.repo),
    home: real(home),
  };
  return { engine, commands, watch };
}

/**
 * The environment of each command an agent runs through OMK's terminal: the
 * gates' rule (no secret-looking names), with HOME, the XDG dirs and TMPDIR
 * moved to the commands' own run folder (created here: npm's and pip's caches
 * land there, not in the engine's HOME), and the engine-folder variables that
 * point into the engine's run folder dropped. Confined or not.
 */
export function agentCommandEnv(
  engineEnv: Record<string, string>,
  runDirs: { readonly engineRunDir: string; readonly commandsRunDir: string },
): Record<string, string> {
  const own = isolationDirs(runDirs.commandsRunDir);
  for (const dir of Object.values(own)) mkdirSync(dir, { recursive: true });
  const env = allowedEnv(engineEnv);
  const engineDir = path.resolve(runDirs.engineRunDir);
  for (const name of ENGINE_DIR_VARS) {
    const value = env[name];
    if (value !== undefined && path.isAbsolute(value) && (value === engineDir || value.startsWith(`${engineDir}${path.sep}`))) delete env[name];
  }
  return { ...env, ...ownDirsEnv(own) };
}

/** HOME, TMPDIR and the XDG variables pointing at a command's own folders (isolationDirs). */
function ownDirsEnv(own: ReturnType<typeof isolationDirs>): Record<string, string> {
  return {
    HOME: own.home,
    USERPROFILE: own.home,
    TMPDIR: own.tmp,
    TMP: own.tmp,
    TEMP: own.tmp,
    XDG_CONFIG_HOME: own.configHome,
    XDG_CACHE_HOME: own.cacheHome,
    XDG_DATA_HOME: own.dataHome,
    XDG_STATE_HOME: own.stateHome,
  };
}

/**
 * The sandbox of every command OMK itself starts on a tree an agent wrote
 * (docs/decisions/confinement.md, "Setup and gates"): dependency setup, gate
 * commands and the oracle's checks, in task checkouts, the baseline,
 * verification, review, overlay and proof-verify checkouts. The same policy
 * as an agent's commands: `/` read-only, OMK's state root and the user's
 * repository git dir hidden (its objects shown read-only: checkouts borrow
 * them), the tree the command works on writable with its own `.git`
 * read-only over it, and a private TMPDIR per command (removed when it
 * ends). A setup step shares the host network (its registry) and writes
 * OMK's own package-manager caches (setupCachesDir: its environment points
 * npm, npx, corepack, pnpm, yarn, pip, uv, Go and cargo there), never the
 * user's; a gate command gets loopback only. Undefined when the run is unconfined (`--unconfined`).
 */
export function checkoutConfinement(run: RunConfinement | undefined, paths: { readonly stateRoot: string; readonly repo: string }): ConfineCommand | undefined {
  if (run === undefined || run.mode === "unconfined") return undefined;
  const bwrap = run.bwrap;
  const repoGit = gitDirOf(paths.repo);
  const repoCommon = repoGit === undefined ? undefined : commonDirOf(repoGit);
  const hidden = [paths.stateRoot, ...(repoGit === undefined ? [] : [repoGit]), ...(repoCommon === undefined || repoCommon === repoGit ? [] : [repoCommon])];
  const caches = setupCachesDir(paths.stateRoot);
  const cacheEnv = setupCacheEnv(caches);
  const withinCaches = (dir: string) => {
    const rel = path.relative(caches, dir);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  };
  const confine = (request: ConfineRequest) => {
    const setup = request.purpose === "setup";
    // A setup step writes OMK's caches only (pointed at through its environment): a folder outside them a caller names is not granted, the user's ~/.npm, npx's ~/.npm/_npx, corepack, pnpm, pip, Go and cargo caches included.
    const extra = setup ? request.writable.filter(withinCaches) : request.writable;
    const [command, ...args] = request.argv as [string, ...string[]];
    const tmp = mkdtempSync(path.join(os.tmpdir(), `omk-${request.purpose}-tmp-`));
    try {
      const shown = [
        ...(repoCommon === undefined ? [] : [path.join(repoCommon, "objects")]),
        paths.repo,
        ...(path.isAbsolute(command) ? [path.dirname(command), path.dirname(real(command))] : []),
        ...(request.env["PATH"] ?? "").split(path.delimiter).filter((d) => path.isAbsolute(d)),
      ];
      const ownGit = path.join(request.root, ".git");
      const policy = sandboxPolicy({
        bwrap,
        hidden,
        shownReadOnly: shown,
        writable: [request.root, ...extra, tmp],
        readOnlyAfter: existsSync(ownGit) ? [ownGit] : [],
        network: request.purpose === "setup" ? "shared" : "none",
        env: request.env,
      });
      const boxed = confinedArgv(policy, request.cwd, command, args);
      // A gate's tools write under HOME (nyc's spawn-wrap: ~/.node-spawn-wrap-*; test caches): the user's HOME is read-only,
      // so a gate command gets a HOME of its own in its private TMPDIR, with the user's git identity (~/.gitconfig) copied in.
      // A setup step keeps the user's HOME (its ~/.npmrc names registries and their logins), caches redirected above.
      const own = setup ? { TMPDIR: tmp, TMP: tmp, TEMP: tmp } : gateDirsEnv(tmp, request.env);
      return {
        argv: [boxed.command, ...boxed.args],
        env: { ...request.env, ...(setup ? cacheEnv : {}), ...own },
        dispose: () => rmSync(tmp, { recursive: true, force: true }),
      };
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  };
  return Object.assign(confine, { managerCaches: caches });
}

/**
 * OMK's own package-manager caches of every confined setup step in one
 * state root (`<stateRoot>/cache/setup/<kind>`, made 0700 by @omk/gates,
 * kept across goals so they stay warm): inside the hidden state root, bound
 * writable for setup steps only. See docs/decisions/confinement.md ("Setup
 * and gates").
 */
export function setupCachesDir(stateRoot: string): string {
  return path.join(stateRoot, "cache", "setup");
}

/** A gate command's own HOME, XDG dirs and TMPDIR inside its private folder: the user's ~/.gitconfig copied in (tests that commit need an identity). */
function gateDirsEnv(tmp: string, env: Readonly<Record<string, string>>): Record<string, string> {
  const own = { ...isolationDirs(tmp), tmp };
  for (const dir of Object.values(own)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const userHome = env["HOME"] !== undefined && path.isAbsolute(env["HOME"]) ? env["HOME"] : os.homedir();
  try {
    copyFileSync(path.join(userHome, ".gitconfig"), path.join(own.home, ".gitconfig"));
  } catch {
    // no git identity of the user's: git's own defaults
  }
  return ownDirsEnv(own);
}
