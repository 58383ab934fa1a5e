/**
 * cleanup: remove a task's checkout (and, when asked, its branch) only when
 * nothing would be lost.
 *
 * Refused, as values: uncommitted or untracked files in the checkout
 * (`dirty_worktree`; ignored files are build output and go), a copied file
 * that was changed, and commits beyond the base that no kept ref reaches
 * (`unkept_commits`). Kept refs: the task's attempts
 * (refs/omk/attempts/<goal>/<task>/), the goal's integration branch, and any
 * prefixes the caller adds (e.g. the remote-tracking branch after a push).
 * The task branch itself is not a kept ref: it is what a retry moves.
 *
 * A scratch clone (fallback mode) has an object store of its own, so before
 * it goes every other commit it holds (its other branches, tags, stash
 * entries, a detached HEAD) is fetched into the main repository under
 * `refs/omk/attempts/<goal>/<task>/clone/...`: work is never lost.
 *
 * Crash safety: a worktree is locked ("omk-removing") before git deletes
 * it, and a scratch clone is renamed aside before it is deleted, so a
 * cleanup interrupted midway is recognized and finished by the next call.
 */
import { readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { ok, type Result } from "@omk/core";
import { type ConcurrentUpdate, type Problem, type ProtectedRef, problem, type SyncFailed, type UnkeptCommits } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { exists, realpathOrNull } from "./internal/fs.js";
import { git } from "./internal/git.js";
import { checkoutStatus, forgetWorktree, listWorktrees, type WorktreeEntry } from "./internal/porcelain.js";
import { commitsNotIn, deleteRef, listRefs, refsContaining, resolveCommit } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";
import { isScratchCloneOf, keepCloneRefs, syncBack } from "./internal/scratch-clone.js";
import { attemptRefPrefix, integrationBranch } from "./names.js";
import type { RefPolicy } from "./policy.js";
import type { DirtyFile, TaskWorktree } from "./schemas.js";

export type CleanupOptions = {
  /** Also delete the task branch (same check). Default false. */
  readonly deleteBranch?: boolean;
  /** More ref prefixes whose history counts as kept, e.g. "refs/remotes/origin/omk/<goal>/". */
  readonly keptRefs?: readonly string[];
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
};

export type CleanupError =
  | NotARepository
  | UnkeptCommits
  | SyncFailed
  | ProtectedRef
  | ConcurrentUpdate
  | Problem<"dirty_worktree", { readonly files: readonly DirtyFile[] }>
  | Problem<"locked", { readonly reason: string }>
  | Problem<"not_a_worktree", { readonly path: string }>;

export type Cleanup = {
  readonly path: string;
  /** The checkout was removed by this call (false: it was gone already). */
  readonly removed: boolean;
  readonly branchDeleted: boolean;
  /** Kept refs that hold the task's head. */
  readonly keptBy: readonly string[];
};

const REMOVING = "omk-removing";
const TRASH = ".omk-removing-";

/** Copied files whose content no longer matches the main checkout's (or whose original is gone): removing them would lose data. */
async function changedCopies(worktree: TaskWorktree): Promise<DirtyFile[]> {
  const changed: DirtyFile[] = [];
  for (const rel of worktree.copied) {
    const [copy, original] = await Promise.all([
      readFile(path.join(worktree.path, rel)).catch(() => null),
      readFile(path.join(worktree.repo, rel)).catch(() => null),
    ]);
    if (copy !== null && (original === null || !copy.equals(original))) changed.push({ path: rel, status: " M", oldPath: null });
  }
  return changed;
}

async function removeTrash(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}${TRASH}`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

/**
 * Whether every head is held by a kept ref (then all its commits are); the
 * base needs no keeping. `keptBy`: the kept refs holding the first head.
 */
async function keptHeads(
  root: string,
  heads: readonly string[],
  base: string,
  keepers: readonly string[],
): Promise<{ ok: true; keptBy: string[] } | { ok: false; head: string; missing: boolean }> {
  let keptBy: string[] | undefined;
  for (const head of heads) {
    if (head === base) {
      keptBy ??= [];
      continue;
    }
    // A commit only a scratch clone holds is not in the main repository: nothing there keeps it (and git would refuse the name).
    if ((await resolveCommit(root, head)) === null) return { ok: false, head, missing: true };
    const holders = await refsContaining(root, head, keepers);
    if (holders.length === 0) return { ok: false, head, missing: false };
    keptBy ??= holders;
  }
  return { ok: true, keptBy: keptBy ?? [] };
}

function dirtyError(worktree: TaskWorktree, dirty: DirtyFile[]): { ok: false; error: CleanupError } {
  return {
    ok: false,
    error: problem(
      "dirty_worktree",
      `${worktree.path} holds uncommitted work: ${dirty.map((f) => f.path).join(", ")}`,
      "capture the changes (captureChanges) and keep the attempt, or remove the files yourself",
      { files: dirty },
    ),
  };
}

type Found = { state: "absent" } | { state: "present"; entry: WorktreeEntry | undefined } | { state: "removing"; entry: WorktreeEntry };

async function find(worktree: TaskWorktree, root: string, commonDir: string): Promise<Result<Found, CleanupError>> {
  const present = await exists(worktree.path);
  if (worktree.mode === "clone") {
    if (!present) return ok({ state: "absent" });
    if (!(await isScratchCloneOf(worktree.path, commonDir))) {
      return {
        ok: false,
        error: problem("not_a_worktree", `${worktree.path} is not a scratch clone OMK made for ${root}`, "look at the folder by hand", { path: worktree.path }),
      };
    }
    return ok({ state: "present", entry: undefined });
  }
  const real = (await realpathOrNull(worktree.path)) ?? path.resolve(worktree.path);
  const entries = await listWorktrees(root);
  const entry = entries.find((e) => path.resolve(e.path) === real || path.resolve(e.path) === path.resolve(worktree.path));
  if (!present) {
    if (entry !== undefined) await forgetWorktree(commonDir, entry.path);
    return ok({ state: "absent" });
  }
  if (entry === undefined) {
    return {
      ok: false,
      error: problem("not_a_worktree", `${worktree.path} is not a worktree of ${root}`, "look at the folder by hand", { path: worktree.path }),
    };
  }
  if (entry.locked && entry.lockReason === REMOVING) return ok({ state: "removing", entry });
  if (entry.locked) {
    return {
      ok: false,
      error: problem("locked", `${worktree.path} is locked (${entry.lockReason || "no reason given"})`, "unlock it (git worktree unlock) when it may go", {
        reason: entry.lockReason ?? "",
      }),
    };
  }
  if (!(await exists(path.join(worktree.path, ".git")))) {
    return {
      ok: false,
      error: problem("not_a_worktree", `${worktree.path} has lost its .git file`, "look at the folder by hand (git worktree repair)", { path: worktree.path }),
    };
  }
  return ok({ state: "present", entry });
}

export async function cleanup(worktree: TaskWorktree, options: CleanupOptions = {}): Promise<Result<Cleanup, CleanupError>> {
  const repo = await openRepo(worktree.repo);
  if (!repo.ok) return repo;
  const { root, commonDir } = repo.value;
  const policy = options.policy ?? {};
  const ref = `refs/heads/${worktree.branch}`;
  const found = await find(worktree, root, commonDir);
  if (!found.ok) return found;
  const state = found.value;

  // Uncommitted work is looked for while the kept-ref check runs (a scratch clone first brings its commits back).
  const dirtyCheck = async (): Promise<DirtyFile[]> =>
    state.state === "present" ? [...(await checkoutStatus(worktree.path, worktree.copied)), ...(await changedCopies(worktree))] : [];
  const protect: string[] = [];
  const keepers = [attemptRefPrefix(worktree.goalId, worktree.taskId), `refs/heads/${integrationBranch(worktree.goalId)}`, ...(options.keptRefs ?? [])];
  let dirtyFirst: DirtyFile[] | undefined;
  if (state.state === "present" && worktree.mode === "clone") {
    dirtyFirst = await dirtyCheck();
    if (dirtyFirst.length > 0) return dirtyError(worktree, dirtyFirst);
    const synced = await syncBack(root, worktree.path, worktree.branch, policy);
    if (!synced.ok) return synced;
    const prefix = attemptRefPrefix(worktree.goalId, worktree.taskId);
    const others = await keepCloneRefs(root, worktree.path, worktree.branch, worktree.base, prefix, keepers, policy);
    if (!others.ok) return others;
    for (const k of others.kept)
      emit(options.onEvent, { type: "attempt_kept", goalId: worktree.goalId, taskId: worktree.taskId, ref: k.ref, commit: k.commit, created: true });
  }
  const entry = state.state === "absent" ? undefined : state.entry;
  if (state.state === "present") {
    const checkoutHead = entry?.head ?? (await resolveCommit(worktree.path, "HEAD"));
    if (checkoutHead !== null) protect.push(checkoutHead);
  }
  // The worktree listing already says where the branch points when the checkout is on it.
  const branchHead = entry?.branch === ref && entry.head !== null ? entry.head : await resolveCommit(root, ref);
  if (branchHead !== null && !protect.includes(branchHead)) protect.push(branchHead);

  const [dirty, held] = await Promise.all([dirtyFirst ?? dirtyCheck(), keptHeads(root, protect, worktree.base, keepers)]);
  if (dirty.length > 0) return dirtyError(worktree, dirty);
  const unkept = held.ok ? [] : held.missing ? [held.head] : await commitsNotIn(root, protect, [worktree.base, ...(await listRefs(root, keepers)).keys()]);
  if (!held.ok && unkept.length > 0) {
    return {
      ok: false,
      error: problem(
        "unkept_commits",
        held.missing
          ? `commit ${held.head} of task ${worktree.taskId} is not in ${root}; removing ${worktree.path} could lose it`
          : `${unkept.length} commit(s) of task ${worktree.taskId} are on no kept ref; removing ${worktree.path} could lose them`,
        "keep the attempt first (keepAttempt), or integrate it",
        { head: held.head, commits: unkept },
      ),
    };
  }
  const keptBy = held.ok ? held.keptBy : [];

  let removed = false;
  if (state.state !== "absent") {
    if (worktree.mode === "clone") {
      const trash = `${worktree.path}${TRASH}${process.pid}`;
      await rename(worktree.path, trash);
      await rm(trash, { recursive: true, force: true });
    } else {
      const entry = state.entry as WorktreeEntry;
      if (state.state === "present") await git(root, ["worktree", "lock", "--reason", REMOVING, "--", entry.path]);
      if (await exists(path.join(worktree.path, ".git"))) {
        // Checked above: clean and every commit kept. --force twice only lifts git's own checks (and our lock).
        await git(root, ["worktree", "remove", "--force", "--force", "--", entry.path]);
      } else {
        await git(root, ["worktree", "unlock", "--", entry.path], { allow: [128] });
        await rm(worktree.path, { recursive: true, force: true });
        await forgetWorktree(commonDir, entry.path);
      }
    }
    removed = true;
  }
  if (worktree.mode === "clone") await removeTrash(worktree.path);

  let branchDeleted = false;
  if (options.deleteBranch === true && branchHead !== null) {
    const deleted = await deleteRef(root, ref, branchHead, policy, `omk: cleanup task ${worktree.taskId}`);
    if (!deleted.ok) return deleted;
    branchDeleted = true;
  }
  emit(options.onEvent, { type: "worktree_removed", goalId: worktree.goalId, taskId: worktree.taskId, path: worktree.path, branchDeleted });
  return ok({ path: worktree.path, removed, branchDeleted, keptBy });
}
