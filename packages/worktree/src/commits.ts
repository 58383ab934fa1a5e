/**
 * Commits the controller asks about or makes without a checkout: what a ref
 * names (resolveCommit), and one commit holding several others
 * (combineCommits: a task's start commit from the round's start and the
 * captured work of its dependencies).
 */
import { git as runGit } from "@omk/git";
import { ok, type Result } from "@omk/core";
import { type Problem, problem } from "./errors.js";
import { quietGit } from "./internal/quiet-git.js";

/** The full sha of `ref` in `repo`, or null when it is not a commit there (or `repo` is no repository). */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const r = await quietGit(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.ok ? r.stdout.trim() : null;
}

const IDENTITY = { GIT_AUTHOR_NAME: "omk", GIT_AUTHOR_EMAIL: "omk@localhost", GIT_COMMITTER_NAME: "omk", GIT_COMMITTER_EMAIL: "omk@localhost" };

const gitAs = (repo: string, args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
  runGit(repo, args, { ...(options.input === undefined ? {} : { input: options.input }), env: { ...IDENTITY, ...options.env } });

async function isAncestor(repo: string, a: string, b: string): Promise<boolean> {
  return (await gitAs(repo, ["merge-base", "--is-ancestor", a, b])).exitCode === 0;
}

async function committerTime(repo: string, commit: string): Promise<number> {
  const r = await gitAs(repo, ["show", "-s", "--format=%ct", commit]);
  return Number(String(r.stdout).trim()) || 0;
}

export type CombineError =
  /** Two of the commits change the same lines: `files` names them when git does (never resolved by picking a side). */
  | Problem<"merge_conflict", { readonly files: readonly string[] }>
  /** `git commit-tree` failed (`detail`: its stderr). */
  | Problem<"commit_failed", { readonly detail: string }>;

/**
 * One commit holding all of `commits` (the first is the start: returned as it
 * is when it holds the others). Commits another one holds are dropped; one
 * left is used as it is; several are merged (`git merge-tree --write-tree` +
 * `commit-tree` with `message`, no checkout touched, dated from the parents so
 * the same inputs give the same commit, by omk <omk@localhost>).
 */
export async function combineCommits(repo: string, commits: readonly [string, ...string[]], message: string): Promise<Result<string, CombineError>> {
  // Keep only the commits no other one holds (distinct commits never hold each other both ways).
  const unique = [...new Set(commits)];
  const tips: string[] = [];
  for (const c of unique) {
    let held = false;
    for (const other of unique) if (other !== c && !held) held = await isAncestor(repo, c, other);
    if (!held) tips.push(c);
  }
  let current = tips[0] ?? commits[0];
  for (const next of tips.slice(1)) {
    const merged = await gitAs(repo, ["merge-tree", "--write-tree", "--name-only", current, next]);
    if (merged.exitCode !== 0) {
      const lines = String(merged.stdout)
        .split("\n")
        .filter((l) => l.trim() !== "");
      const files = lines.slice(1).filter((l) => !l.startsWith("Auto-merging") && !l.startsWith("CONFLICT"));
      return {
        ok: false,
        error: problem(
          "merge_conflict",
          `${current} and ${next} conflict${files.length > 0 ? ` in ${files.join(", ")}` : ""}`,
          "order the work so one commit builds on the other",
          { files },
        ),
      };
    }
    const tree = String(merged.stdout).split("\n")[0]?.trim() ?? "";
    const date = Math.max(await committerTime(repo, current), await committerTime(repo, next));
    const stamp = `${date} +0000`;
    const commit = await gitAs(repo, ["commit-tree", "--no-gpg-sign", tree, "-p", current, "-p", next], {
      input: message,
      env: { GIT_AUTHOR_DATE: stamp, GIT_COMMITTER_DATE: stamp },
    });
    if (commit.exitCode !== 0) {
      const detail = String(commit.stderr).trim();
      return { ok: false, error: problem("commit_failed", `git commit-tree failed in ${repo}: ${detail}`, "check the repository (git fsck)", { detail }) };
    }
    current = String(commit.stdout).trim();
  }
  return ok(current);
}
