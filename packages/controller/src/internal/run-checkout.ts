/** Detached checkouts of one commit under `<state root>/checkouts/<goal>/_evidence/` (baseline, verification), removed after use. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { err, type Result } from "@omk/state";
import type { SetupOutcome } from "@omk/gates";
import type { ControllerProblem } from "../types.js";
import { type CheckoutDeps, setUpCheckout } from "./checkout-deps.js";
import { addDetachedWorktree, evidenceCheckoutDir, removeDetachedWorktree } from "./detached-worktree.js";
import { git } from "./git.js";

export async function removeDetached(repo: string, dir: string): Promise<void> {
  await removeDetachedWorktree(repo, dir);
}

/**
 * Check out `commit` at `<state root>/checkouts/<goal>/_evidence/<name>` (evidenceCheckoutDir), set up its dependencies
 * (when `deps` is given; a failed setup is the `setup_failed` problem and
 * `use` does not run), run `use` there, always remove the checkout.
 */
export async function withDetached<T>(
  repo: string,
  goalDir: string,
  name: string,
  commit: string,
  use: (dir: string, setup: SetupOutcome | undefined) => Promise<Result<T, ControllerProblem>>,
  deps?: CheckoutDeps,
): Promise<Result<T, ControllerProblem>> {
  const dir = evidenceCheckoutDir(goalDir, name);
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
    let setup: SetupOutcome | undefined;
    if (deps !== undefined) {
      const made = await setUpCheckout(deps, dir, name, "copy");
      if (!made.ok) return err(made.error);
      setup = made.value;
    }
    return await use(dir, setup);
  } finally {
    await removeDetached(repo, dir);
  }
}

/** `git diff base..head` and the changed paths. */
export async function diffOf(repo: string, base: string, head: string): Promise<{ diff: string; files: string[] }> {
  const [diff, names] = await Promise.all([git(repo, ["diff", "--no-color", "--no-ext-diff", `${base}..${head}`]), git(repo, ["diff", "--name-only", "-z", `${base}..${head}`])]);
  return { diff: diff.stdout, files: names.stdout.split("\0").filter((f) => f !== "") };
}
