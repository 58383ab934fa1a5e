/**
 * Engine problems only the user can fix, in the engine's own setup: a login or
 * an API key the model server refused, a --model the engine does not offer, a
 * protocol the installed engine does not speak. Retrying cannot help and
 * nothing is wrong with this machine (so not failed_infra, "see omk doctor"):
 * the goal ends blocked_on_external with the engine's own fix, and resumes
 * once the user applied it.
 */
import type { SessionProblem } from "./types.js";

const ENGINE_SETUP_PROBLEMS: ReadonlySet<string> = new Set(["engine_auth_required", "engine_model_not_offered", "engine_protocol_mismatch"]);

export function isEngineSetupProblem(code: string): boolean {
  return ENGINE_SETUP_PROBLEMS.has(code);
}

/** Thrown through a port that can only throw (the planner's askPlan) so the phase still sees the problem. */
export class EngineSetupFailure extends Error {
  readonly problem: SessionProblem;
  constructor(problem: SessionProblem) {
    super(`${problem.message} (fix: ${problem.fix})`);
    this.problem = problem;
  }
}

/** A session failure as an Error for such a port: typed when the user must fix the engine, plain otherwise. */
export function sessionFailure(problem: SessionProblem): Error {
  return isEngineSetupProblem(problem.code) ? new EngineSetupFailure(problem) : new Error(`${problem.message} (fix: ${problem.fix})`);
}

/** The flag a model or protocol fix names (the wire's fixes: `e.g. --model "m"`, `use --engine kimi`), else undefined. */
export function resumeFlagsOf(code: string, fix: string): string | undefined {
  if (code === "engine_model_not_offered") {
    // Only a model name safe in a shell as printed (no $, backquote or quote).
    const model = /--model "([\w.:/@+-]+)"/.exec(fix)?.[1];
    return model === undefined ? undefined : `--model "${model}"`;
  }
  if (code === "engine_protocol_mismatch") {
    const engine = /--engine ([A-Za-z0-9._-]+)/.exec(fix)?.[1];
    return engine === undefined ? undefined : `--engine ${engine}`;
  }
  return undefined;
}

/** How a task_failed message joins a problem's message and fix (task-runner). */
export const FIX_SEPARATOR = " — fix: ";

/** A task_failed message back into its message and fix (the fix is empty when the message has none). */
export function splitFix(message: string): { message: string; fix: string } {
  const at = message.lastIndexOf(FIX_SEPARATOR);
  return at < 0 ? { message, fix: "" } : { message: message.slice(0, at), fix: message.slice(at + FIX_SEPARATOR.length) };
}
