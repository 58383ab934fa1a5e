// The fallback when `git worktree add` is impossible: a scratch `git clone --shared`
// checked out on the task branch. Its commits are brought back into the main
// repository by a fast-forward-only fetch (syncBack) before anything relies on them.
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { problem, type ProtectedRef, type SyncFailed } from "../errors.js";
import { checkWritableRef, type RefPolicy } from "../policy.js";
import { git } from "./git.js";
import { resolveCommit } from "./refs.js";

/** Config key a scratch clone carries: the git dir of the repository it serves. */
const MARKER = "omk.scratchfor";
const PARTIAL = ".omk-partial-";

/** Whether `dir` is a scratch clone OMK made for the repository whose git dir is `commonDir`. */
export async function isScratchCloneOf(dir: string, commonDir: string): Promise<boolean> {
  try {
    if (!(await stat(path.join(dir, ".git"))).isDirectory()) return false;
  } catch {
    return false;
  }
  const run = await git(dir, ["config", "--local", "--get", MARKER], { allow: [1, 128] });
  return run.exitCode === 0 && run.stdout.trim() === commonDir;
}

/** Removes leftovers of clones interrupted before they were renamed into place (they never hold work). */
async function removePartials(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}${PARTIAL}`;
  let names: string[] = [];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
}

/**
 * Clones into a temporary sibling, checks out `branch` at `head`, marks it,
 * and renames it to `dir`: a process killed midway leaves only a partial
 * sibling, removed by the next call.
 */
export async function createScratchClone(commonDir: string, dir: string, branch: string, head: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await removePartials(dir);
  const temp = `${dir}${PARTIAL}${process.pid}`;
  await git(path.dirname(dir), ["clone", "--shared", "--no-checkout", "--no-tags", "--quiet", "--", commonDir, temp]);
  // No remote: the task's checkout cannot push into the main repository; OMK fetches from it instead.
  await git(temp, ["remote", "remove", "origin"]);
  await git(temp, ["config", "--local", MARKER, commonDir]);
  await git(temp, ["checkout", "--quiet", "-b", branch, head]);
  await rename(temp, dir);
}

/**
 * Brings the clone's `branch` into the main repository, fast-forward only
 * (no `+` in the refspec). Returns the branch head.
 */
export async function syncBack(
  repoRoot: string,
  cloneDir: string,
  branch: string,
  policy: RefPolicy,
): Promise<{ ok: true; head: string } | { ok: false; error: SyncFailed | ProtectedRef }> {
  const ref = `refs/heads/${branch}`;
  const cloneHead = await resolveCommit(cloneDir, ref);
  if (cloneHead === null) {
    return { ok: false, error: problem("sync_failed", `the scratch clone ${cloneDir} has no branch ${branch}`, "create the task's checkout again", { branch, detail: "missing" }) };
  }
  if ((await resolveCommit(repoRoot, ref)) === cloneHead) return { ok: true, head: cloneHead };
  const refused = checkWritableRef(ref, policy);
  if (refused !== undefined) return { ok: false, error: refused };
  const run = await git(repoRoot, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", cloneDir, `${ref}:${ref}`], { allow: [1, 128] });
  if (run.exitCode !== 0) {
    return {
      ok: false,
      error: problem(
        "sync_failed",
        `could not bring ${branch} from ${cloneDir} into ${repoRoot} as a fast-forward: ${run.stderr.trim()}`,
        "the branch in the main repository moved; keep the clone's work (keepAttempt) and look at both heads",
        { branch, detail: run.stderr.trim() },
      ),
    };
  }
  return { ok: true, head: cloneHead };
}
