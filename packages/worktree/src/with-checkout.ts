/**
 * The one way to use a detached checkout of a commit (the controller's
 * baseline, verification, overlay, review and proof-verify checkouts):
 * `withCheckout` makes it (createDetachedCheckout: a git dir of its own,
 * registered nowhere), hands its folder to `use`, and removes it whatever
 * `use` does (returns, throws, or is aborted). What a killed process leaves
 * is removed by `sweepGoalCheckouts` when the goal starts or resumes.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { ok, type Result } from "@omk/core";
import { createDetachedCheckout, type DetachedCheckoutError, pruneLeftoverWorktrees, sweepTempCheckouts } from "./checkout.js";
import { quietGit } from "./internal/quiet-git.js";
import { evidenceCheckoutsRoot } from "./names.js";

/**
 * Where the checkout goes: a fixed folder `dir` (what is there is removed
 * first, a registration an older OMK made there too; its parent is made), or
 * a fresh temporary folder `<tmpDir>/<prefix>XXXXXX/tree` (prefix default
 * "omk-checkout-", tmpDir default os.tmpdir()).
 */
export type CheckoutPlace = { readonly dir: string } | { readonly prefix?: string; readonly tmpDir?: string };

/**
 * A detached checkout of `commit` of `repo` at `place`, passed to `use`, then
 * removed whatever happens (a throw from `use` is rethrown after removal).
 * A checkout that cannot be made is the error (use does not run).
 */
export async function withCheckout<T>(
  repo: string,
  commit: string,
  use: (dir: string) => Promise<T>,
  place: CheckoutPlace = {},
): Promise<Result<T, DetachedCheckoutError>> {
  if ("dir" in place) {
    const dir = place.dir;
    await removeCheckout(repo, dir);
    mkdirSync(path.dirname(dir), { recursive: true });
    const made = await createDetachedCheckout(repo, commit, { dir });
    if (!made.ok) return made;
    try {
      return ok(await use(made.value.dir));
    } finally {
      await removeCheckout(repo, dir);
    }
  }
  const made = await createDetachedCheckout(repo, commit, {
    ...(place.prefix === undefined ? {} : { prefix: place.prefix }),
    ...(place.tmpDir === undefined ? {} : { tmpDir: place.tmpDir }),
  });
  if (!made.ok) return made;
  try {
    return ok(await use(made.value.dir));
  } finally {
    rmSync(made.value.root, { recursive: true, force: true });
  }
}

/** Removes a checkout folder; quiet when it is not there. A registration an older OMK made there (`git worktree add`) goes too. */
async function removeCheckout(repo: string, dir: string): Promise<void> {
  const listed = await quietGit(repo, ["worktree", "list", "--porcelain", "-z"]);
  const registered =
    listed.ok &&
    listed.stdout.split("\0").some((field) => field.startsWith("worktree ") && path.resolve(field.slice("worktree ".length)) === path.resolve(dir));
  if (registered) await quietGit(repo, ["worktree", "remove", "--force", "--force", dir]);
  rmSync(dir, { recursive: true, force: true });
  if (registered) await quietGit(repo, ["worktree", "prune"]);
}

export type GoalCheckoutSweep = {
  /** Folders removed (and registrations dropped). */
  readonly removed: readonly string[];
  /** Old task worktrees holding uncommitted work, left in place. */
  readonly kept: readonly string[];
};

/**
 * The checkouts a killed run of the goal whose folder is `goalDir` left,
 * removed (call it under the goal's lock: no run of the goal is using them):
 * - temporary checkouts (`<tmpDir>/omk-*-XXXXXX/tree`) whose owner process
 *   is dead (any goal's: they are registered nowhere);
 * - the goal's evidence checkouts (`<state root>/checkouts/<goal>/_evidence/`);
 * - what older OMK versions registered in `repo`: `git worktree add`s in
 *   temporary folders and the goal's old `checkouts/` (removed), the goal's
 *   old task worktrees in `goals/<goal>/worktrees/` (removed when clean:
 *   their commits are on their branches; a dirty one is kept and named).
 * `tmpDir`: where temporary checkouts go (default os.tmpdir()).
 */
export async function sweepGoalCheckouts(repo: string, goalDir: string, tmpDir?: string): Promise<GoalCheckoutSweep> {
  const tmp = tmpDir === undefined ? {} : { tmpDir };
  const removed: string[] = [...(await sweepTempCheckouts(tmp))];
  const evidence = evidenceCheckoutsRoot(goalDir);
  if (existsSync(evidence)) {
    rmSync(evidence, { recursive: true, force: true });
    removed.push(evidence);
  }
  const pruned = await pruneLeftoverWorktrees(repo, {
    ...tmp,
    leftoverDirs: [path.join(goalDir, "worktrees")],
    scratchDirs: [path.join(goalDir, "checkouts")],
  });
  if (!pruned.ok) return { removed, kept: [] };
  return { removed: [...removed, ...pruned.value.removed], kept: [...pruned.value.kept] };
}
