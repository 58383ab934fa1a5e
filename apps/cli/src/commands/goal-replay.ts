import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { statusLine } from "../render/goal.js";

export type ReplayOptions = { verify?: boolean; rebuild?: boolean; json?: boolean };

/** Fold events.jsonl from scratch; --verify compares with goal.json, --rebuild rewrites it. */
export async function goalReplay(ctx: Context, id: string | undefined, opts: ReplayOptions): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  if (opts.rebuild === true) await ctx.store.rebuildSnapshot(goalId);
  const report = await ctx.store.replay(goalId);
  const verified = report.differences.length === 0;
  if (opts.json === true) {
    printJson(ctx, { goalId, events: report.events.length, goal: report.goal, verified, differences: report.differences, tornTailBytes: report.tornTailBytes });
  } else {
    ctx.stdout(`replayed ${report.events.length} events of goal ${goalId}: ${statusLine(report.goal)}\n`);
    if (report.tornTailBytes > 0) ctx.stdout(`the log ends in ${report.tornTailBytes} torn bytes; the next write repairs them\n`);
    if (opts.verify === true || opts.rebuild === true) ctx.stdout(verified ? "verified: goal.json matches the events\n" : "");
  }
  if ((opts.verify === true || opts.rebuild === true) && !verified) {
    throw new CommandFailed(
      EXIT.notReady,
      `goal.json of ${goalId} does not match its events:\n  ${report.differences.join("\n  ")}`,
      `the events are the source of truth; rewrite the snapshot with omk goal replay ${goalId} --rebuild`,
    );
  }
  return EXIT.ok;
}
