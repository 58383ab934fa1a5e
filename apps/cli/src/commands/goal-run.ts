import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineProvider } from "@omk/sessions";
import { readOracleFile } from "@omk/oracle";
import { idProblem, openStore } from "@omk/state";
import { type Context, resolveGoalId } from "../context.js";
import { type EngineChoice, resolveEngine } from "../engine.js";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { planText } from "../render/plan.js";
import { type DriveOptions, refuseBrokenGatesConfig, runConfinement } from "./drive-setup.js";
import { drive, driveGoal } from "./drive.js";
import { type CreateOptions, checkCreateInput, createGoalRecord, requireGitCommit } from "./goal-create.js";

/** What commander hands the run commands (strings, before parsing). */
export type RunFlags = CreateOptions &
  EngineChoice & { untilReady?: boolean; maxRounds?: string; dryRun?: boolean; plain?: boolean; gates?: string; new?: boolean; unconfined?: boolean };

export function parseMaxRounds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 20)
    throw new UsageError(`--max-rounds ${JSON.stringify(value)} must be a whole number from 1 to 20`, "use e.g. --max-rounds 3");
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
async function dryRunGoal(
  ctx: Context,
  existing: string | undefined,
  text: string,
  flags: RunFlags,
  engine: EngineProvider,
  options: DriveOptions,
): Promise<number> {
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
  const oracle = readOracleFile(ctx.store.paths(goal.id).dir);
  say(planText(await ctx.store.readGoal(goal.id), oracle.ok ? oracle.value : undefined));
  return code;
}
