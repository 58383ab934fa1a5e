/** Detached checkouts of one commit under `<state root>/checkouts/<goal>/_evidence/` (baseline, verification), removed after use (@omk/worktree withCheckout). */
import path from "node:path";
import type { SetupOutcome } from "@omk/gates";
import { err, type Result } from "@omk/core";
import { evidenceCheckoutDir, withCheckout } from "@omk/worktree";
import type { ControllerProblem } from "../types.js";
import { type CheckoutDeps, setUpCheckout } from "@omk/proof";

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
  const done = await withCheckout(
    repo,
    commit,
    async (at): Promise<Result<T, ControllerProblem>> => {
      let setup: SetupOutcome | undefined;
      if (deps !== undefined) {
        const made = await setUpCheckout(deps, at, name, "copy");
        if (!made.ok) return err(made.error);
        setup = made.value;
      }
      return await use(at, setup);
    },
    { dir },
  );
  if (!done.ok) {
    return err({
      code: "checkout_failed",
      message: `could not check out ${commit} at ${dir}: ${done.error.message}`,
      fix: `check that ${repo} holds ${commit} and that ${path.dirname(dir)} is writable, then resume the goal`,
    });
  }
  return done.value;
}
