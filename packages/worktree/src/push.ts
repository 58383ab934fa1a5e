/**
 * pushBranch: push one of OMK's branches (a task's or the integration branch)
 * to a named remote, for pull requests later. Never with force: the refspec
 * has no `+` and no --force or --force-with-lease is ever passed, so a remote
 * branch that moved is a `push_rejected` value. Only `omk/...` branches are
 * pushed, and never a protected or base branch. The user's pre-push hook
 * runs (it guards what leaves the machine).
 */
import { ok, type Result } from "@omk/core";
import { type MissingBranch, type Problem, type ProtectedRef, problem } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { git } from "./internal/git.js";
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
 * The push runs as the user's own git (@omk/git's `asUser`): the one command
 * OMK runs on the user's behalf towards a remote needs their ssh agent,
 * credential helper and config, and their pre-push hook guards what leaves
 * the machine. The arguments stay fixed by OMK (a configured remote's name,
 * an omk/ branch, no force).
 */
export type Pushed = { readonly remote: string; readonly branch: string; readonly commit: string; readonly upToDate: boolean };

export async function pushBranch(options: PushBranchOptions): Promise<Result<Pushed, PushBranchError>> {
  const { remote, branch } = options;
  if (!branch.startsWith("omk/")) {
    return {
      ok: false,
      error: problem("not_omk_branch", `refusing to push ${branch}: OMK pushes only its own omk/... branches`, "push other branches yourself", { branch }),
    };
  }
  const reason = protectedBranchReason(branch, options.policy);
  if (reason !== undefined) {
    return {
      ok: false,
      error: problem("protected_branch", `refusing to push ${branch}: ${reason}`, "push it yourself if you mean to", { ref: `refs/heads/${branch}` }),
    };
  }
  const repo = await openRepo(options.repo);
  if (!repo.ok) return repo;
  const root = repo.value.root;
  const remotes = (await git(root, ["remote"])).stdout.split("\n").filter((r) => r !== "");
  if (!remotes.includes(remote)) {
    return {
      ok: false,
      error: problem(
        "remote_not_found",
        `no remote named ${JSON.stringify(remote)} (have: ${remotes.join(", ") || "none"})`,
        "add it with `git remote add` or name another",
        { remote, remotes },
      ),
    };
  }
  const ref = `refs/heads/${branch}`;
  const commit = await resolveCommit(root, ref);
  if (commit === null) return { ok: false, error: problem("missing_branch", `there is no branch ${branch} to push`, "integrate or capture first", { branch }) };
  const pushed = await git(root, ["push", "--porcelain", "--", remote, `${ref}:${ref}`], { hooks: true, allow: [1, 128] });
  // --porcelain: one line per ref, "<flag>\t<from>:<to>\t<summary>"; "=" is up to date, "!" rejected.
  const line = pushed.stdout.split("\n").find((l) => l.endsWith(`\t${ref}:${ref}`) || l.includes(`\t${ref}:${ref}\t`));
  if (pushed.exitCode !== 0 || line === undefined || line.startsWith("!")) {
    const detail = [line, pushed.stderr.trim()].filter((t) => t !== undefined && t !== "").join("; ") || `exit ${pushed.exitCode}`;
    return {
      ok: false,
      error: problem(
        "push_rejected",
        `${remote} refused ${branch}: ${detail}`,
        "the remote branch moved or a hook refused; fetch and look, OMK never force-pushes",
        { remote, branch, detail },
      ),
    };
  }
  emit(options.onEvent, { type: "branch_pushed", remote, branch, commit });
  return ok({ remote, branch, commit, upToDate: line.startsWith("=") });
}
