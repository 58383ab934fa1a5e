/**
 * The cause of a goal whose model never gave a valid answer (plan, review,
 * follow-ups): the answers were read (narration ignored) and each was
 * rejected for a named reason. Not an environment problem: another model or
 * engine may answer. The goal ends blocked_on_external, which resumes.
 */
import type { FailureCause } from "@omk/state";
import type { GoalRun } from "../context.js";

const ANSWER_INVALID_FIX = "try another model (--model) or another engine (--engine), then resume: omk goal resume <id> --model <model> (or --engine <engine>)";

export function engineAnswerInvalid(ctx: GoalRun, what: "plan" | "review" | "follow-ups", attempts: number, lastErrors: readonly string[]): FailureCause {
  const said = lastErrors.slice(0, 5).map((e) => ctx.redactor.redact(e));
  return {
    code: "engine_answer_invalid",
    message: `the ${ctx.engine.name} engine's model gave no valid ${what} answer in ${attempts} attempt(s); the last was rejected: ${said.join("; ") || "no reason recorded"}`,
    details: { engine: ctx.engine.name, answer: what, attempts, lastErrors: said, fix: ANSWER_INVALID_FIX.replace("<id>", ctx.goalId) },
  };
}
