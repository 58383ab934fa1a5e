/** The review checkout: a detached checkout (own git dir) of the integrated head under `<state root>/checkouts/<goal>/_evidence/`, removed after the review. */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { err, ok, type Result } from "@omk/state";
import { addDetachedWorktree, removeDetachedWorktree } from "../internal/detached-worktree.js";
import { type CheckoutDeps, setUpCheckout } from "../internal/checkout-deps.js";
import type { ControllerProblem } from "../types.js";

/** Removes a review checkout (and a registration an older OMK made there); quiet when it is not there. */
export async function removeCheckout(repo: string, dir: string): Promise<void> {
  await removeDetachedWorktree(repo, dir);
}

/** A detached checkout of `commit` at `dir` with its dependencies set up (when `deps` is given); a leftover checkout from an earlier run there is removed first. */
export async function addCheckout(repo: string, dir: string, commit: string, deps?: CheckoutDeps): Promise<Result<string, ControllerProblem>> {
  await removeCheckout(repo, dir);
  mkdirSync(path.dirname(dir), { recursive: true });
  const added = await addDetachedWorktree(repo, dir, commit);
  if (!added.ok) {
    return err({
      code: "review_checkout_failed",
      message: `could not check out the integrated head ${commit} for review at ${dir}: ${added.output}`,
      fix: `check that ${repo} is a git repository holding ${commit} and that ${path.dirname(dir)} is writable, then resume the goal`,
    });
  }
  if (deps !== undefined) {
    const made = await setUpCheckout(deps, dir, "review", "copy");
    if (!made.ok) {
      await removeCheckout(repo, dir);
      return err(made.error);
    }
  }
  return ok(dir);
}
