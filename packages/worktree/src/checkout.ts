/**
 * Temporary detached checkouts of one commit (the controller's baseline,
 * verification, overlay, review and proof-verify checkouts, the gates'
 * baseline): each in a fresh folder `<tmp>/<prefix>XXXXXX/tree` with a git
 * dir of its own (the user's objects borrowed read-only through alternates;
 * internal/own-gitdir.ts), never registered in the user's repository, so
 * nothing run or planted there reaches it and a kill leaves no registration.
 *
 * Each folder carries `omk-owner.json` (the pid that made it). A process
 * killed before its `finally` leaves the folder behind; `sweepTempCheckouts`
 * removes every such folder whose owner is dead, and
 * `pruneLeftoverWorktrees` unregisters what older OMK versions left
 * registered (`git worktree add`s in temp folders, task worktrees in the
 * goal's folder). Both run when a goal starts or resumes.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ok, type Result } from "@omk/core";
import { GitCommandError, type Problem, problem } from "./errors.js";
import { exists, isInside, realpathOrNull } from "./internal/fs.js";
import { git } from "./internal/git.js";
import { checkoutHead, initOwnGitDir } from "./internal/own-gitdir.js";
import { forgetWorktree, listWorktrees } from "./internal/porcelain.js";
import { resolveCommit } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";

/** The file naming the process that owns a temporary checkout folder. */
const OWNER_FILE = "omk-owner.json";

/** Folder names of OMK's temporary checkouts start with this (mkdtemp prefixes such as `omk-overlay-`). */
const TEMP_PREFIX = "omk-";

export type DetachedCheckout = {
  /** The checkout (its git dir is `<dir>/.git`). */
  readonly dir: string;
  /** The temporary folder holding it and the owner file; removeDetachedCheckout deletes it. */
  readonly root: string;
  readonly commit: string;
};

export type DetachedCheckoutError =
  | NotARepository
  | Problem<"base_not_found", { readonly base: string }>
  | Problem<"worktree_failed", { readonly detail: string }>;

export type DetachedCheckoutOptions = {
  /** mkdtemp prefix; must start with "omk-" (default "omk-checkout-"). */
  readonly prefix?: string;
  /** Where the temporary folder goes (default os.tmpdir()). */
  readonly tmpDir?: string;
  /**
   * A fixed folder for the checkout instead of a temporary one (what is there
   * is removed first; no owner file: the caller removes leftovers, e.g. the
   * controller's `<state root>/checkouts/<goal>/_evidence/` on resume).
   */
  readonly dir?: string;
};

/** A detached checkout of `commit` of `repo` in a fresh temporary folder, with a git dir of its own. */
export async function createDetachedCheckout(
  repo: string,
  commit: string,
  options: DetachedCheckoutOptions = {},
): Promise<Result<DetachedCheckout, DetachedCheckoutError>> {
  const opened = await openRepo(repo);
  if (!opened.ok) return opened;
  const { root: repoRoot, commonDir } = opened.value;
  const sha = await resolveCommit(repoRoot, commit);
  if (sha === null)
    return { ok: false, error: problem("base_not_found", `${commit} names no commit in ${repoRoot}`, "pass a commit of the repository", { base: commit }) };
  let root: string;
  let dir: string;
  if (options.dir !== undefined) {
    root = dir = path.resolve(options.dir);
    if (path.relative(repoRoot, dir) === "" || isInside(commonDir, dir)) {
      return {
        ok: false,
        error: problem("worktree_failed", `${dir} is the repository or inside its git dir`, "pass a folder outside the repository's git dir", { detail: dir }),
      };
    }
    await rm(dir, { recursive: true, force: true });
  } else {
    const prefix = options.prefix?.startsWith(TEMP_PREFIX) === true ? options.prefix : `${TEMP_PREFIX}checkout-`;
    root = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), prefix));
    dir = path.join(root, "tree");
  }
  try {
    if (root !== dir) await writeFile(path.join(root, OWNER_FILE), `${JSON.stringify({ pid: process.pid, repo: repoRoot, commit: sha })}\n`);
    await initOwnGitDir(commonDir, dir);
    await git(dir, ["update-ref", "--no-deref", "HEAD", sha]);
    await checkoutHead(dir);
  } catch (cause) {
    await rm(root, { recursive: true, force: true });
    if (!(cause instanceof GitCommandError)) throw cause;
    return {
      ok: false,
      error: problem("worktree_failed", `a checkout of ${sha} could not be made: ${cause.stderr}`, "check disk space and permissions of the temporary folder", {
        detail: cause.stderr,
      }),
    };
  }
  return ok({ dir, root, commit: sha });
}

/** Removes a temporary checkout (quiet when it is gone). Nothing is registered anywhere, so deleting the folder is all. */
export async function removeDetachedCheckout(checkout: Pick<DetachedCheckout, "root">): Promise<void> {
  await rm(checkout.root, { recursive: true, force: true });
}

/** Whether process `pid` is alive (EPERM: alive, another user's). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The owner pid of a temporary checkout folder; null when it has no owner file (not one of ours, or an older OMK's). */
async function ownerOf(root: string): Promise<number | null> {
  const text = await readFile(path.join(root, OWNER_FILE), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const pid = (JSON.parse(text) as { pid?: unknown }).pid;
    return typeof pid === "number" ? pid : -1;
  } catch {
    // A torn owner file: its writer died while writing it.
    return -1;
  }
}

/**
 * Removes OMK's temporary checkout folders in `tmpDir` (default os.tmpdir())
 * whose owner process is dead. Folders without an owner file are left alone
 * (pruneLeftoverWorktrees handles those an older OMK registered). Returns the
 * folders removed.
 */
export async function sweepTempCheckouts(options: { readonly tmpDir?: string } = {}): Promise<string[]> {
  const tmp = options.tmpDir ?? os.tmpdir();
  const removed: string[] = [];
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const root = path.join(tmp, name);
    const pid = await ownerOf(root);
    if (pid === null || pid === process.pid || alive(pid)) continue;
    await rm(root, { recursive: true, force: true });
    removed.push(root);
  }
  return removed;
}

export type PruneOptions = {
  /** Where temporary checkouts go (default os.tmpdir()). */
  readonly tmpDir?: string;
  /**
   * Folders whose registered worktrees are OMK's leftovers too (e.g. the
   * goal's old `goals/<goal>/worktrees`). Their commits are on their branches
   * in the repository already (a worktree shares its refs); uncommitted files
   * in them are not removed, nor one on a detached HEAD: such a worktree is
   * reported in `kept`.
   */
  readonly leftoverDirs?: readonly string[];
  /** Folders whose registered worktrees are OMK's evidence checkouts (detached, nothing of value): removed like temporary ones. */
  readonly scratchDirs?: readonly string[];
};

/** Removes a registered worktree OMK left: `worktree remove` when its folder is there, else just its registration; then the folder. */
async function dropWorktree(root: string, commonDir: string, entryPath: string, folder: string): Promise<void> {
  if (await exists(entryPath)) await git(root, ["worktree", "remove", "--force", "--force", "--", entryPath], { allow: [128] });
  await rm(folder, { recursive: true, force: true });
  await forgetWorktree(commonDir, entryPath);
}

export type Pruned = {
  /** Registrations removed (their folders deleted). */
  readonly removed: readonly string[];
  /** Leftover worktrees holding uncommitted work, left in place. */
  readonly kept: readonly string[];
};

/**
 * Unregisters worktrees of `repo` that OMK left behind: checkouts in
 * OMK's temporary folders (`<tmp>/omk-<kind>-XXXXXX/tree`) whose owner is dead or
 * unknown, worktrees under `scratchDirs`, and worktrees under `leftoverDirs`
 * without uncommitted work (a registration whose folder is gone just
 * drops). Other worktrees of the repository, even missing ones, are left
 * alone (no `git worktree prune`: a user's worktree on an unmounted disk
 * stays registered).
 */
export async function pruneLeftoverWorktrees(repo: string, options: PruneOptions = {}): Promise<Result<Pruned, NotARepository>> {
  const opened = await openRepo(repo);
  if (!opened.ok) return opened;
  const { root, commonDir } = opened.value;
  const tmp = options.tmpDir ?? os.tmpdir();
  const tmps = [...new Set([path.resolve(tmp), (await realpathOrNull(tmp)) ?? path.resolve(tmp)])];
  const leftovers = options.leftoverDirs ?? [];
  const removed: string[] = [];
  const kept: string[] = [];
  for (const entry of await listWorktrees(root)) {
    const dir = path.resolve(entry.path);
    const parent = path.dirname(dir);
    const inTemp = path.basename(dir) === "tree" && path.basename(parent).startsWith(TEMP_PREFIX) && tmps.includes(path.dirname(parent));
    if (inTemp) {
      const pid = await ownerOf(parent);
      if (pid !== null && pid !== -1 && alive(pid)) continue;
      await dropWorktree(root, commonDir, entry.path, parent);
      removed.push(entry.path);
      continue;
    }
    if ((options.scratchDirs ?? []).some((d) => isInside(path.resolve(d), dir))) {
      await dropWorktree(root, commonDir, entry.path, dir);
      removed.push(entry.path);
      continue;
    }
    if (!leftovers.some((d) => isInside(path.resolve(d), dir))) continue;
    // A detached HEAD may hold commits no ref has: leave it for the user.
    if (entry.branch === null && (await exists(dir))) {
      kept.push(entry.path);
      continue;
    }
    if (await exists(dir)) {
      const status = await git(dir, ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=normal"], { allow: [128] });
      if (status.exitCode !== 0 || status.stdout !== "") {
        kept.push(entry.path);
        continue;
      }
    }
    await dropWorktree(root, commonDir, entry.path, dir);
    removed.push(entry.path);
  }
  return ok({ removed, kept });
}
