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
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createRedactor } from "@omk/core";
import type { ConfineCommand } from "./confine.js";
import { defaultDepsCacheDir, defaultSetupCachesDir } from "./internal/setup/cache-dirs.js";
import { lock } from "./internal/setup/install-lock.js";
import { detectSetup, displayCommand } from "./internal/setup/plan.js";
import { ignoreItself, materialise, trackedProducts } from "./internal/setup/products.js";
import { DEFAULT_TIMEOUT_MS, firstError, fixFor, logTail, runSteps } from "./internal/setup/run-install.js";
import { contentDigest, evict, keyOf, prune, publishSharedInstall, readManifest, stageInputs, touch, usable } from "./internal/setup/shared-install.js";
import type { GatesConfig } from "./schemas/config.js";
import type { SetupFailure, SetupOutcome, SetupStep, SetupStepResult } from "./schemas/setup.js";

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

/** Where a setup's package managers keep their caches: the given folder, else (confined) OMK's default, else (unconfined) the user's own. */
const managerCachesOf = (options: Pick<PrepareCheckoutOptions, "managerCaches" | "confine" | "env">): string | undefined =>
  options.managerCaches ?? (options.confine === undefined ? undefined : (options.confine.managerCaches ?? defaultSetupCachesDir(options.env)));

type StepRun = { result: SetupStepResult; failure?: SetupFailure; log: string };

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
  /** A step that ended well in the checkout itself (no shared install). */
  const doneInPlace = (exitCode: number | null, tail: string[], notes: string[]): SetupStepResult => ({
    ...base,
    key: null,
    reused: false,
    materialised: "in_place",
    outcome: "ok",
    exitCode,
    durationMs: Math.round(performance.now() - started),
    tail,
    notes,
  });
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
    return { result: doneInPlace(null, [], [`${tracked.join(", ")} is tracked in git (vendored): left as committed, nothing installed`]), log: "" };
  }

  if (!step.shareable) {
    const r = await runSteps(step, root, options.env, timeoutMs, options.signal, options.confine, managerCachesOf(options));
    if (!r.ok) return failedRun(r, null, []);
    for (const p of step.products) ignoreItself(path.join(root, p));
    return { result: doneInPlace(0, tailOf(r.output), []), log: redact(r.output) };
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
          stageInputs(root, tmp, step.inputs);
          const r = await runSteps(step, tmp, options.env, timeoutMs, options.signal, options.confine, managerCachesOf(options));
          log = redact(r.output);
          if (!r.ok) return failedRun(r, key, notes);
          publishSharedInstall(tmp, entry, key, step, r.durationMs);
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
