/** Oracle: freeze the criteria the plan was built on, write oracle.json, record oracle_frozen. Skipped once frozen. */
import { freeze, oracleEvent, readOracleFile, writeOracleFile } from "@omk/oracle";
import type { FrozenOracle } from "@omk/state";
import type { RunContext } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { endWithFailure } from "../outcome.js";
import type { RunGoalResult } from "../types.js";
import { endBlocked, prepare } from "./intake.js";

/** The frozen oracle in force: oracle.json, checked against its hash and the log. */
export async function frozenOracle(ctx: RunContext): Promise<FrozenOracle> {
  const read = readOracleFile(ctx.goalDir);
  if (read.ok && read.value.hash === ctx.goal.oracle?.hash) return read.value;
  // oracle.json lost or stale (a crash between the event and the file): rebuild it from the event.
  const events = await ctx.store.readEvents(ctx.goalId);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if ((e?.type === "oracle_frozen" || e?.type === "oracle_revised") && e.data.hash === ctx.goal.oracle?.hash) {
      const frozen = freeze(e.data.oracle);
      if (frozen.ok && frozen.value.hash === e.data.hash) {
        writeOracleFile(ctx.goalDir, frozen.value);
        return frozen.value;
      }
    }
  }
  throw new Error(`the frozen oracle ${ctx.goal.oracle?.hash ?? "(none)"} is neither in oracle.json nor in the log`);
}

export async function oraclePhase(ctx: RunContext): Promise<RunGoalResult | null> {
  await enterPhase(ctx, "oracle");
  if (ctx.goal.oracle !== undefined) {
    await frozenOracle(ctx);
    finishPhase(ctx, "oracle", "skipped", `frozen already (${ctx.goal.oracle.hash.slice(0, 12)})`);
    return null;
  }
  const prep = prepare(ctx);
  if ("blocked" in prep) return endBlocked(ctx, prep);
  if (prep.oracle.status === "blocked") {
    return endBlocked(ctx, { blocked: true, questions: prep.oracle.questions, message: prep.oracle.reasons.map((r) => r.message).join("; ") });
  }
  const frozen = freeze(prep.oracle.oracle);
  if (!frozen.ok) {
    finishPhase(ctx, "oracle", "failed", frozen.error.message);
    return endWithFailure(ctx, "failed_infra", { code: "infra_error", message: frozen.error.message });
  }
  writeOracleFile(ctx.goalDir, frozen.value);
  const recorded = await ctx.append([oracleEvent(frozen.value, ctx.actor)]);
  if (!recorded.ok) throw new Error(`recording the oracle: ${recorded.error.message}`);
  finishPhase(ctx, "oracle", "passed", `${frozen.value.oracle.criteria.length} criteria, ${frozen.value.hash.slice(0, 12)}`);
  return null;
}
