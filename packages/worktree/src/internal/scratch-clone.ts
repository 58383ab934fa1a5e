// A task's checkout with a git directory of its own (own-gitdir.ts): the user's
// objects borrowed through alternates, checked out on the task branch. Its
// commits are brought back into the main repository by a fast-forward-only
// fetch (syncBack) before anything relies on them. (Named "scratch clone" and
// mode "clone" since it was the fallback of `git worktree add`; it is the
// default since issue 14.)
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { problem, type ProtectedRef, type SyncFailed } from "../errors.js";
import { checkWritableRef, type RefPolicy } from "../policy.js";
import { git } from "./git.js";
import { checkoutHead, initOwnGitDir } from "./own-gitdir.js";
import { isAncestor, refsContaining, resolveCommit } from "./refs.js";

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
 * Makes a repository of its own in a temporary sibling (own-gitdir.ts: no
 * remote, no config or hooks of the user's), puts `branch` at `head` and
 * checks it out, marks it, and renames it to `dir`: a process killed midway
 * leaves only a partial sibling, removed by the next call.
 */
export async function createScratchClone(commonDir: string, dir: string, branch: string, head: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true });
  await removePartials(dir);
  const temp = `${dir}${PARTIAL}${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await initOwnGitDir(commonDir, temp, branch);
  await git(temp, ["config", "--local", MARKER, commonDir]);
  await git(temp, ["update-ref", `refs/heads/${branch}`, head, ""]);
  await checkoutHead(temp);
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
    return {
      ok: false,
      error: problem("sync_failed", `the scratch clone ${cloneDir} has no branch ${branch}`, "create the task's checkout again", { branch, detail: "missing" }),
    };
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

/** A commit only a scratch clone may hold: a ref, the detached HEAD, or an older stash entry. */
type CloneTip = { readonly source: string; readonly name: string; readonly sha: string };

/** Every ref of the clone but the task branch (which syncBack brings back), its detached HEAD, and its older stash entries. */
async function cloneTips(cloneDir: string, branch: string): Promise<CloneTip[]> {
  const tips: CloneTip[] = [];
  const refs = await git(cloneDir, ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)"]);
  for (const line of refs.stdout.split("\n")) {
    const [name = "", sha = "", peeled = ""] = line.split("\0");
    if (name === "" || name === `refs/heads/${branch}` || name.startsWith(KEEP_REFS)) continue;
    tips.push({ source: name, name: name.slice("refs/".length), sha: peeled || sha });
  }
  if ((await git(cloneDir, ["symbolic-ref", "--quiet", "HEAD"], { allow: [1, 128] })).exitCode !== 0) {
    const head = await resolveCommit(cloneDir, "HEAD");
    if (head !== null) tips.push({ source: "HEAD", name: "HEAD", sha: head });
  }
  // stash@{1} and older live only in the stash's reflog: give each a ref of its own so it can be fetched.
  const stash = await git(cloneDir, ["log", "--walk-reflogs", "--format=%H", "refs/stash", "--"], { allow: [128] });
  const older =
    stash.exitCode === 0
      ? stash.stdout
          .split("\n")
          .filter((l) => l !== "")
          .slice(1)
      : [];
  for (const [i, sha] of older.entries()) {
    const source = `${KEEP_REFS}stash-${i + 1}`;
    await git(cloneDir, ["update-ref", source, sha]);
    tips.push({ source, name: "stash", sha });
  }
  return tips;
}

const KEEP_REFS = "refs/omk-keep/";

/**
 * Before a scratch clone is deleted, keeps every commit only it holds (its
 * own object store goes with it): each ref, a detached HEAD and the stash
 * entries whose commit the main repository does not already keep (reachable
 * from `base` or from a ref under `keepers`) are fetched into it as
 * `<prefix>clone/<ref name>/<sha>` (e.g. `clone/heads/experiment/<sha>`,
 * `clone/HEAD/<sha>`, `clone/stash/<sha>`). Returns the refs made.
 */
export async function keepCloneRefs(
  repoRoot: string,
  cloneDir: string,
  branch: string,
  base: string,
  prefix: string,
  keepers: readonly string[],
  policy: RefPolicy,
): Promise<{ ok: true; kept: { ref: string; commit: string }[] } | { ok: false; error: SyncFailed | ProtectedRef }> {
  const kept: { ref: string; commit: string }[] = [];
  const refspecs: string[] = [];
  for (const tip of await cloneTips(cloneDir, branch)) {
    if (await keptInRepo(repoRoot, tip.sha, base, keepers)) continue;
    const ref = `${prefix}clone/${tip.name}/${tip.sha}`;
    const refused = checkWritableRef(ref, policy);
    if (refused !== undefined) return { ok: false, error: refused };
    if (kept.some((k) => k.ref === ref)) continue;
    kept.push({ ref, commit: tip.sha });
    refspecs.push(`${tip.source}:${ref}`);
  }
  if (refspecs.length === 0) return { ok: true, kept };
  const run = await git(repoRoot, ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", cloneDir, ...refspecs], { allow: [1, 128] });
  if (run.exitCode !== 0) {
    return {
      ok: false,
      error: problem(
        "sync_failed",
        `could not keep the commits of ${cloneDir} (${kept.map((k) => k.ref).join(", ")}) in ${repoRoot}: ${run.stderr.trim()}`,
        "the scratch clone was left in place; fetch its refs by hand, then clean up again",
        { branch, detail: run.stderr.trim() },
      ),
    };
  }
  return { ok: true, kept };
}

/** Whether the main repository has `sha` and keeps it already: the base's history or a kept ref's. */
async function keptInRepo(repoRoot: string, sha: string, base: string, keepers: readonly string[]): Promise<boolean> {
  if ((await resolveCommit(repoRoot, sha)) === null) return false;
  if (await isAncestor(repoRoot, sha, base)) return true;
  return (await refsContaining(repoRoot, sha, keepers)).length > 0;
}
