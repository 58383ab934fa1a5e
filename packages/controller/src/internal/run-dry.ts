/** --dry-run: intake, the oracle and the deterministic plan in memory; nothing is written, nothing runs. */
import { createPlanner } from "@omk/planner";
import type { RunContext } from "../context.js";
import { ending } from "../outcome.js";
import { prepare } from "../phases/intake.js";
import { taskBudgets } from "../phases/planning.js";
import type { RunGoalResult } from "../types.js";

export async function dryRun(ctx: RunContext): Promise<RunGoalResult> {
  const prep = prepare(ctx);
  if ("blocked" in prep) {
    for (const q of prep.questions) ctx.emit({ type: "note", level: "warn", message: `question: ${q}` });
    return ending(ctx, ctx.goal.status, null, `dry run: the goal would block on a person: ${prep.message}`);
  }
  if (prep.oracle.status === "blocked") {
    for (const q of prep.oracle.questions) ctx.emit({ type: "note", level: "warn", message: `question: ${q}` });
    return ending(ctx, ctx.goal.status, null, "dry run: no oracle can be formed yet");
  }
  const oracle = prep.oracle.oracle;
  for (const c of oracle.criteria) ctx.emit({ type: "note", level: "info", message: `criterion ${c.id} (${c.kind}): ${c.description}` });
  const planned = await createPlanner().plan({ intake: prep.intake, inspection: prep.inspection, gates: prep.gates, oracle, budgets: taskBudgets(ctx) });
  if (!planned.ok) return ending(ctx, ctx.goal.status, null, `dry run: no valid plan: ${planned.error.message}`);
  const tasks = planned.value.plan.graph.tasks;
  for (const t of tasks) ctx.emit({ type: "note", level: "info", message: `task ${t.id} (${t.role}): ${t.title}; writes ${t.writes.join(", ") || "nothing"}` });
  return ending(ctx, ctx.goal.status, null, `dry run: ${tasks.length} tasks, ${oracle.criteria.length} criteria (${prep.intake.goalClass}); nothing was run or written`);
}
