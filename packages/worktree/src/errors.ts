/**
 * Errors of @omk/worktree. Expected failures (a conflict, a dirty worktree,
 * a protected branch, commits not yet kept) are returned as values
 * `{ ok: false, error }` whose `code` names the kind; the classes here are
 * thrown only for broken environments (git missing, a repository git cannot
 * read) and bugs.
 */
import { OmkError, type Problem, problem } from "@omk/core";

/** A git command failed where no failure was expected. */
export class GitCommandError extends OmkError {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly exitCode: number;
  readonly stderr: string;

  constructor(args: readonly string[], cwd: string, exitCode: number, stderr: string, cause?: unknown) {
    super("OMK_WORKTREE_GIT", `git ${args.join(" ")} failed in ${cwd} (exit ${exitCode}): ${stderr}`, {
      cause,
      fix: "check that git (>= 2.38) is installed and that the repository is readable; run the command by hand to see git's own message",
    });
    this.args = args;
    this.cwd = cwd;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The shape every error value of this package has (a stable code, what happened, how to fix it): @omk/core's. */
export { type Problem, problem };

/** Bad arguments: an unsafe id, a path that is not a directory, a malformed list. */
export type InvalidInput = Problem<"invalid_input">;
/** The function would create, move or delete a protected branch (the base branch, main, ...) or a ref outside OMK's namespace. */
export type ProtectedRef = Problem<"protected_branch", { readonly ref: string }>;
/** A ref moved under us (another process updated it between our read and our compare-and-swap write). */
export type ConcurrentUpdate = Problem<"concurrent_update", { readonly ref: string }>;
/** The task branch does not exist. */
export type MissingBranch = Problem<"missing_branch", { readonly branch: string }>;
/** Commits that no kept ref reaches; removing them would lose work. */
export type UnkeptCommits = Problem<"unkept_commits", { readonly head: string; readonly commits: readonly string[] }>;
/** A scratch clone's branch could not be brought back into the main repository (fast-forward only). */
export type SyncFailed = Problem<"sync_failed", { readonly branch: string; readonly detail: string }>;

export function invalidInput(message: string, fix: string): InvalidInput {
  return problem("invalid_input", message, fix);
}
