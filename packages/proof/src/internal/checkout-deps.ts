/**
 * Dependencies in every checkout the controller makes (task worktrees,
 * baseline, head, review, evidence and proof-verify checkouts), through
 * @omk/gates' prepareCheckout: one shared install per lockfile, materialised
 * as a private copy in every checkout (code runs in all of them: an agent
 * in task worktrees, the agent's tests in gate checkouts; a hardlink would
 * let that code write the shared install). A failed setup is the user's project's
 * environment, not something an agent can fix: the goal ends
 * blocked_on_external with cause `setup_failed` (the command, exit code, log
 * tail and fix in failure.json), and no fix round is planned for it.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { redactedFilesFor } from "./redacted-files.js";
import {
  type ConfineCommand,
  CONFIG_FILES,
  defaultDepsCacheDir,
  describeSetup,
  detectSetup,
  type GatesConfig,
  prepareCheckout,
  readGatesConfig,
  type SetupFailure,
  SetupFailureSchema,
  type SetupOutcome,
} from "@omk/gates";
import type { FailureCause } from "@omk/state";
import type { ProofProblem } from "../types.js";

export const SETUP_FAILED = "setup_failed";

export type CheckoutDeps = {
  /** The shared install cache (default `$XDG_CACHE_HOME/omk/deps`). */
  readonly cacheDir?: string;
  /** The environment installs run with (their output is redacted). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  /** The gates config (relative to the checkout, or absolute): its `setup:`, only when `setup` is not given. Default: the checkout's .omk/gates.yaml, else detection. */
  readonly gatesConfig?: string;
  /**
   * The run's `setup:` (runSetupConfig: read once from the user's tree at the
   * start of the run; null: detect from the lockfile). When given, no
   * checkout's own .omk/gates.yaml is read for it: an agent's commit cannot
   * change what runs as the setup in head, review or proof-verify checkouts.
   */
  readonly setup?: Pick<GatesConfig, "setup"> | null;
  /** One line per checkout is appended here (JSON): label, status, duration, reused or installed. */
  readonly recordFile?: string;
  /** Told one line per checkout that had something to set up (the run's progress). */
  readonly note?: (message: string) => void;
  /** The sandbox of setup and gate commands (internal/confinement.ts checkoutConfinement); undefined: unconfined. */
  readonly confine?: ConfineCommand;
};

/** A setup failure as a ProofProblem (code setup_failed), with the typed failure kept for failure.json. */
export type SetupProblem = ProofProblem & { readonly setup: SetupFailure };

export function isSetupProblem(p: ProofProblem): p is SetupProblem {
  return p.code === SETUP_FAILED && "setup" in p;
}

/** Thrown through paths that can only throw (the evidence and proof-verify checkouts), so the phase still sees the problem. */
export class SetupFailedError extends Error {
  readonly problem: SetupProblem;
  constructor(problem: SetupProblem) {
    super(`${problem.message} (fix: ${problem.fix})`);
    this.problem = problem;
  }
}

function configOf(dir: string, gatesConfig: string | undefined) {
  if (gatesConfig === undefined) return undefined;
  const read = readGatesConfig(path.resolve(dir, gatesConfig));
  // A broken config is the wall's to report (gates_config); the setup falls back to detection.
  return read.ok ? read.value : null;
}

/**
 * The run's `setup:`, read from the user's tree `repo` (the gates config
 * file named, else .omk/gates.yaml): what every checkout of the run sets up
 * with. No file, or a broken one (the wall reports it): null, detection.
 */
export function runSetupConfig(repo: string, gatesConfig: string | undefined): Pick<GatesConfig, "setup"> | null {
  const file = gatesConfig !== undefined ? path.resolve(repo, gatesConfig) : CONFIG_FILES.map((f) => path.join(repo, f)).find((f) => existsSync(f));
  if (file === undefined) return null;
  const read = readGatesConfig(file);
  return read.ok && read.value.setup !== undefined ? { setup: read.value.setup } : null;
}

const setupOf = (dir: string, deps: Pick<CheckoutDeps, "gatesConfig" | "setup">) => (deps.setup !== undefined ? deps.setup : configOf(dir, deps.gatesConfig));

/** The setup products of the project in `dir` (node_modules, .venv): never part of a task's change. */
export function setupProducts(dir: string, deps: Pick<CheckoutDeps, "gatesConfig" | "env" | "setup">): string[] {
  return detectSetup(dir, setupOf(dir, deps), { ...deps.env }).steps.flatMap((s) => s.products);
}

/**
 * Set up the dependencies of the checkout `dir` (labelled for the record,
 * e.g. `r1-head`, `task t1#2`). `copy` wherever code runs (every checkout
 * the controller makes); `hardlink` only where nothing does.
 */
export async function setUpCheckout(
  deps: CheckoutDeps,
  dir: string,
  label: string,
  mode: "hardlink" | "copy",
): Promise<{ ok: true; value: SetupOutcome } | { ok: false; error: SetupProblem }> {
  const outcome = await prepareCheckout(dir, {
    cacheDir: deps.cacheDir ?? defaultDepsCacheDir(deps.env),
    mode,
    config: setupOf(dir, deps),
    env: { ...deps.env },
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    ...(deps.confine === undefined ? {} : { confine: deps.confine }),
  });
  record(deps, label, outcome);
  if (outcome.status !== "none") deps.note?.(`dependencies of ${label}: ${describeSetup(outcome)}`);
  if (outcome.failure === undefined) return { ok: true, value: outcome };
  return { ok: false, error: { code: SETUP_FAILED, message: `${label}: ${outcome.failure.message}`, fix: outcome.failure.fix, setup: outcome.failure } };
}

/** The small per-checkout record: label, status, how long, and per step whether the shared install was reused. */
function record(deps: CheckoutDeps, label: string, outcome: SetupOutcome): void {
  if (deps.recordFile === undefined) return;
  const line = {
    at: new Date().toISOString(),
    checkout: label,
    status: outcome.status,
    durationMs: outcome.durationMs,
    steps: outcome.steps.map((s) => ({ manager: s.manager, reused: s.reused, materialised: s.materialised, durationMs: s.durationMs, key: s.key })),
    ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
    summary: describeSetup(outcome),
  };
  try {
    mkdirSync(path.dirname(deps.recordFile), { recursive: true });
    // A failure's tail quotes the install's output: the line passes through the redactor of the run's env.
    redactedFilesFor(deps.env).append(deps.recordFile, `${JSON.stringify(line)}\n`);
  } catch {
    // The record is evidence of cost, not of correctness: a failed append never stops the goal.
  }
}

/** The last failed setup recorded in `recordFile` (the task runner keeps only a message; failure.json wants the command and log tail). */
export function lastRecordedFailure(recordFile: string | undefined): SetupFailure | undefined {
  if (recordFile === undefined) return undefined;
  let text = "";
  try {
    text = readFileSync(recordFile, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n").reverse()) {
    if (line.trim() === "") continue;
    try {
      const parsed = SetupFailureSchema.safeParse((JSON.parse(line) as { failure?: unknown }).failure);
      if (parsed.success) return parsed.data;
    } catch {
      // a torn line: look further back
    }
  }
  return undefined;
}

/** failure.json's cause for a setup failure: the command, exit code, log tail and fix (resumeAdvice shows the fix). */
export function setupFailedCause(where: string, problem: SetupProblem, redact: (s: string) => string): FailureCause {
  return {
    code: "setup_failed",
    message: redact(`${where}: ${problem.message}`),
    details: { command: redact(problem.setup.command), exitCode: problem.setup.exitCode, tail: problem.setup.tail.map(redact), fix: redact(problem.fix) },
  };
}
