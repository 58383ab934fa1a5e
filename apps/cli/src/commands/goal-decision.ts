import { acceptGoal, rejectGoal } from "@omk/controller";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { terminalSafe } from "../render/safe.js";
import { CommandFailed, UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { shellWord } from "../invocation.js";

type DecisionFlags = { json?: boolean; change?: boolean };

/**
 * Problems of a decision are about the goal's state (still running, not
 * ready, decided otherwise already): the user's move, exit 2. Repeating the
 * recorded decision is a no-op that says so (exit 0).
 */
async function decide(
  ctx: Context,
  id: string | undefined,
  decision: "accepted" | "rejected",
  reason: string | undefined,
  opts: DecisionFlags,
): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  const input = { store: ctx.store, goalId, actor: "user", ...(opts.change === true ? { change: true } : {}) };
  const recorded = decision === "accepted" ? await acceptGoal(input) : await rejectGoal({ ...input, reason: reason ?? "" });
  if (!recorded.ok) throw new CommandFailed(EXIT.usage, recorded.error.message, recorded.error.fix);
  const { headCommit, branch, mergeCommand, unchanged, changedFrom } = recorded.value;
  if (opts.json === true) {
    printJson(ctx, recorded.value);
    return EXIT.ok;
  }
  const lines: string[] = [];
  if (unchanged) {
    lines.push(`goal ${goalId} is already ${decision}${recorded.value.reason === null ? "" : ` (${recorded.value.reason})`}; nothing was recorded`);
  } else if (decision === "accepted") {
    lines.push(
      `goal ${goalId} accepted at ${headCommit.slice(0, 12)} (${branch})${changedFrom === null ? "" : `, replacing the earlier ${changedFrom}`}; the base branch is unchanged`,
    );
  } else {
    lines.push(
      `goal ${goalId} rejected: ${reason}${changedFrom === null ? "" : ` (replacing the earlier ${changedFrom})`}`,
      `nothing was merged; ${branch} is kept for reference`,
    );
  }
  if (decision === "accepted") {
    const goal = await ctx.store.readGoal(goalId);
    lines.push(`next: cd ${shellWord(goal.repoRoot)} && ${mergeCommand ?? `git merge --ff-only ${branch}`}`);
  }
  ctx.stdout(`${lines.map(terminalSafe).join("\n")}\n`);
  return EXIT.ok;
}

/** `omk goal accept [id] [--change]`: a ready goal only; records decision_recorded; never writes to the base branch. */
export function goalAccept(ctx: Context, id: string | undefined, opts: DecisionFlags): Promise<number> {
  return decide(ctx, id, "accepted", undefined, opts);
}

/** `omk goal reject [id] --reason T [--change]`: records the rejection and why. */
export function goalReject(ctx: Context, id: string | undefined, opts: DecisionFlags & { reason?: string }): Promise<number> {
  if (opts.reason === undefined || opts.reason.trim() === "")
    throw new UsageError("reject needs a reason", 'pass --reason "<why the result is not acceptable>"');
  return decide(ctx, id, "rejected", opts.reason.trim(), opts);
}
