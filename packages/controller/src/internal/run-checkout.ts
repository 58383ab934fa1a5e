/** Detached checkouts of one commit under `<goalDir>/checkouts/` (baseline, verification), removed after use. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { err, type Result } from "@omk/state";
import { execa } from "execa";
import type { ControllerProblem } from "../types.js";
import { addDetachedWorktree, removeDetachedWorktree } from "./detached-worktree.js";

const git = (repo: string, args: readonly string[]) => execa("git", [...args], { cwd: repo, reject: false, all: true });

export async function removeDetached(repo: string, dir: string): Promise<void> {
  await removeDetachedWorktree(repo, dir);
}

/** Check out `commit` at `<goalDir>/checkouts/<name>`, run `use` there, always remove the checkout. */
export async function withDetached<T>(
  repo: string,
  goalDir: string,
  name: string,
  commit: string,
  use: (dir: string) => Promise<Result<T, ControllerProblem>>,
): Promise<Result<T, ControllerProblem>> {
  const dir = path.join(goalDir, "checkouts", name);
  await removeDetached(repo, dir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const added = await addDetachedWorktree(repo, dir, commit);
  if (!added.ok) {
    return err({
      code: "checkout_failed",
      message: `could not check out ${commit} at ${dir}: ${added.output}`,
      fix: `check that ${repo} holds ${commit} and that ${path.dirname(dir)} is writable, then resume the goal`,
    });
  }
  try {
    return await use(dir);
  } finally {
    await removeDetached(repo, dir);
  }
}

/** `git diff base..head` and the changed paths. */
export async function diffOf(repo: string, base: string, head: string): Promise<{ diff: string; files: string[] }> {
  const [diff, names] = await Promise.all([git(repo, ["diff", "--no-color", "--no-ext-diff", `${base}..${head}`]), git(repo, ["diff", "--name-only", "-z", `${base}..${head}`])]);
  return { diff: String(diff.stdout ?? ""), files: String(names.stdout ?? "").split("\0").filter((f) => f !== "") };
}

/** The full sha of a revision, or null. */
export async function resolveCommit(repo: string, rev: string): Promise<string | null> {
  const r = await git(repo, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}
