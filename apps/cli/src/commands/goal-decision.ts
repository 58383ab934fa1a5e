import { acceptGoal, rejectGoal } from "@omk/controller";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** Problems of a decision are about the goal's state (not ready, already decided): the user's move, exit 2. */
async function decide(ctx: Context, id: string | undefined, decision: "accepted" | "rejected", reason: string | undefined, opts: { json?: boolean }): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  const recorded =
    decision === "accepted" ? await acceptGoal({ store: ctx.store, goalId, actor: "user" }) : await rejectGoal({ store: ctx.store, goalId, actor: "user", reason: reason ?? "" });
  if (!recorded.ok) throw new CommandFailed(EXIT.usage, recorded.error.message, recorded.error.fix);
  const { headCommit, branch, mergeCommand } = recorded.value;
  if (opts.json === true) {
    printJson(ctx, { ...recorded.value, reason: reason ?? null });
    return EXIT.ok;
  }
  if (decision === "accepted") {
    const goal = await ctx.store.readGoal(goalId);
    ctx.stdout(`goal ${goalId} accepted at ${headCommit.slice(0, 12)} (${branch}); the base branch is unchanged\nnext: cd ${goal.repoRoot} && ${mergeCommand ?? `git merge --ff-only ${branch}`}\n`);
  } else {
    ctx.stdout(`goal ${goalId} rejected: ${reason}\nnothing was merged; ${branch} is kept for reference\n`);
  }
  return EXIT.ok;
}

/** `omk goal accept [id]`: a ready goal only; records decision_recorded; never writes to the base branch. */
export function goalAccept(ctx: Context, id: string | undefined, opts: { json?: boolean }): Promise<number> {
  return decide(ctx, id, "accepted", undefined, opts);
}

/** `omk goal reject [id] --reason T`: records the rejection and why. */
export function goalReject(ctx: Context, id: string | undefined, opts: { json?: boolean; reason?: string }): Promise<number> {
  if (opts.reason === undefined || opts.reason.trim() === "") throw new UsageError("reject needs a reason", 'pass --reason "<why the result is not acceptable>"');
  return decide(ctx, id, "rejected", opts.reason.trim(), opts);
}
