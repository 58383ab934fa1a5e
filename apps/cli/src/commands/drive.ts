import path from "node:path";
import { type RunGoalResult, runGoal } from "@omk/controller";
import type { EngineProvider } from "@omk/sessions";
import { killAllGatesNow } from "@omk/gates";
import { type GoalStatus, requestCancel, requestPause } from "@omk/state";
import type { Context } from "../context.js";
import { resolveEngine } from "../engine.js";
import { CommandFailed } from "../errors.js";
import { EXIT, exitCodeForStatus } from "../exit-codes.js";
import { chooseLiveMode, createLiveView } from "../render/live/view.js";
import { terminalSafe } from "../render/safe.js";
import { type DriveOptions, prepareToDrive, refuseBrokenGatesConfig, runConfinement } from "./drive-setup.js";
import { reportOutcome } from "./run-outcome.js";
import { rememberRunOptions, runOptionsRecord } from "./run-options.js";

/** How long a second Ctrl-C waits for the controller to wind down before giving up on it. */
const CANCEL_GRACE_MS = 15_000;

/**
 * Drive a goal with the controller until it reaches a terminal status (or
 * the phase `stopAfter` names), with the live view, Ctrl-C handling and the
 * outcome printed. Returns the exit code of the status. A paused, budget-
 * extended or amended goal is resumed first. Used by `omk goal run`,
 * `resume`, `execute`, `review`, `plan` and `omk demo`.
 */
export async function driveGoal(ctx: Context, goalId: string, flags: DriveOptions): Promise<number> {
  // Resume remembers: the engine, model, script, --until-ready and max rounds the goal ran with, unless flags say otherwise.
  const remembered = await rememberRunOptions(ctx, goalId, flags);
  const goalRepo = (await ctx.store.readGoal(goalId)).repoRoot;
  refuseBrokenGatesConfig(ctx, goalRepo, remembered.options.gatesConfig);
  // The engine resolves from the goal's own repository's config, wherever omk runs from (unless --repo says otherwise).
  const repo = flags.repo ?? goalRepo;
  const options = { ...remembered.options, repo, overridden: remembered.overridden };
  const engine = await resolveEngine(ctx, options, { optional: options.stopAfter === "oracle" });
  const confinement = await runConfinement(ctx, flags);
  await prepareToDrive(ctx, goalId);
  return drive(ctx, goalId, engine, { ...options, confinement });
}

export async function drive(ctx: Context, goalId: string, engine: EngineProvider, options: DriveOptions): Promise<number> {
  const view = createLiveView(ctx, chooseLiveMode(options, ctx.env, process.stdout.isTTY === true));
  const dry = options.dryRun === true;
  view.say(
    dry
      ? `dry run of ${options.throwaway === true ? "a new goal" : `goal ${goalId}`}: nothing is recorded, nothing is written to the repository\n`
      : `goal ${goalId}\n`,
  );
  const before = dry ? (await ctx.store.readGoal(goalId)).status : undefined;
  const recordOptions = dry ? undefined : runOptionsRecord(ctx, options, engine, options.overridden ?? []);
  const confinement = await runConfinement(ctx, options);
  const abort = new AbortController();
  let interrupts = 0;
  let cancelled: Promise<unknown> | undefined;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      ctx.stderr("omk: pausing the goal cleanly (Ctrl-C again to cancel it)\n");
      abort.abort("pause");
    } else if (interrupts === 2) {
      ctx.stderr("omk: cancelling the goal\n");
      cancelled = requestCancel(ctx.store, goalId, "user", "cancelled with Ctrl-C");
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: RunGoalResult;
  try {
    const run = runGoal({
      store: ctx.store,
      goalId,
      engine,
      signal: abort.signal,
      onEvent: view.sink,
      env: ctx.env,
      confinement,
      actor: "controller",
      // The engine's `{ from: VAR }` values: redacted from gate logs, failure.json and proof.json too, not only from its transcripts.
      ...(engine.secrets === undefined || engine.secrets.length === 0 ? {} : { secrets: [...engine.secrets] }),
      ...(options.untilReady === true ? { untilReady: true } : {}),
      ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
      ...(options.stopAfter === undefined ? {} : { stopAfter: options.stopAfter }),
      ...(options.dryRun === true ? { dryRun: true } : {}),
      ...(options.gatesConfig === undefined ? {} : { gatesConfig: path.resolve(ctx.cwd, options.gatesConfig) }),
      ...(recordOptions === undefined ? {} : { runOptions: recordOptions }),
    });
    result = await untilCancelSettles(
      run.then((r) => {
        // Problems that keep the run from starting (another controller holds the goal, no base commit): exit 6 with the fix.
        if (!r.ok) throw new CommandFailed(r.error.code === "goal_not_found" ? EXIT.usage : EXIT.failedInfra, r.error.message, r.error.fix);
        return r.value;
      }),
      () => cancelled,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await view.close();
  }
  if (cancelled !== undefined) {
    await cancelled;
    killAllGatesNow();
  } else if (interrupts > 0 && result.status === "running") {
    // The controller stopped on the signal without moving the goal: pause it so `resume` continues it.
    await requestPause(ctx.store, goalId, "user");
    result = { ...result, status: "paused" };
  }
  const goal = await ctx.store.readGoal(goalId);
  // After a second Ctrl-C the goal's own record says why it ended (the run itself only saw the pause).
  const status: GoalStatus = cancelled !== undefined ? goal.status : result.status;
  const reason = cancelled !== undefined ? (goal.statusReason ?? "cancelled with Ctrl-C") : result.reason;
  if (dry && cancelled === undefined) {
    // The dry run reports what the run would do; it exits 0 unless the run would stop there (blocked, no plan).
    view.say(`${terminalSafe(reason)}\nnext: the same command without --dry-run\n`);
    return status === before ? EXIT.ok : exitCodeForStatus(status);
  }
  reportOutcome(ctx, view.say, goal, status, reason, result.outcomeFile, options);
  if (cancelled !== undefined) return EXIT.cancelled;
  if (options.stopAfter !== undefined && (status === "running" || status === "created")) return EXIT.ok;
  return exitCodeForStatus(status);
}

/** The run's result; after a second Ctrl-C, wait a bounded time for the controller, then stop waiting. */
async function untilCancelSettles(run: Promise<RunGoalResult>, cancelled: () => Promise<unknown> | undefined): Promise<RunGoalResult> {
  let timer: NodeJS.Timeout | undefined;
  const poll = new Promise<RunGoalResult>((resolve) => {
    const check = () => {
      if (cancelled() !== undefined) {
        timer = setTimeout(() => resolve({ goalId: "", status: "cancelled", outcomeFile: null, reason: "cancelled with Ctrl-C" }), CANCEL_GRACE_MS);
        return;
      }
      timer = setTimeout(check, 100);
    };
    check();
  });
  try {
    return await Promise.race([run, poll]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
