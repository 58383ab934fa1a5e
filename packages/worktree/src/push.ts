/**
 * pushBranch: push one of OMK's branches (a task's or the integration branch)
 * to a named remote, for pull requests later. Never with force: the refspec
 * has no `+` and no --force or --force-with-lease is ever passed, so a remote
 * branch that moved is a `push_rejected` value. Only `omk/...` branches are
 * pushed, and never a protected or base branch. The user's pre-push hook
 * runs (it guards what leaves the machine).
 */
import { ok, type Result } from "@omk/state";
import { GitError, simpleGit } from "simple-git";
import { type MissingBranch, type Problem, type ProtectedRef, problem } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { gitEnv } from "./internal/git.js";
import { resolveCommit } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";
import { protectedBranchReason, type RefPolicy } from "./policy.js";

export type PushBranchOptions = {
  readonly repo: string;
  /** A configured remote's name (e.g. "origin"). */
  readonly remote: string;
  /** An OMK branch: `omk/<goal>/<task>` or `omk/<goal>/integration`. */
  readonly branch: string;
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
};

export type PushBranchError =
  | NotARepository
  | ProtectedRef
  | MissingBranch
  | Problem<"not_omk_branch", { readonly branch: string }>
  | Problem<"remote_not_found", { readonly remote: string; readonly remotes: readonly string[] }>
  | Problem<"push_rejected", { readonly remote: string; readonly branch: string; readonly detail: string }>;

/**
 * simple-git refuses, by default, environment variables that make git run
 * other programs (GIT_SSH_COMMAND, GIT_ASKPASS, EDITOR, GIT_CONFIG_GLOBAL, ...).
 * Here the environment is the user's own and a push needs it (ssh agent,
 * credential prompts, their config); the arguments stay fixed by OMK (a
 * configured remote's name, an omk/ branch), so only these env-borne
 * categories are allowed, never unsafe options or config given as arguments.
 */
const USER_ENVIRONMENT = {
  allowUnsafeAskPass: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeEditor: true,
  allowUnsafeGitProxy: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
};

export type Pushed = { readonly remote: string; readonly branch: string; readonly commit: string; readonly upToDate: boolean };

export async function pushBranch(options: PushBranchOptions): Promise<Result<Pushed, PushBranchError>> {
  const { remote, branch } = options;
  if (!branch.startsWith("omk/")) {
    return { ok: false, error: problem("not_omk_branch", `refusing to push ${branch}: OMK pushes only its own omk/... branches`, "push other branches yourself", { branch }) };
  }
  const reason = protectedBranchReason(branch, options.policy);
  if (reason !== undefined) {
    return { ok: false, error: problem("protected_branch", `refusing to push ${branch}: ${reason}`, "push it yourself if you mean to", { ref: `refs/heads/${branch}` }) };
  }
  const repo = await openRepo(options.repo);
  if (!repo.ok) return repo;
  const root = repo.value.root;
  const git = simpleGit({ baseDir: root, unsafe: USER_ENVIRONMENT }).env(gitEnv());
  const remotes = (await git.getRemotes()).map((r) => r.name);
  if (!remotes.includes(remote)) {
    return {
      ok: false,
      error: problem("remote_not_found", `no remote named ${JSON.stringify(remote)} (have: ${remotes.join(", ") || "none"})`, "add it with `git remote add` or name another", { remote, remotes }),
    };
  }
  const ref = `refs/heads/${branch}`;
  const commit = await resolveCommit(root, ref);
  if (commit === null) return { ok: false, error: problem("missing_branch", `there is no branch ${branch} to push`, "integrate or capture first", { branch }) };
  try {
    const result = await git.push(remote, `${ref}:${ref}`, ["--porcelain"]);
    const upToDate = result.pushed.length > 0 && result.pushed.every((p) => p.alreadyUpdated);
    emit(options.onEvent, { type: "branch_pushed", remote, branch, commit });
    return ok({ remote, branch, commit, upToDate });
  } catch (cause) {
    if (!(cause instanceof GitError)) throw cause;
    const detail = cause.message.trim();
    return {
      ok: false,
      error: problem("push_rejected", `${remote} refused ${branch}: ${detail}`, "the remote branch moved or a hook refused; fetch and look, OMK never force-pushes", { remote, branch, detail }),
    };
  }
}
