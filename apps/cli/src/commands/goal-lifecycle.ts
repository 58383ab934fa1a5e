import { type Goal, requestCancel, requestPause } from "@omk/state";
import type { Result } from "@omk/core";
import { parseExtension } from "../args.js";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { printable } from "../invocation.js";
import { budgetLines } from "../render/goal.js";
import { budgetReport } from "@omk/state";

type Opts = { json?: boolean };

/** Report a state change, or turn its error value into the right exit code. */
function finish(ctx: Context, result: Result<Goal, { code: string; message: string; fix: string }>, verb: string, opts: Opts): number {
  if (!result.ok) {
    const code = result.error.code === "budget_exhausted" ? EXIT.needsMoreBudget : EXIT.usage;
    throw new CommandFailed(code, result.error.message, result.error.fix);
  }
  const goal = result.value;
  if (opts.json === true) printJson(ctx, goal);
  else ctx.stdout(`goal ${goal.id} ${verb}: now ${goal.status}\n`);
  return EXIT.ok;
}

export async function goalPause(ctx: Context, id: string | undefined, opts: Opts): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  return finish(ctx, await requestPause(ctx.store, goalId), "paused", opts);
}

export async function goalCancel(ctx: Context, id: string | undefined, opts: Opts & { reason?: string }): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  return finish(ctx, await requestCancel(ctx.store, goalId, "user", opts.reason), "cancelled", opts);
}

export async function goalAmend(ctx: Context, id: string | undefined, opts: Opts & { text?: string; answer?: string }): Promise<number> {
  if (opts.text === undefined && opts.answer === undefined)
    throw new UsageError("amend needs --text or --answer", 'pass --text "<new goal>" or --answer "<answer>"');
  const goalId = await resolveGoalId(ctx, id);
  const change = { ...(opts.text === undefined ? {} : { text: opts.text }), ...(opts.answer === undefined ? {} : { answer: opts.answer }) };
  return finish(ctx, await ctx.store.amend(goalId, change), "amended", opts);
}

export async function goalBudgetAdd(ctx: Context, id: string | undefined, opts: Opts & { time?: string; tokens?: string; usd?: string }): Promise<number> {
  const add = parseExtension(opts);
  const goalId = await resolveGoalId(ctx, id);
  const result = await ctx.store.extendBudget(goalId, add);
  if (!result.ok) throw new CommandFailed(EXIT.usage, result.error.message, result.error.fix);
  const goal = result.value;
  const report = budgetReport(goal, ctx.now());
  if (opts.json === true) printJson(ctx, { goalId, status: goal.status, ...report });
  else {
    ctx.stdout(`budget of goal ${goalId} extended\n${budgetLines(report).join("\n")}\n`);
    if (goal.status === "needs_more_budget") ctx.stdout(`next: ${printable(`omk goal resume ${goalId}`)}\n`);
  }
  return EXIT.ok;
}
