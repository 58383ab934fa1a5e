/**
 * Where a new goal starts: the git top level and HEAD of a folder (goal
 * create/run/plan), and a fresh repository with one commit (omk demo). Git
 * runs through @omk/git's runner (nothing planted in .git runs).
 */
import { git, gitSync } from "@omk/git";
import { err, ok, type Result } from "@omk/core";

/** The git top level and HEAD of `dir`, or undefined when it is not a git checkout (head null: no commit yet). */
export function repoHead(dir: string): { root: string; head: string | null } | undefined {
  const top = gitSync(dir, ["rev-parse", "--show-toplevel"]);
  if (top.exitCode !== 0) return undefined;
  const head = gitSync(dir, ["rev-parse", "--verify", "HEAD"]);
  // A repository with no commits yet has no HEAD.
  return { root: top.stdout.trim(), head: head.exitCode === 0 ? head.stdout.trim() : null };
}

/** A git step that failed: which command, where, and git's own words. */
export type InitRepoError = { readonly code: "git_failed"; readonly message: string };

/**
 * Make `dir` a git repository on branch `branch` with everything in it as one
 * commit (author and committer from `env`, e.g. a fixed identity); the commit's sha.
 */
export async function initRepoWithCommit(
  dir: string,
  options: { branch: string; message: string; env?: Readonly<Record<string, string>> },
): Promise<Result<string, InitRepoError>> {
  const steps = [
    ["init", "-q", "-b", options.branch],
    ["add", "-A"],
    ["commit", "-q", "-m", options.message],
    ["rev-parse", "HEAD"],
  ];
  let out = "";
  for (const args of steps) {
    const r = await git(dir, args, options.env === undefined ? {} : { env: { ...options.env } });
    if (r.exitCode !== 0) return err({ code: "git_failed", message: `git ${args.join(" ")} failed in ${dir}: ${r.stderr.trim()}` });
    out = r.stdout.trim();
  }
  return ok(out);
}
