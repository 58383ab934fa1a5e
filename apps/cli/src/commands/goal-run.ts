import { existsSync } from "node:fs";
import path from "node:path";
import { type EngineProvider, type RunGoalOptions, type RunGoalResult, runGoal } from "@omk/controller";
import { killAllGatesNow } from "@omk/gates";
import { readOracleFile } from "@omk/oracle";
import { budgetReport, checkStatusTransition, type GoalStatus, idProblem, requestCancel, requestPause, requestResume } from "@omk/state";
import { type Context, resolveGoalId } from "../context.js";
import { type EngineChoice, resolveEngine } from "../engine.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT, exitCodeForStatus } from "../exit-codes.js";
import { chooseLiveMode, createLiveView } from "../render/live/view.js";
import { type CreateOptions, createGoalRecord } from "./goal-create.js";

/** The flags every driving command takes (`goal run`, `resume`, `execute`, `review`, `plan`; `omk demo` passes them too). */
export type DriveOptions = EngineChoice & {
  untilReady?: boolean | undefined;
  maxRounds?: number | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
  plain?: boolean | undefined;
  stopAfter?: RunGoalOptions["stopAfter"];
  gatesConfig?: string | undefined;
};

/** What commander hands the run commands (strings, before parsing). */
export type RunFlags = CreateOptions &
  EngineChoice & { untilReady?: boolean; maxRounds?: string; dryRun?: boolean; plain?: boolean; gates?: string };

/** How long a second Ctrl-C waits for the controller to wind down before giving up on it. */
const CANCEL_GRACE_MS = 15_000;

export function parseMaxRounds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 20) throw new UsageError(`--max-rounds ${JSON.stringify(value)} must be a whole number from 1 to 20`, "use e.g. --max-rounds 3");
  return n;
}

function driveOptions(flags: RunFlags, extra: Partial<DriveOptions> = {}): DriveOptions {
  return {
    engine: flags.engine,
    script: flags.script,
    model: flags.model,
    untilReady: flags.untilReady,
    maxRounds: parseMaxRounds(flags.maxRounds),
    dryRun: flags.dryRun,
    json: flags.json,
    plain: flags.plain,
    gatesConfig: flags.gates,
    ...extra,
  };
}

/**
 * Drive a goal with the controller until it reaches a terminal status (or
 * the phase `stopAfter` names), with the live view, Ctrl-C handling and the
 * outcome printed. Returns the exit code of the status. A paused, budget-
 * extended or amended goal is resumed first. Used by `omk goal run`,
 * `resume`, `execute`, `review`, `plan` and `omk demo`.
 */
export async function driveGoal(ctx: Context, goalId: string, options: DriveOptions): Promise<number> {
  const engine = await resolveEngine(ctx, options, { optional: options.stopAfter === "oracle" });
  await prepareToDrive(ctx, goalId);
  return drive(ctx, goalId, engine, options);
}

/**
 * Before driving a goal that is not running: refuse what cannot continue
 * (exit 2 naming the move; exit 4 with the fix when its budget is spent).
 * The controller itself moves the goal back to running, under its lock.
 */
async function prepareToDrive(ctx: Context, goalId: string): Promise<void> {
  const goal = await ctx.store.readGoal(goalId);
  if (goal.status === "created" || goal.status === "running" || goal.status === "ready") return;
  if (budgetReport(goal, ctx.now()).exhausted.length > 0) {
    // requestResume records needs_more_budget (with failure.json) and names the fix.
    const resumed = await requestResume(ctx.store, goalId);
    if (!resumed.ok) throw new CommandFailed(resumed.error.code === "budget_exhausted" ? EXIT.needsMoreBudget : EXIT.usage, resumed.error.message, resumed.error.fix);
    return;
  }
  const allowed = checkStatusTransition(goal, "running");
  if (!allowed.ok) throw new UsageError(allowed.error.message, allowed.error.fix);
}

async function drive(ctx: Context, goalId: string, engine: EngineProvider, options: DriveOptions): Promise<number> {
  const view = createLiveView(ctx, chooseLiveMode(options, ctx.env, process.stdout.isTTY === true));
  view.say(`goal ${goalId}\n`);
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
      actor: "controller",
      ...(options.untilReady === true ? { untilReady: true } : {}),
      ...(options.maxRounds === undefined ? {} : { maxRounds: options.maxRounds }),
      ...(options.stopAfter === undefined ? {} : { stopAfter: options.stopAfter }),
      ...(options.dryRun === true ? { dryRun: true } : {}),
      ...(options.gatesConfig === undefined ? {} : { gatesConfig: path.resolve(ctx.cwd, options.gatesConfig) }),
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
  const status: GoalStatus = cancelled !== undefined ? goal.status : result.status;
  report(ctx, view.say, goalId, status, result, options);
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

/** The outcome, last: `status: …`, then the proof or failure file, then what to do next. */
function report(ctx: Context, say: (t: string) => void, goalId: string, status: GoalStatus, result: RunGoalResult, options: DriveOptions): void {
  const paths = ctx.store.paths(goalId);
  const lines = [`status: ${status}${result.reason === "" ? "" : ` — ${result.reason}`}`];
  const outcome = result.outcomeFile ?? (existsSync(paths.proof) && status === "ready" ? paths.proof : existsSync(paths.failure) && status !== "ready" && status !== "running" && status !== "paused" ? paths.failure : null);
  if (outcome !== null) lines.push(`${path.basename(outcome) === "proof.json" ? "proof" : "failure"}: ${outcome}`);
  if (status === "ready") lines.push(`next: omk proof verify ${outcome ?? paths.proof}`, `      omk goal accept ${goalId}`);
  else if (status === "paused") lines.push(`next: omk goal resume ${goalId}`);
  else if (status === "needs_more_budget") lines.push(`next: omk goal budget-add ${goalId} --time|--tokens|--usd, then omk goal resume ${goalId}`);
  else if (status === "blocked_on_human") lines.push(`next: omk goal amend ${goalId} --answer "<answer>", then omk goal resume ${goalId}`);
  else if (status === "running" && options.stopAfter !== undefined) lines.push(`stopped after ${options.stopAfter}; continue: omk goal resume ${goalId}`);
  say(`${lines.join("\n")}\n`);
}

/** `omk goal run "<text>" | <id>`: a new goal from the text, or continue an existing one; drive it to the end. */
export async function goalRun(ctx: Context, textOrId: string, flags: RunFlags): Promise<number> {
  const options = driveOptions(flags);
  const existing = await existingGoal(ctx, textOrId);
  const engine = await resolveEngine(ctx, options);
  if (existing !== undefined) {
    await prepareToDrive(ctx, existing);
    return drive(ctx, existing, engine, options);
  }
  const goal = await createGoalRecord(ctx, textOrId, flags, true);
  return drive(ctx, goal.id, engine, options);
}

async function existingGoal(ctx: Context, value: string): Promise<string | undefined> {
  if (idProblem(value) !== undefined) return undefined;
  return existsSync(ctx.store.paths(value).events) ? value : undefined;
}

/** `omk goal resume [id]`: requestResume, then drive the goal to the end with the run flags. */
export async function goalResume(ctx: Context, id: string | undefined, flags: RunFlags): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  return driveGoal(ctx, goalId, driveOptions(flags));
}

/** `omk goal execute [id]`: drive through the execution phase and stop. */
export async function goalExecute(ctx: Context, id: string | undefined, flags: RunFlags): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  return driveGoal(ctx, goalId, driveOptions(flags, { stopAfter: "execution" }));
}

/** `omk goal review [id]`: drive through the review phase and stop. */
export async function goalReview(ctx: Context, id: string | undefined, flags: RunFlags): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  return driveGoal(ctx, goalId, driveOptions(flags, { stopAfter: "review" }));
}

/** `omk goal plan "<text>"`: create the goal, plan it and freeze its oracle; print the tasks and criteria. No engine needed (deterministic planner). */
export async function goalPlan(ctx: Context, text: string, flags: RunFlags): Promise<number> {
  const options = driveOptions(flags, { stopAfter: "oracle" });
  const engine = await resolveEngine(ctx, options, { optional: true });
  const goal = await createGoalRecord(ctx, text, flags, true);
  const code = await drive(ctx, goal.id, engine, options);
  if (code !== EXIT.ok) return code;
  const say = options.json === true ? ctx.stderr : ctx.stdout;
  const planned = await ctx.store.readGoal(goal.id);
  const tasks = planned.taskGraph?.tasks ?? [];
  const lines = [`tasks (${tasks.length}):`];
  for (const t of tasks) lines.push(`  ${t.id}  [${t.role}] ${t.title}${t.dependencies.length === 0 ? "" : ` (after ${t.dependencies.join(", ")})`}  writes: ${t.writes.join(", ") || "nothing"}`);
  const oracle = readOracleFile(ctx.store.paths(goal.id).dir);
  if (oracle.ok) {
    lines.push(`criteria (${oracle.value.oracle.criteria.length}, oracle ${oracle.value.hash.slice(0, 12)}):`);
    for (const c of oracle.value.oracle.criteria) lines.push(`  ${c.id}  [${c.kind}] ${c.description}`);
  }
  lines.push(`next: omk goal run ${goal.id}`);
  say(`${lines.join("\n")}\n`);
  return code;
}
