/** Oracle: freeze the criteria the plan was built on, write oracle.json, record oracle_frozen. Skipped once frozen. */
import { freeze, oracleEvent, writeOracleFile } from "@omk/oracle";
import type { GoalRun } from "../context.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { frozenOracle } from "../internal/run-records.js";
import { blockedOnHuman, intakeOf } from "./intake.js";
import { end, next, type Step } from "./step.js";

export async function oraclePhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "oracle");
  if (ctx.goal.oracle !== undefined) {
    await frozenOracle(ctx);
    finishPhase(ctx, "oracle", "skipped", `frozen already (${ctx.goal.oracle.hash.slice(0, 12)})`);
    return next("baseline");
  }
  const prep = intakeOf(ctx);
  if ("blocked" in prep) return end(blockedOnHuman(prep));
  if (prep.oracle.status === "blocked") {
    return end(blockedOnHuman({ blocked: true, questions: prep.oracle.questions, message: prep.oracle.reasons.map((r) => r.message).join("; ") }));
  }
  const frozen = freeze(prep.oracle.oracle);
  if (!frozen.ok) {
    finishPhase(ctx, "oracle", "failed", frozen.error.message);
    return end({ status: "failed_infra", cause: { code: "infra_error", message: frozen.error.message } });
  }
  writeOracleFile(ctx.goalDir, frozen.value);
  const recorded = await ctx.append([oracleEvent(frozen.value, ctx.actor)]);
  if (!recorded.ok) throw new Error(`recording the oracle: ${recorded.error.message}`);
  finishPhase(ctx, "oracle", "passed", `${frozen.value.oracle.criteria.length} criteria, ${frozen.value.hash.slice(0, 12)}`);
  return next("baseline");
}
