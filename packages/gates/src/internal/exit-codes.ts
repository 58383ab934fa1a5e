import { GatesAbortedError, type GatesError, GatesGitError } from "../errors.js";

/**
 * Exit codes of omk-gates (docs/cli.md, "Exit codes", has the one table for
 * omk and omk-gates; the numbers mean the same where both have them):
 * 0 every required gate passed; 1 a required gate did not pass (compare: newly
 * fails); 2 usage: bad flags, a broken config, nothing detected, a ref that
 * names no commit, no git repository (or no commit) where one is needed;
 * 6 the environment failed (git could not add the base worktree); 70 a bug;
 * 130 interrupted (omk says 7, cancelled: a signal's conventional 128+2 is
 * what CI runners expect from a standalone tool).
 */
export const GATES_EXIT = { ok: 0, failed: 1, usage: 2, infra: 6, internal: 70, interrupted: 130 } as const;

/** The exit code of a GatesError (the table above). */
export function gatesExitCode(error: GatesError): number {
  if (error instanceof GatesAbortedError) return GATES_EXIT.interrupted;
  if (error instanceof GatesGitError) return error.reason === "git_failed" ? GATES_EXIT.infra : GATES_EXIT.usage;
  if (error.code === "OMK_GATES_USAGE" || error.code === "OMK_GATES_CONFIG" || error.code === "OMK_GATES_NOTHING_DETECTED") return GATES_EXIT.usage;
  return GATES_EXIT.failed;
}
