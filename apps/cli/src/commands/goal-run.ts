import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type EngineProvider, type RunConfinement, type RunGoalOptions, type RunGoalResult, runGoal } from "@omk/controller";
import { CONFIG_FILES, killAllGatesNow, readGatesConfig } from "@omk/gates";
import { readOracleFile } from "@omk/oracle";
import { budgetReport, checkStatusTransition, type Goal, type GoalStatus, idProblem, isTerminalStatus, openStore, requestCancel, requestPause, requestResume } from "@omk/state";
import { probeConfinement } from "@omk/wire";
import { type Context, resolveGoalId } from "../context.js";
import { type EngineChoice, resolveEngine } from "../engine.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT, exitCodeForStatus } from "../exit-codes.js";
import { printable, shellWord } from "../invocation.js";
import { chooseLiveMode, createLiveView } from "../render/live/view.js";
import { terminalSafe } from "../render/safe.js";
import { type CreateOptions, checkCreateInput, createGoalRecord, requireGitCommit } from "./goal-create.js";
import { type RunOptionsRecord, rememberRunOptions, runOptionsRecord } from "./run-options.js";

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

/** What commander hands the run commands (strings, before parsing). */
export type RunFlags = CreateOptions &
  EngineChoice & { untilReady?: boolean; maxRounds?: string; dryRun?: boolean; plain?: boolean; gates?: string; new?: boolean; unconfined?: boolean };

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
    // The repository whose .omk/config.yaml resolves the engine (a new goal's --repo; else the goal's own repo, else the current one).
    repo: flags.repo,
    trustRepoConfig: flags.trustRepoConfig,
    // true: --until-ready; false: --no-until-ready (resume turns a remembered --until-ready off); undefined: neither.
    untilReady: flags.untilReady,
    maxRounds: parseMaxRounds(flags.maxRounds),
    dryRun: flags.dryRun,
    json: flags.json,
    plain: flags.plain,
    gatesConfig: flags.gates,
    unconfined: flags.unconfined,
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
  report(ctx, view.say, goal, status, reason, result.outcomeFile, options);
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

/**
 * A broken gates config (--gates FILE, else the repository's .omk/gates.yaml)
 * is refused before a goal starts or continues: exit 2 with the file,
 * line:col, the schema path and the fix. Nothing is recorded. (The
 * controller's intake has the same guard: blocked_on_human, config_invalid.)
 */
function refuseBrokenGatesConfig(ctx: Context, repo: string, gatesConfig: string | undefined): void {
  const file = gatesConfig !== undefined ? path.resolve(ctx.cwd, gatesConfig) : CONFIG_FILES.map((f) => path.join(repo, f)).find((f) => existsSync(f));
  if (file === undefined) return;
  const read = readGatesConfig(file);
  if (!read.ok) throw new UsageError(read.error.message, read.error.fix ?? "correct the gates config (docs/schemas/gates-config.schema.json)");
}


type FailureAdvice = { resume?: { command: string | null; hint: string }; questions: string[] };

/** failure.json's resume advice (the exact command and a hint) and the open questions, when the file is there and readable. */
function adviceOf(file: string): FailureAdvice | undefined {
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as { resume?: { command: string | null; hint: string }; cause?: { details?: { questions?: unknown } } };
    const questions = record.cause?.details?.questions;
    return { ...(record.resume === undefined ? {} : { resume: record.resume }), questions: Array.isArray(questions) ? questions.filter((q): q is string => typeof q === "string") : [] };
  } catch {
    return undefined;
  }
}

/**
 * The outcome, last: `status: …`, then the proof or failure file, then what
 * to do next (every command with the run's prefix, so it runs as printed).
 */
function report(ctx: Context, say: (t: string) => void, goal: Goal, status: GoalStatus, reason: string, outcomeFile: string | null, options: DriveOptions): void {
  const goalId = goal.id;
  const paths = ctx.store.paths(goalId);
  const omk = (command: string) => printable(command, { prefix: options.commandPrefix });
  const lines = [`status: ${status}${reason === "" ? "" : ` — ${omk(reason)}`}`];
  const outcome = outcomeFile ?? (existsSync(paths.proof) && status === "ready" ? paths.proof : existsSync(paths.failure) && isTerminalStatus(status) && status !== "ready" ? paths.failure : null);
  if (outcome !== null) lines.push(`${path.basename(outcome) === "proof.json" ? "proof" : "failure"}: ${outcome}`);
  const failure = outcome !== null && path.basename(outcome) === "failure.json" ? adviceOf(outcome) : undefined;
  const advice = failure?.resume;
  switch (status) {
    case "ready":
      lines.push(`next: ${omk(`omk proof verify ${shellWord(outcome ?? paths.proof)}`)}`, `      ${omk(`omk goal accept ${goalId}`)}`);
      break;
    case "paused":
      lines.push(`next: ${omk(`omk goal resume ${goalId}`)}`);
      break;
    case "not_ready":
      lines.push(`next: ${omk(`omk goal resume ${goalId}`)}  # plans follow-up tasks from the failing evidence and runs them`);
      break;
    case "needs_more_budget":
      lines.push(`next: ${omk(advice?.command ?? `omk goal budget-add ${goalId} --time 30m && omk goal resume ${goalId}`)}`);
      break;
    case "blocked_on_human":
      if (failure !== undefined && failure.questions.length > 0) lines.push("questions:", ...failure.questions.map((q) => `  - ${q}`));
      lines.push(`next: ${omk(`omk goal amend ${goalId} --answer "<answer>" && omk goal resume ${goalId}`)}`);
      break;
    case "blocked_on_external":
    case "failed_infra":
      lines.push(`next: ${omk(advice?.command ?? `omk goal resume ${goalId}`)}${advice === undefined ? "" : `  # ${omk(advice.hint)}`}`);
      break;
    case "cancelled":
      // Cancelled is final: never suggest resuming it. `--`: a text such as `-v` is the goal's text, not a flag.
      lines.push(`cancelled is final; to try again, start a new goal: ${omk(`omk goal run -- ${shellWord(goal.normalizedText)}`)}`);
      break;
    case "running":
    case "created":
      if (options.stopAfter !== undefined) lines.push(`stopped after ${options.stopAfter}; continue: ${omk(`omk goal resume ${goalId}`)}`);
      break;
  }
  // Reasons, questions and hints come from the engine or an agent: each shown as one line, escapes visible.
  say(`${lines.map(terminalSafe).join("\n")}\n`);
}

/**
 * `omk goal run "<text>" | <id>`: a new goal from the text, or continue an
 * existing one; drive it to the end. An argument shaped like a goal id (a
 * 26-character ULID) that names no goal here is refused (exit 2) rather than
 * made a goal's text;
 * `--new` makes any argument the text of a new goal.
 */
export async function goalRun(ctx: Context, textOrId: string, flags: RunFlags): Promise<number> {
  const options = driveOptions(flags);
  const asText = flags.new === true;
  const existing = asText ? undefined : await existingGoal(ctx, textOrId);
  if (existing === undefined && !asText && GOAL_ID_SHAPE.test(textOrId)) {
    throw new UsageError(
      `no goal "${textOrId}" under ${ctx.store.root}`,
      `pass the id of a goal in this state dir (omk goal list), set OMK_STATE_DIR to the state dir that holds it, or pass --new to make "${textOrId}" the text of a new goal`,
    );
  }
  if (existing !== undefined && options.dryRun !== true) return driveGoal(ctx, existing, options);
  // What the user typed is checked before the machine (git, then the engine): `goal run ""` names the empty text.
  if (existing === undefined) checkCreateInput(textOrId, flags, "run");
  refuseBrokenGatesConfig(ctx, existing !== undefined ? (await ctx.store.readGoal(existing)).repoRoot : requireGitCommit(ctx, flags.repo), options.gatesConfig);
  const engine = await resolveEngine(ctx, options);
  // Refused before the goal exists: a machine that cannot sandbox leaves nothing behind.
  const confined = { ...options, confinement: await runConfinement(ctx, options) };
  if (options.dryRun === true) return dryRunGoal(ctx, existing, textOrId, flags, engine, confined);
  const goal = await createGoalRecord(ctx, textOrId, flags);
  return drive(ctx, goal.id, engine, confined);
}

/**
 * `--dry-run`: what the run would do, recording nothing. A new goal is
 * created in a throwaway state dir (removed afterwards), so no goal is left
 * behind in the real one; an existing goal is only read. The controller's dry
 * run plans with the planner the run would use (the engine's plan session
 * when the engine offers one: it reads the repository and writes nothing to it).
 */
async function dryRunGoal(ctx: Context, existing: string | undefined, text: string, flags: RunFlags, engine: EngineProvider, options: DriveOptions): Promise<number> {
  if (existing !== undefined) return drive(ctx, existing, engine, options);
  const root = mkdtempSync(path.join(os.tmpdir(), "omk-dry-run-"));
  try {
    const dryCtx: Context = { ...ctx, store: openStore({ root }) };
    const goal = await createGoalRecord(dryCtx, text, flags);
    return await drive(dryCtx, goal.id, engine, { ...options, throwaway: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** What `omk goal create` makes: a lowercase ULID (26 Crockford base32 characters). Any other word is goal text. */
const GOAL_ID_SHAPE = /^[0-9a-hjkmnp-tv-z]{26}$/u;

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
  checkCreateInput(text, flags, "plan");
  refuseBrokenGatesConfig(ctx, requireGitCommit(ctx, flags.repo), options.gatesConfig);
  const engine = await resolveEngine(ctx, options, { optional: true });
  const confinement = await runConfinement(ctx, options);
  const goal = await createGoalRecord(ctx, text, flags);
  const code = await drive(ctx, goal.id, engine, { ...options, confinement });
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
  lines.push(`next: ${printable(`omk goal run ${goal.id}`)}`);
  say(`${lines.map(terminalSafe).join("\n")}\n`);
  return code;
}
