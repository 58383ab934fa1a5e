import { existsSync } from "node:fs";
import path from "node:path";
import type { RunConfinement, RunGoalOptions } from "@omk/controller";
import { CONFIG_FILES, readGatesConfig } from "@omk/gates";
import { budgetReport, checkStatusTransition, requestResume } from "@omk/state";
import { probeConfinement } from "@omk/wire";
import type { Context } from "../context.js";
import type { EngineChoice } from "../engine.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import type { RunOptionsRecord } from "./run-options.js";

/** The flags every driving command takes (`goal run`, `resume`, `execute`, `review`, `plan`; `omk demo` passes them too). */
export type DriveOptions = EngineChoice & {
  untilReady?: boolean | undefined;
  maxRounds?: number | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
  plain?: boolean | undefined;
  stopAfter?: RunGoalOptions["stopAfter"];
  gatesConfig?: string | undefined;
  /**
   * Put before every printed `omk …` next step (named as printable says), e.g. `OMK_STATE_DIR=/tmp/x `
   * when the goal lives in a state dir the user's shell does not point at
   * (`omk demo`), so the printed commands run as printed.
   */
  commandPrefix?: string | undefined;
  /** A dry run of a new goal, created in a throwaway state dir (its id names nothing afterwards). */
  throwaway?: boolean | undefined;
  /** --unconfined: run the agents without a sandbox (otherwise a machine that cannot sandbox refuses to run, exit 9). */
  unconfined?: boolean | undefined;
  /** The probe's answer, once made (goal run probes before it creates the goal). */
  confinement?: RunConfinement | undefined;
  /** The recorded run options the flags changed (resume): written into this run's run_options_recorded. */
  overridden?: RunOptionsRecord["overridden"] | undefined;
};

/**
 * How this run confines its agents: --unconfined, else bubblewrap when the
 * probe (run once) finds it able to sandbox here; else the run is refused
 * (exit 9, the probe's message and fix). See docs/decisions/confinement.md.
 */
export async function runConfinement(ctx: Context, options: Pick<DriveOptions, "unconfined" | "confinement">): Promise<RunConfinement> {
  if (options.confinement !== undefined) return options.confinement;
  if (options.unconfined === true) {
    ctx.stderr("omk: --unconfined: the agents run without a sandbox (recorded in proof.json / failure.json)\n");
    return { mode: "unconfined" };
  }
  const probe = await probeConfinement(ctx.env);
  if (!probe.ok) throw new CommandFailed(EXIT.cannotConfine, probe.error.message, probe.error.fix);
  return { mode: "bwrap", bwrap: probe.value.bwrap };
}

/**
 * Before driving a goal that is not running: refuse what cannot continue
 * (exit 2 naming the move; exit 4 with the fix when its budget is spent).
 * The controller itself moves the goal back to running, under its lock.
 */
export async function prepareToDrive(ctx: Context, goalId: string): Promise<void> {
  const goal = await ctx.store.readGoal(goalId);
  if (goal.status === "created" || goal.status === "running" || goal.status === "ready") return;
  if (budgetReport(goal, ctx.now()).exhausted.length > 0) {
    // requestResume records needs_more_budget (with failure.json) and names the fix.
    const resumed = await requestResume(ctx.store, goalId);
    if (!resumed.ok)
      throw new CommandFailed(resumed.error.code === "budget_exhausted" ? EXIT.needsMoreBudget : EXIT.usage, resumed.error.message, resumed.error.fix);
    return;
  }
  const allowed = checkStatusTransition(goal, "running");
  if (!allowed.ok) throw new UsageError(allowed.error.message, allowed.error.fix);
}

/**
 * A broken gates config (--gates FILE, else the repository's .omk/gates.yaml)
 * is refused before a goal starts or continues: exit 2 with the file,
 * line:col, the schema path and the fix. Nothing is recorded. (The
 * controller's intake has the same guard: blocked_on_human, config_invalid.)
 */
export function refuseBrokenGatesConfig(ctx: Context, repo: string, gatesConfig: string | undefined): void {
  const file = gatesConfig !== undefined ? path.resolve(ctx.cwd, gatesConfig) : CONFIG_FILES.map((f) => path.join(repo, f)).find((f) => existsSync(f));
  if (file === undefined) return;
  const read = readGatesConfig(file);
  if (!read.ok) throw new UsageError(read.error.message, read.error.fix ?? "correct the gates config (docs/schemas/gates-config.schema.json)");
}
