/**
 * --dry-run: intake, the oracle and the plan in memory; nothing is recorded
 * in the goal's log and nothing is written to the repository. The plan comes
 * from the planner the run would use: the engine's plan session when the
 * engine offers one (read-only: every write is refused; its run dir is a
 * throwaway temp dir, its spend is reported, not recorded), else the
 * deterministic planner.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AskPlan, createPlanner } from "@omk/planner";
import { scopeFromPaths } from "@omk/wire";
import type { GoalRun } from "../context.js";
import { ending } from "../internal/run-end.js";
import { readIntake, settleIntake } from "../phases/intake.js";
import type { RunGoalResult } from "../types.js";
import { pausedIfStopped } from "./stops.js";
import { EngineSetupFailure, sessionFailure } from "@omk/sessions";
import { capGraphToRoles } from "../internal/task-caps.js";
import { runSession } from "@omk/sessions";

/** What the dry run's plan sessions used (reported in a note; a dry run records nothing). */
type DrySpend = { sessions: number; tokens: number; usd: number | null };

/** The engine planner's port for a dry run: one read-only session per answer, in a throwaway run dir. */
function dryAskPlan(ctx: GoalRun, work: string, spent: DrySpend): AskPlan {
  return async (prompt, { attempt }) => {
    const outcome = await runSession({
      provider: ctx.engine,
      purpose: { kind: "plan", round: ctx.round },
      cwd: ctx.repo,
      runDir: path.join(work, String(attempt)),
      prompt,
      scope: scopeFromPaths({ write: [] }),
      env: ctx.env,
      secrets: ctx.secrets,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
    const t = outcome.spend.tokens;
    spent.sessions++;
    spent.tokens += t.input + t.cacheRead + t.cacheWrite + t.output;
    spent.usd = spent.usd === null || outcome.spend.usd === null ? null : spent.usd + outcome.spend.usd;
    if (!outcome.ok) throw sessionFailure(outcome.problem);
    return { text: outcome.text, final: outcome.final };
  };
}

/**
 * The result's status is the goal's own status when the run would go on
 * (the plan was formed), else the status the run would end with there:
 * blocked_on_human (ambiguous goal, no oracle), blocked_on_external (the
 * engine's model never gave a valid plan) or failed_infra (no plan otherwise).
 */
export async function dryRun(ctx: GoalRun): Promise<RunGoalResult> {
  // An unsure goal is put to the engine's intake session as the run would; the decision is not recorded.
  const settled = await settleIntake(ctx, { record: false });
  if ("cutShort" in settled) {
    const stop = await pausedIfStopped(ctx);
    if (stop !== null) return stop;
  }
  const prep = readIntake(ctx, "decision" in settled ? settled.decision : undefined);
  if ("blocked" in prep) {
    for (const q of prep.questions) ctx.emit({ type: "note", level: "warn", message: `question: ${q}` });
    return ending(ctx, "blocked_on_human", null, `dry run: the goal would block on a person: ${prep.message}`);
  }
  if (prep.oracle.status === "blocked") {
    for (const q of prep.oracle.questions) ctx.emit({ type: "note", level: "warn", message: `question: ${q}` });
    return ending(ctx, "blocked_on_human", null, "dry run: the goal would block on a person: no oracle can be formed yet");
  }
  const oracle = prep.oracle.oracle;
  for (const c of oracle.criteria) ctx.emit({ type: "note", level: "info", message: `criterion ${c.id} (${c.kind}): ${c.description}` });
  const byEngine = ctx.engine.offers({ kind: "plan", round: ctx.round });
  const spent: DrySpend = { sessions: 0, tokens: 0, usd: 0 };
  const work = mkdtempSync(path.join(os.tmpdir(), "omk-dry-plan-"));
  let planned: Awaited<ReturnType<ReturnType<typeof createPlanner>["plan"]>>;
  try {
    if (byEngine) {
      ctx.emit({
        type: "note",
        level: "info",
        message: `planning with ${ctx.engine.name}'s plan session, as the run would: the engine reads the repository and writes nothing to it`,
      });
    }
    const planner = byEngine ? createPlanner({ askPlan: dryAskPlan(ctx, work, spent) }) : createPlanner();
    planned = await planner.plan({ intake: prep.intake, inspection: prep.inspection, gates: prep.gates, oracle });
  } catch (cause) {
    if (ctx.signal?.aborted === true) return ending(ctx, ctx.goal.status, null, "dry run: interrupted");
    if (cause instanceof EngineSetupFailure) return ending(ctx, "blocked_on_external", null, `dry run: the engine needs the user: ${cause.message}`);
    return ending(ctx, "failed_infra", null, `dry run: planning failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (byEngine) {
    const usd = spent.usd === null ? "cost unknown" : `$${spent.usd.toFixed(2)}`;
    ctx.emit({
      type: "note",
      level: "info",
      message: `the plan session${spent.sessions === 1 ? "" : "s"} used ${spent.tokens} tokens (${usd}); not recorded against the goal's budget`,
    });
  }
  if (!planned.ok) {
    // As the run would end: a model that never answers validly is blocked_on_external (engine_answer_invalid), not an infrastructure failure.
    const status = planned.error.code === "engine_answers_rejected" ? "blocked_on_external" : "failed_infra";
    return ending(ctx, status, null, `dry run: no valid plan: ${planned.error.message}`);
  }
  // As the planning phase records it: each task capped at its role's default (execution fits the caps to what the goal has left).
  const tasks = capGraphToRoles(planned.value.plan.graph).tasks;
  for (const t of tasks) ctx.emit({ type: "note", level: "info", message: `task ${t.id} (${t.role}): ${t.title}; writes ${t.writes.join(", ") || "nothing"}` });
  return ending(
    ctx,
    ctx.goal.status,
    null,
    `dry run: ${tasks.length} tasks, ${oracle.criteria.length} criteria (${prep.intake.goalClass}, planned by ${byEngine ? `the ${ctx.engine.name} engine` : "the deterministic planner"}); nothing was run or written`,
  );
}
