/**
 * Detached worktrees of one commit (the baseline, verification, review and
 * proof-verify checkouts): added with retries, removed without racing
 * others. `git worktree prune` deletes the admin dir of a worktree another
 * process is adding (before git marks it locked), so a removal prunes only
 * when `worktree remove` failed (a registration whose folder is gone), and
 * an add that lost such a race is tried again.
 */
import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { git } from "./git.js";

const ADD_ATTEMPTS = 3;

/**
 * `git worktree add --detach --force --force <dir> <commit>`. Forced twice: a
 * registration left at `dir` by a crash does not stand in the way, not even
 * the "missing but locked" one a `git worktree add` killed mid-way leaves
 * (git locks a worktree while it initializes it). Only omk's own checkout
 * folders are passed here, so nothing else is overridden.
 */
export async function addDetachedWorktree(repo: string, dir: string, commit: string): Promise<{ ok: boolean; output: string }> {
  let output = "";
  for (let attempt = 1; attempt <= ADD_ATTEMPTS; attempt++) {
    const added = await git(repo, ["worktree", "add", "-q", "--detach", "--force", "--force", dir, commit]);
    if (added.ok) return { ok: true, output: added.stdout };
    output = `${added.stdout}${added.stderr}`.trim();
    // Not a race: the commit is not there (retrying cannot help).
    if ((await git(repo, ["cat-file", "-e", `${commit}^{commit}`])).ok === false) break;
    await git(repo, ["worktree", "remove", "--force", "--force", dir]);
    rmSync(dir, { recursive: true, force: true });
    await sleep(50 * attempt);
  }
  return { ok: false, output };
}

/** Remove a worktree and its registration; quiet when it is not there. */
export async function removeDetachedWorktree(repo: string, dir: string): Promise<void> {
  const removed = await git(repo, ["worktree", "remove", "--force", dir]);
  rmSync(dir, { recursive: true, force: true });
  if (!removed.ok) await git(repo, ["worktree", "prune"]);
}
