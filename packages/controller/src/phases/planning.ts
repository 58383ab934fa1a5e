/**
 * Planning: the engine planner when the engine offers planning, else the
 * deterministic one; plan artifacts under plan/, plan_recorded and the task
 * graph in one write. Skipped when the plan is recorded already.
 */
import path from "node:path";
import { type AskPlan, createPlanner, DEFAULT_TASK_BUDGETS, renderArtifacts, planRecordedEvent, writePlanArtifacts } from "@omk/planner";
import { oracleHash } from "@omk/oracle";
import type { TaskBudget, TaskGraph, TaskRole } from "@omk/state";
import { scopeFromPaths } from "@omk/wire";
import type { RunContext } from "../context.js";
import { runSession } from "../internal/run-deps.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { endWithFailure } from "../outcome.js";
import type { RunGoalResult } from "../types.js";
import { endBlocked, prepare } from "./intake.js";

/** Task caps fitted to the goal's budget: a task may use most of what the goal has left (the rest is kept for verification). */
export function taskBudgets(ctx: RunContext): Partial<Record<TaskRole, TaskBudget>> {
  const limits = ctx.goal.budget.limits;
  const fit = (value: number, limit: number | null, min: number) => (limit === null ? value : Math.max(min, Math.min(value, Math.floor(limit * 0.85))));
  const out: Partial<Record<TaskRole, TaskBudget>> = {};
  for (const [role, budget] of Object.entries(DEFAULT_TASK_BUDGETS) as [TaskRole, TaskBudget][]) {
    out[role] = {
      timeMs: fit(budget.timeMs, limits.timeMs, 1000),
      tokens: fit(budget.tokens, limits.tokens, 1),
      usd: limits.usd === null ? budget.usd : Math.max(0.01, Math.min(budget.usd, Math.round(limits.usd * 85) / 100)),
    };
  }
  return out;
}

/** An engine's plan may ask for more than the goal has: each task's caps are cut to what the goal's budget allows. */
function fitGraph(ctx: RunContext, graph: TaskGraph): TaskGraph {
  const caps = taskBudgets(ctx);
  return {
    ...graph,
    tasks: graph.tasks.map((t) => {
      const cap = caps[t.role];
      if (cap === undefined) return t;
      return { ...t, budget: { timeMs: Math.min(t.budget.timeMs, cap.timeMs), tokens: Math.min(t.budget.tokens, cap.tokens), usd: Math.min(t.budget.usd, cap.usd) } };
    }),
  };
}

/** The port the engine planner asks through: one read-only engine session per answer. */
function askPlanFor(ctx: RunContext): AskPlan {
  return async (prompt, { attempt }) => {
    const outcome = await runSession({
      provider: ctx.engine,
      purpose: { kind: "plan", round: ctx.round },
      cwd: ctx.repo,
      runDir: path.join(ctx.goalDir, "plan", "sessions", String(attempt)),
      prompt,
      scope: scopeFromPaths({ write: [] }),
      env: ctx.env,
      secrets: ctx.secrets,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    await ctx.recordSpend("plan", outcome.spend);
    if (!outcome.ok) throw new Error(`${outcome.problem.message} (fix: ${outcome.problem.fix})`);
    return outcome.text;
  };
}

export async function planningPhase(ctx: RunContext): Promise<RunGoalResult | null> {
  await enterPhase(ctx, "planning");
  if (ctx.goal.plan !== undefined && ctx.goal.taskGraph !== null) {
    finishPhase(ctx, "planning", "skipped", "the plan is recorded already");
    return null;
  }
  const prep = prepare(ctx);
  if ("blocked" in prep) return endBlocked(ctx, prep);
  if (prep.oracle.status === "blocked") {
    finishPhase(ctx, "planning", "failed", "the oracle cannot be formed");
    return endBlocked(ctx, { blocked: true, questions: prep.oracle.questions, message: `no check can prove this goal yet: ${prep.oracle.reasons.map((r) => r.message).join("; ")}` });
  }
  const oracle = prep.oracle.oracle;
  const planner = ctx.engine.offers({ kind: "plan", round: ctx.round }) ? createPlanner({ askPlan: askPlanFor(ctx) }) : createPlanner();
  let planned: Awaited<ReturnType<typeof planner.plan>>;
  try {
    planned = await planner.plan({ intake: prep.intake, inspection: prep.inspection, gates: prep.gates, oracle, budgets: taskBudgets(ctx) });
  } catch (cause) {
    finishPhase(ctx, "planning", "failed");
    return endWithFailure(ctx, "failed_infra", { code: "infra_error", message: `planning failed: ${(cause as Error).message}` });
  }
  if (!planned.ok) {
    finishPhase(ctx, "planning", "failed", planned.error.message);
    return endWithFailure(ctx, "failed_infra", { code: "infra_error", message: `no valid plan: ${planned.error.message}` });
  }
  const { attempts } = planned.value;
  const plan = { ...planned.value.plan, graph: fitGraph(ctx, planned.value.plan.graph) };
  const written = writePlanArtifacts(ctx.goalDir, renderArtifacts(plan, oracle, { oracleHash: oracleHash(oracle) }));
  const recorded = await ctx.append([
    planRecordedEvent(plan, written, attempts, ctx.actor),
    { type: "task_graph_set", actor: ctx.actor, data: { graph: plan.graph } },
  ]);
  if (!recorded.ok) throw new Error(`recording the plan: ${recorded.error.message}`);
  finishPhase(ctx, "planning", "passed", `${plan.graph.tasks.length} tasks (${plan.strategy})`);
  return null;
}
