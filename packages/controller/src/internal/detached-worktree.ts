/**
 * Detached checkouts of one commit (the baseline, verification, review and
 * proof-verify checkouts). Since issue 14 each has a git dir of its own
 * (@omk/worktree createDetachedCheckout: the user's objects borrowed through
 * alternates, nothing registered in the user's repository), so what a
 * project's tests or an agent plant in its `.git` stays there, and a kill
 * leaves no registration behind. Removing is deleting the folder; a
 * registration an older OMK left at the same folder is removed too.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { createDetachedCheckout } from "@omk/worktree";
import { git } from "./git.js";

/**
 * A checkout of `commit` at `dir` (what is there is removed first), or in a
 * fresh temporary folder `<tmp>/<prefix>XXXXXX/tree` when `dir` is a prefix
 * (`{ prefix }`). Returns the checkout folder and the folder to remove.
 */
export async function addDetachedWorktree(
  repo: string,
  dir: string | { prefix: string },
  commit: string,
): Promise<{ ok: true; dir: string; root: string; output: string } | { ok: false; output: string }> {
  if (typeof dir === "string") await removeDetachedWorktree(repo, dir);
  const made = await createDetachedCheckout(repo, commit, typeof dir === "string" ? { dir } : { prefix: dir.prefix });
  if (!made.ok) return { ok: false, output: made.error.message };
  return { ok: true, dir: made.value.dir, root: made.value.root, output: "" };
}

/** Removes a checkout folder; quiet when it is not there. A registration an older OMK made there goes too. */
export async function removeDetachedWorktree(repo: string, dir: string): Promise<void> {
  const listed = await git(repo, ["worktree", "list", "--porcelain", "-z"]);
  const registered = listed.ok && listed.stdout.split("\0").some((field) => field.startsWith("worktree ") && path.resolve(field.slice("worktree ".length)) === path.resolve(dir));
  if (registered) await git(repo, ["worktree", "remove", "--force", "--force", dir]);
  rmSync(dir, { recursive: true, force: true });
  if (registered) await git(repo, ["worktree", "prune"]);
}

/**
 * Where the goal's fixed checkouts go (baseline, verification, review):
 * `<state root>/checkouts/<goal>/_evidence/<name>`, outside the goal's folder
 * (a relative write from there cannot land in the goal's records), beside
 * the task checkouts (`_` starts no task id). Resume removes the folder.
 */
export function evidenceCheckoutDir(goalDir: string, name: string): string {
  return path.join(evidenceCheckoutsRoot(goalDir), name);
}

/**
 * `<state root>/checkouts/<goal>/_evidence` of the goal whose folder is
 * `goalDir` (`<state root>/goals/<goal>`); a goal folder elsewhere (a test's
 * `<dir>/goal`) gets `<dir>/checkouts/<goal>/_evidence`.
 */
export function evidenceCheckoutsRoot(goalDir: string): string {
  const resolved = path.resolve(goalDir);
  const goalId = path.basename(resolved);
  const parent = path.dirname(resolved);
  const root = path.basename(parent) === "goals" ? path.dirname(parent) : parent;
  return path.join(root, "checkouts", goalId, "_evidence");
}
