import { readFileSync } from "node:fs";
import { budgetReport, FailureSchema, type Goal, GoalNotFoundError, ProofSchema, readControllerLock, readFailureAdvice } from "@omk/state";
import { type ShowFormat, parseFormat } from "../args.js";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { EXIT, exitCodeForStatus } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { budgetLines, goalMarkdown, goalText, listRow } from "../render/goal.js";
import { terminalSafe } from "../render/safe.js";
import { type ResumeAdvice, statusSummary, summaryText } from "../render/summary.js";

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
  if (opts.json === true)
    printJson(
      ctx,
      goals.map((g) => ({ id: g.id, status: g.status, phase: g.phase, createdAt: g.createdAt, text: g.normalizedText })),
    );
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

/** failure.json's resume advice, when the goal ended other than ready and the file reads. */
function failureResume(ctx: Context, goal: Goal): ResumeAdvice | undefined {
  if (goal.outcome?.file !== "failure.json") return undefined;
  return readFailureAdvice(ctx.store.paths(goal.id).failure)?.resume;
}

/**
 * What `status --json` and `show --format json` print (the same object): the
 * goal snapshot plus `budgetReport`, `controller`, `dir` and `summary` (the
 * short summary's facts, StatusSummarySchema). docs/cli.md.
 */
async function readForShow(ctx: Context, id: string | undefined) {
  const goalId = await resolveGoalId(ctx, id);
  const goal = await openForRead(ctx, goalId);
  const now = ctx.now();
  const report = budgetReport(goal, now);
  const lock = await readControllerLock(ctx.store, goalId);
  const paths = ctx.store.paths(goalId);
  const summary = statusSummary(goal, lock, await ctx.store.tailEvents(goalId), now, failureResume(ctx, goal));
  return { goal, report, lock, summary, now, dir: paths.dir, json: { ...goal, budgetReport: report, controller: lock ?? null, dir: paths.dir, summary } };
}

/** `omk goal status`: a short live summary (phase, round, task counts, budget, what is happening, one next step). */
export async function goalStatus(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  const read = await readForShow(ctx, id);
  if (opts.json === true) printJson(ctx, read.json);
  else ctx.stdout(summaryText(read.goal, read.summary, read.report, read.lock, read.now));
  return EXIT.ok;
}

/** `omk goal show`: the whole record, as text, JSON or Markdown. */
export async function goalShow(ctx: Context, id: string | undefined, opts: { format?: string; json?: boolean }): Promise<number> {
  const format: ShowFormat = opts.json === true ? "json" : parseFormat(opts.format ?? "text");
  const read = await readForShow(ctx, id);
  if (format === "json") printJson(ctx, read.json);
  else if (format === "md") ctx.stdout(goalMarkdown(read.goal, read.report));
  else ctx.stdout(goalText(read.goal, read.report, read.lock, read.dir));
  return EXIT.ok;
}

export async function goalBudget(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  const goal = await ctx.store.readGoal(goalId);
  const report = budgetReport(goal, ctx.now());
  if (opts.json === true) printJson(ctx, { goalId, status: goal.status, maxAgents: goal.budget.maxAgents, extensions: goal.budget.extensions, ...report });
  else {
    ctx.stdout(`budget of goal ${goalId} (${goal.status})\n${budgetLines(report).join("\n")}\n`);
    if (report.exhausted.length > 0)
      ctx.stdout(`exhausted: ${report.exhausted.join(", ")}; extend with ${printable(`omk goal budget-add ${goalId}`)} --time|--tokens|--usd\n`);
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
  const isProof = goal.outcome.file === "proof.json";
  const raw: unknown = JSON.parse(readFileSync(file, "utf8"));
  const parsed = (isProof ? ProofSchema : FailureSchema).safeParse(raw);
  if (opts.json === true) printJson(ctx, raw);
  else {
    ctx.stdout(`${isProof ? "proof" : "failure"} of goal ${goalId}: ${goal.status}\nfile: ${file}\n`);
    if (parsed.success && "cause" in parsed.data) {
      ctx.stdout(`${terminalSafe(`cause: ${parsed.data.cause.code}: ${parsed.data.cause.message}`)}\n`);
      ctx.stdout(`${terminalSafe(`next: ${printable(parsed.data.resume.command ?? parsed.data.resume.hint)}`)}\n`);
    }
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.stderr(
      `omk: ${file} is not a valid ${isProof ? "proof" : "failure"} record (${issue?.path.join(".") || "top level"}: ${issue?.message}); fix: restore the file OMK wrote, whose sha256 the goal log records in outcome_recorded\n`,
    );
  }
  return exitCodeForStatus(goal.status);
}
