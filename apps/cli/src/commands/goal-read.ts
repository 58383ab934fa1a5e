import { readFileSync } from "node:fs";
import { budgetReport, type Goal, GoalNotFoundError, readControllerLock } from "@omk/state";
import { type ShowFormat, parseFormat } from "../args.js";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { EXIT, exitCodeForStatus } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { budgetLines, goalMarkdown, goalText, listRow } from "../render/goal.js";

export async function goalList(ctx: Context, opts: { json?: boolean }): Promise<number> {
  const ids = await ctx.store.listGoalIds();
  const goals = [];
  for (const id of ids) {
    try {
      goals.push(await ctx.store.readGoal(id));
    } catch (error) {
      // One damaged goal must not hide the others; it is named on stderr.
      ctx.stderr(`omk: goal ${id} is unreadable: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  if (opts.json === true) printJson(ctx, goals.map((g) => ({ id: g.id, status: g.status, phase: g.phase, createdAt: g.createdAt, text: g.normalizedText })));
  else if (goals.length === 0) ctx.stdout(`no goals under ${ctx.store.root}\n`);
  else ctx.stdout(`${goals.map(listRow).join("\n")}\n`);
  return EXIT.ok;
}

/**
 * The goal after the next-open repairs (a crash's missing outcome file, a
 * goal.json behind the log, a dead controller's lock); where the state dir
 * cannot be written, the goal as read, with a note. Where the goal cannot be
 * read either, only the read's error is reported (one line, one fix).
 */
async function openForRead(ctx: Context, goalId: string): Promise<Goal> {
  try {
    return await ctx.store.openGoal(goalId);
  } catch (error) {
    if (error instanceof GoalNotFoundError) throw error;
    // A goal that cannot be read either (a forged or damaged log) fails with
    // the read's own error alone: the note is for a goal we can still show.
    const goal = await ctx.store.readGoal(goalId);
    ctx.stderr(`omk: goal ${goalId} was read without repairs: ${error instanceof Error ? error.message : String(error)}\n`);
    return goal;
  }
}

export async function goalStatus(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  return goalShow(ctx, id, { format: opts.json === true ? "json" : "text" });
}

export async function goalShow(ctx: Context, id: string | undefined, opts: { format?: string; json?: boolean }): Promise<number> {
  const format: ShowFormat = opts.json === true ? "json" : parseFormat(opts.format ?? "text");
  const goalId = await resolveGoalId(ctx, id);
  const goal = await openForRead(ctx, goalId);
  const report = budgetReport(goal, ctx.now());
  const lock = await readControllerLock(ctx.store, goalId);
  if (format === "json") printJson(ctx, { ...goal, budgetReport: report, controller: lock ?? null, dir: ctx.store.paths(goalId).dir });
  else if (format === "md") ctx.stdout(goalMarkdown(goal, report));
  else ctx.stdout(goalText(goal, report, lock, ctx.store.paths(goalId).dir));
  return EXIT.ok;
}

export async function goalBudget(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  const goal = await ctx.store.readGoal(goalId);
  const report = budgetReport(goal, ctx.now());
  if (opts.json === true) printJson(ctx, { goalId, status: goal.status, maxAgents: goal.budget.maxAgents, extensions: goal.budget.extensions, ...report });
  else {
    ctx.stdout(`budget of goal ${goalId} (${goal.status})\n${budgetLines(report).join("\n")}\n`);
    if (report.exhausted.length > 0) ctx.stdout(`exhausted: ${report.exhausted.join(", ")}; extend with ${printable(`omk goal budget-add ${goalId}`)} --time|--tokens|--usd\n`);
  }
  return EXIT.ok;
}

/** Print proof.json (ready) or failure.json (other terminal statuses); exit with the status's code. */
export async function goalProof(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  const goal = await openForRead(ctx, goalId);
  const paths = ctx.store.paths(goalId);
  if (goal.outcome === null) {
    const message = `goal ${goalId} is ${goal.status}: no proof or failure record yet`;
    if (opts.json === true) printJson(ctx, { goalId, status: goal.status, outcome: null });
    else ctx.stdout(`${message}\n`);
    return exitCodeForStatus(goal.status);
  }
  const file = goal.outcome.file === "proof.json" ? paths.proof : paths.failure;
  const record = JSON.parse(readFileSync(file, "utf8")) as { cause?: { code: string; message: string }; resume?: { command: string | null; hint: string } };
  if (opts.json === true) printJson(ctx, record);
  else {
    ctx.stdout(`${goal.outcome.file === "proof.json" ? "proof" : "failure"} of goal ${goalId}: ${goal.status}\nfile: ${file}\n`);
    if (record.cause !== undefined) ctx.stdout(`cause: ${record.cause.code}: ${record.cause.message}\n`);
    if (record.resume !== undefined) ctx.stdout(`next: ${printable(record.resume.command ?? record.resume.hint)}\n`);
  }
  return exitCodeForStatus(goal.status);
}
