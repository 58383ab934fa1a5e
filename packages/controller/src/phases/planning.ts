/**
 * Planning: the engine planner when the engine offers planning, else the
 * deterministic one; plan artifacts under plan/, plan_recorded and the task
 * graph in one write. Skipped when the plan is recorded already.
 */
import path from "node:path";
import type { FailureCause } from "@omk/state";
import { type AskPlan, createPlanner, type PlanRejected, renderArtifacts, planRecordedEvent, writePlanArtifacts } from "@omk/planner";
import { oracleHash } from "@omk/oracle";
import { scopeFromPaths } from "@omk/wire";
import type { GoalRun } from "../context.js";
import { engineAnswerInvalid } from "../internal/answer-invalid.js";
import { enterPhase, finishPhase } from "../internal/run-phase.js";
import { budgetMeter, sessionCap } from "../internal/session-budget.js";
import { blockedOnHuman, intakeOf } from "./intake.js";
import { end, next, type Step } from "./step.js";
import { knownSecretsIn, namedHits } from "@omk/sessions";
import { EngineSetupFailure, sessionFailure } from "@omk/sessions";
import { engineSetupCause } from "../internal/engine-setup-cause.js";
import { capGraphToRoles } from "../internal/task-caps.js";
import { runSession } from "@omk/sessions";

/** The port the engine planner asks through: one read-only engine session per answer. */
function askPlanFor(ctx: GoalRun): AskPlan {
  return async (prompt, { attempt }) => {
    const meter = budgetMeter(ctx, "plan");
    const outcome = await runSession({
      provider: ctx.engine,
      purpose: { kind: "plan", round: ctx.round },
      cwd: ctx.repo,
      runDir: path.join(ctx.goalDir, "plan", "sessions", String(attempt)),
      prompt,
      scope: scopeFromPaths({ write: [] }),
      env: ctx.env,
      secrets: ctx.secrets,
      signal: meter.signal,
      onUsage: meter.onUsage,
    });
    await meter.settle(outcome.spend);
    // The planner said a secret the run knows (its transcript has it redacted): named; the plan itself is checked before it is recorded.
    if (outcome.secretsInOutput.length > 0)
      ctx.emit({
        type: "note",
        level: "warn",
        message: `the plan session's output held the secret ${namedHits(outcome.secretsInOutput).join(", ")} (redacted from every file OMK writes); rotate it if the engine should not have it`,
      });
    await ctx.recordSessionSpend(`plan#${attempt}`, outcome.spend, sessionCap({ kind: "plan", round: ctx.round }));
    if (meter.stopped) throw new Error(`the plan session was stopped: ${meter.reason}`);
    if (!outcome.ok) throw sessionFailure(outcome.problem);
    return { text: outcome.text, final: outcome.final };
  };
}

/** The model never gave a valid plan: its answers were read and rejected, each for a named reason. Another model or engine may answer; the environment is fine. */
function answerInvalidCause(ctx: GoalRun, rejected: Extract<PlanRejected, { code: "engine_answers_rejected" }>): FailureCause {
  const last = rejected.attempts.at(-1)?.errors ?? [];
  return engineAnswerInvalid(ctx, "plan", rejected.attempts.length, last);
}

export async function planningPhase(ctx: GoalRun): Promise<Step> {
  await enterPhase(ctx, "planning");
  if (ctx.goal.plan !== undefined && ctx.goal.taskGraph !== null) {
    finishPhase(ctx, "planning", "skipped", "the plan is recorded already");
    return next("oracle");
  }
  const prep = intakeOf(ctx);
  if ("blocked" in prep) return end(blockedOnHuman(prep));
  if (prep.oracle.status === "blocked") {
    finishPhase(ctx, "planning", "failed", "the oracle cannot be formed");
    return end(
      blockedOnHuman({
        blocked: true,
        questions: prep.oracle.questions,
        message: `no check can prove this goal yet: ${prep.oracle.reasons.map((r) => r.message).join("; ")}`,
      }),
    );
  }
  const oracle = prep.oracle.oracle;
  const planner = ctx.engine.offers({ kind: "plan", round: ctx.round }) ? createPlanner({ askPlan: askPlanFor(ctx) }) : createPlanner();
  let planned: Awaited<ReturnType<typeof planner.plan>>;
  try {
    planned = await planner.plan({ intake: prep.intake, inspection: prep.inspection, gates: prep.gates, oracle });
  } catch (cause) {
    // Ctrl-C (or a pause/cancel by another process) during the plan session: the driver pauses the goal, it did not fail.
    // A login, a key, a model or a protocol only the user can fix: blocked on them, with the engine's fix, not an infrastructure failure.
    if (cause instanceof EngineSetupFailure)
      return end({ status: "blocked_on_external", cause: engineSetupCause(ctx, "planning", cause.problem), evidence: ["plan/sessions"], stoppable: true });
    return end({ status: "failed_infra", cause: { code: "infra_error", message: `planning failed: ${(cause as Error).message}` }, stoppable: true });
  }
  if (!planned.ok) {
    finishPhase(ctx, "planning", "failed", planned.error.message);
    if (planned.error.code === "engine_answers_rejected")
      return end({ status: "blocked_on_external", cause: answerInvalidCause(ctx, planned.error), evidence: ["plan/sessions"] });
    return end({ status: "failed_infra", cause: { code: "infra_error", message: `no valid plan: ${planned.error.message}` } });
  }
  // A plan holding a secret the run knows is never recorded (the log, task prompts and commit messages would carry it): the goal ends naming it.
  const leaked = knownSecretsIn(ctx.env, ctx.secrets, planned.value.plan);
  if (leaked.length > 0) {
    finishPhase(ctx, "planning", "failed", "the plan holds a secret");
    return end({
      status: "not_ready",
      cause: {
        code: "scope_violation",
        message: `the engine's plan holds the secret ${leaked.join(", ")} of the run's environment or engine configuration; the plan was not recorded and no task ran: rotate the secret and run the goal again`,
        details: { secrets: leaked, where: "plan" },
      },
      evidence: ["plan/sessions"],
    });
  }
  const { attempts } = planned.value;
  // The plan records the caps its tasks ask for (at most the role's default); the execution phase fits them to what the goal has left.
  const plan = { ...planned.value.plan, graph: capGraphToRoles(planned.value.plan.graph) };
  // The plan's files quote the engine's words: they pass through the run's redactor like every file OMK writes.
  const written = writePlanArtifacts(ctx.goalDir, ctx.redactor.redactDeep(renderArtifacts(plan, oracle, { oracleHash: oracleHash(oracle) })));
  const recorded = await ctx.append([
    planRecordedEvent(plan, written, attempts, ctx.actor),
    { type: "task_graph_set", actor: ctx.actor, data: { graph: plan.graph } },
  ]);
  if (!recorded.ok) throw new Error(`recording the plan: ${recorded.error.message}`);
  finishPhase(ctx, "planning", "passed", `${plan.graph.tasks.length} tasks (${plan.strategy})`);
  return next("oracle");
}
