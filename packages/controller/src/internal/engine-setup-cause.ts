/**
 * failure.json's cause when the engine's own setup failed (a login, a model,
 * a protocol: @omk/sessions' engine-setup.ts tells which problems those are).
 */
import type { FailureCause } from "@omk/state";
import { resumeFlagsOf } from "@omk/sessions";
import type { GoalRun } from "../context.js";
import type { ControllerProblem } from "../types.js";

/**
 * failure.json's cause (engine_setup): what the engine said, its fix in
 * `details.fix` (resumeAdvice shows it), and in `details.resumeFlags` the
 * flag the fix names (`--model "<an offered model>"`, `--engine kimi`), so the
 * printed resume command works as printed: resume remembers the model and the
 * engine, and without the flag it would repeat the failure.
 */
export function engineSetupCause(ctx: GoalRun, where: string, problem: ControllerProblem): FailureCause {
  const fix = ctx.redactor.redact(problem.fix);
  const flags = resumeFlagsOf(problem.code, fix);
  return {
    code: "engine_setup",
    message: ctx.redactor.redact(`${where}: ${problem.message}`),
    details: { engine: ctx.engine.name, problem: problem.code, fix, ...(flags === undefined ? {} : { resumeFlags: flags }) },
  };
}
