import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SetupOutcome } from "@omk/gates";
import { isTestFile } from "@omk/oracle";
import { blobAt, changedPaths, withCheckout } from "@omk/worktree";
import { type CheckoutDeps, SetupFailedError, setUpCheckout } from "../internal/checkout-deps.js";

/**
 * A clean detached checkout of `commit` (a fresh temporary folder
 * `<tmp>/<prefix>XXXXXX/tree` with a git dir of its own, registered nowhere:
 * @omk/worktree withCheckout; no branch, index or working tree of `repo`
 * changes; a kill leaves only the folder, which the next run's sweep removes), passed to
 * `use`, then removed whatever happens. With `deps`, its dependencies are set
 * up first (`use` gets the outcome: its PATH entries, a venv, belong on the
 * PATH of whatever runs there); a failed setup throws SetupFailedError (the
 * `setup_failed` problem).
 */
export async function withDetachedCheckout<T>(
  repo: string,
  commit: string,
  use: (dir: string, setup: SetupOutcome | undefined) => Promise<T>,
  prefix = "omk-checkout-",
  deps?: CheckoutDeps,
): Promise<T> {
  const done = await withCheckout(
    repo,
    commit,
    async (dir) => {
      let setup: SetupOutcome | undefined;
      if (deps !== undefined) {
        const made = await setUpCheckout(deps, dir, `${prefix.replace(/-$/, "")} ${commit.slice(0, 12)}`, "copy");
        if (!made.ok) throw new SetupFailedError(made.error);
        setup = made.value;
      }
      return await use(dir, setup);
    },
    { prefix },
  );
  if (!done.ok) throw new CheckoutError(`a checkout of ${commit} from ${repo} failed: ${done.error.message}`);
  return done.value;
}

export class CheckoutError extends Error {}

/** Whether a path looks like a test file: the oracle's own classes (tamper rules), so overlay and tamper checks agree. */
function isTestPath(file: string): boolean {
  return isTestFile(file);
}

/** Test files added, changed or deleted between two commits (repository-relative paths): what a base overlay copies. */
export async function changedTestFiles(repo: string, base: string, head: string): Promise<string[]> {
  const changed = await changedPaths(repo, base, head);
  if (!changed.ok) throw new CheckoutError(changed.error.message);
  return changed.value.filter((f) => isTestPath(f));
}

/**
 * Lay the head's version of `files` over the checkout `dir`: each file as it
 * is in `headCommit` (read from `repo`), or removed when the head has none.
 */
export async function overlayFiles(repo: string, headCommit: string, dir: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const normalized = path.posix.normalize(file.replaceAll("\\", "/"));
    if (normalized.startsWith("../") || path.isAbsolute(normalized)) throw new CheckoutError(`${file} is not a path inside the repository`);
    const target = path.join(dir, normalized);
    const bytes = await blobAt(repo, headCommit, normalized);
    if (bytes === null) {
      rmSync(target, { force: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
}
