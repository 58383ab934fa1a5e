import type { QuarantineReport, ReplayReport } from "@omk/state";
import { type Context, printJson, resolveGoalId } from "../context.js";
import { CommandFailed } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { statusLine } from "../render/goal.js";

export type ReplayOptions = { verify?: boolean; rebuild?: boolean; quarantine?: boolean; json?: boolean };

/** How far the log's chain was checked, in one line. */
function chainLine(chain: ReplayReport["chain"]): string {
  const parts = [`${chain.chainedLines} chained line(s)`];
  if (chain.unchainedLines > 0) parts.push(`${chain.unchainedLines} line(s) before the chain began (written by an older omk, not checked)`);
  parts.push(
    chain.chainedLines === 0
      ? "no MACs"
      : chain.macChecked
        ? `MACs checked with ${chain.keyFile}`
        : `MACs NOT checked: no key at ${chain.keyFile} on this machine`,
  );
  return `chain: ${parts.join("; ")}`;
}

/**
 * Fold events.jsonl from scratch, checking its hash chain and MACs (a broken
 * chain throws OMK_STATE_LOG_TAMPERED, exit 1); --verify compares with
 * goal.json, --rebuild rewrites it, --quarantine sets forged lines aside.
 */
export async function goalReplay(ctx: Context, id: string | undefined, opts: ReplayOptions): Promise<number> {
  const goalId = await resolveGoalId(ctx, id);
  let quarantined: QuarantineReport | undefined;
  if (opts.quarantine === true) {
    quarantined = await ctx.store.quarantineForgedTail(goalId);
    if (opts.json !== true) {
      ctx.stdout(
        quarantined === undefined
          ? "the log's chain is intact: nothing to set aside\n"
          : `set aside ${quarantined.droppedBytes} bytes from line ${quarantined.fromLine} (${quarantined.reason}) in ${quarantined.savedTo}; goal ${goalId} is ${quarantined.goal.status}\n`,
      );
    }
  }
  if (opts.rebuild === true) await ctx.store.rebuildSnapshot(goalId);
  const report = await ctx.store.replay(goalId);
  const verified = report.differences.length === 0;
  if (opts.json === true) {
    printJson(ctx, {
      goalId,
      events: report.events.length,
      goal: report.goal,
      verified,
      differences: report.differences,
      tornTailBytes: report.tornTailBytes,
      chain: report.chain,
      ...(opts.quarantine === true
        ? {
            quarantined:
              quarantined === undefined
                ? null
                : { fromLine: quarantined.fromLine, droppedBytes: quarantined.droppedBytes, savedTo: quarantined.savedTo, reason: quarantined.reason },
          }
        : {}),
    });
  } else {
    ctx.stdout(`replayed ${report.events.length} events of goal ${goalId}: ${statusLine(report.goal)}\n`);
    ctx.stdout(`${chainLine(report.chain)}\n`);
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
