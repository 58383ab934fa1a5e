/**
 * createTaskWorktree: a task's own checkout on `omk/<goal>/<task>`, made from
 * the goal's base commit in a repository of its own (mode "clone", the
 * default: its own git dir, the user's objects borrowed read-only through
 * alternates, commits fetched back), or, when asked, with `git worktree add`
 * (mode "worktree": shares the user's git dir, so anything planted in it
 * reaches the user's repository; see docs/decisions/worktree.md 17).
 *
 * - The main checkout is never touched: OMK creates the branch with
 *   update-ref (no checkout, no `-b`, which would leave a branch behind when
 *   `worktree add` fails) and only reads `git status` there, reporting what is
 *   dirty.
 * - Calling it again for the same task is safe: a finished worktree is
 *   returned as it is (`reused`), a worktree whose `add` was interrupted is
 *   made again, and an existing branch keeps its commits (`existingBranch`:
 *   "resume") unless they are kept under refs/omk/attempts and a restart
 *   from the base was asked for.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { ok, type Result } from "@omk/core";
import {
  type ConcurrentUpdate,
  GitCommandError,
  type InvalidInput,
  invalidInput,
  type Problem,
  type ProtectedRef,
  problem,
  type UnkeptCommits,
} from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { copyUntracked } from "./internal/copy.js";
import { exists, isEmptyDir, realpathOrNull } from "./internal/fs.js";
import { git } from "./internal/git.js";
import { checkoutStatus, forgetWorktree, listWorktrees, type WorktreeEntry } from "./internal/porcelain.js";
import { commitsNotIn, listRefs, refsContaining, resolveCommit, resolveCommits, updateRef } from "./internal/refs.js";
import { type NotARepository, openRepo } from "./internal/repo.js";
import { createScratchClone, isScratchCloneOf } from "./internal/scratch-clone.js";
import { attemptRefPrefix, checkGoalId, checkTaskId, integrationBranch, taskBranch } from "./names.js";
import { checkWritableRef, type RefPolicy } from "./policy.js";
import type { DirtyFile, TaskWorktree, WorktreeMode } from "./schemas.js";

export type CreateTaskWorktreeOptions = {
  /** The main repository (any folder inside it). */
  readonly repo: string;
  readonly goalId: string;
  readonly taskId: string;
  /** The goal's base commit (a sha or any revision naming a commit). */
  readonly base: string;
  /** Where the task's checkout goes; e.g. taskWorktreeDir(stateRoot, goalId, taskId). */
  readonly dir: string;
  /** Untracked files of the main checkout to copy in (e.g. [".env"]); never committed. */
  readonly copyUntracked?: readonly string[];
  /**
   * "clone" (default): a checkout with its own git dir; "worktree": `git worktree add`;
   * "auto": a worktree, else a clone (the default before issue 14).
   */
  readonly mode?: "auto" | WorktreeMode;
  /**
   * When the task branch exists with commits beyond the base: "resume" (default)
   * checks it out as it is; "restart" moves it back to the base, only when its
   * head is kept under refs/omk/attempts/<goal>/<task>/ or merged into the integration branch.
   */
  readonly existingBranch?: "resume" | "restart";
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
};

export type CreateError =
  | InvalidInput
  | NotARepository
  | ProtectedRef
  | ConcurrentUpdate
  | UnkeptCommits
  | Problem<"base_not_found", { readonly base: string }>
  | Problem<"branch_in_use", { readonly branch: string; readonly path: string }>
  | Problem<"path_exists", { readonly path: string }>
  | Problem<"worktree_failed", { readonly detail: string }>;

type Ctx = {
  readonly options: CreateTaskWorktreeOptions;
  readonly root: string;
  readonly commonDir: string;
  readonly bare: boolean;
  readonly dir: string;
  readonly branch: string;
  readonly ref: string;
  readonly base: string;
  /** The task branch head before this call (null: no branch yet). */
  readonly branchHead: string | null;
};

async function samePath(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [x, y] = await Promise.all([realpathOrNull(a), realpathOrNull(b)]);
  return x !== null && x === y;
}

/** Finds this task's registered worktree, or another worktree holding its branch. */
async function inspectWorktrees(
  ctx: Pick<Ctx, "dir" | "ref">,
  entries: readonly WorktreeEntry[],
): Promise<{ atPath: WorktreeEntry | undefined; onBranch: WorktreeEntry | undefined }> {
  let atPath: WorktreeEntry | undefined;
  let onBranch: WorktreeEntry | undefined;
  for (const entry of entries) {
    if (await samePath(entry.path, ctx.dir)) atPath = entry;
    else if (entry.branch === ctx.ref) onBranch = entry;
  }
  return { atPath, onBranch };
}

/** Makes sure the task branch exists and points where it should; returns its head. */
async function prepareBranch(ctx: Ctx): Promise<Result<string, CreateError>> {
  const { ref, base, root } = ctx;
  const policy = ctx.options.policy ?? {};
  const head = ctx.branchHead;
  if (head === null) {
    const made = await updateRef(root, ref, base, null, policy, `omk: create task branch from ${base}`);
    return made.ok ? ok(base) : made;
  }
  if (head === base || (ctx.options.existingBranch ?? "resume") === "resume") return ok(head);
  const keepers = [attemptRefPrefix(ctx.options.goalId, ctx.options.taskId), `refs/heads/${integrationBranch(ctx.options.goalId)}`];
  if ((await refsContaining(root, head, keepers)).length === 0) {
    const kept = [...(await listRefs(root, keepers)).keys()];
    const commits = await commitsNotIn(root, head, [base, ...kept]);
    return {
      ok: false,
      error: problem(
        "unkept_commits",
        `${ctx.branch} has ${commits.length} commit(s) beyond the base that no kept ref holds; restarting would drop them`,
        "keep the attempt first (keepAttempt), or resume the branch as it is",
        { head, commits },
      ),
    };
  }
  const moved = await updateRef(root, ref, base, head, policy, `omk: restart task branch at ${base} (attempt kept)`);
  return moved.ok ? ok(base) : moved;
}

async function addWorktree(ctx: Ctx): Promise<{ ok: true } | { ok: false; detail: string }> {
  await mkdir(path.dirname(ctx.dir), { recursive: true });
  try {
    await git(ctx.root, ["worktree", "add", "--quiet", "--", ctx.dir, ctx.branch]);
    return { ok: true };
  } catch (cause) {
    if (!(cause instanceof GitCommandError)) throw cause;
    return { ok: false, detail: cause.stderr };
  }
}

async function finish(
  ctx: Ctx,
  mode: WorktreeMode,
  fallbackReason: string | null,
  reused: boolean,
  dirty: DirtyFile[],
  knownHead?: string,
): Promise<TaskWorktree> {
  const real = (await realpathOrNull(ctx.dir)) ?? ctx.dir;
  const head = knownHead ?? (await resolveCommit(real, "HEAD")) ?? ctx.base;
  const copy = ctx.bare ? { copied: [], skipped: [] } : await copyUntracked(ctx.root, real, ctx.options.copyUntracked ?? []);
  const worktree: TaskWorktree = {
    goalId: ctx.options.goalId,
    taskId: ctx.options.taskId,
    repo: ctx.root,
    path: real,
    branch: ctx.branch,
    base: ctx.base,
    mode,
    fallbackReason,
    reused,
    head,
    dirty,
    copied: copy.copied,
    copySkipped: copy.skipped,
  };
  emit(ctx.options.onEvent, { type: "worktree_created", goalId: worktree.goalId, taskId: worktree.taskId, path: real, mode, fallbackReason, reused });
  return worktree;
}

export async function createTaskWorktree(options: CreateTaskWorktreeOptions): Promise<Result<TaskWorktree, CreateError>> {
  const badId = checkGoalId(options.goalId) ?? checkTaskId(options.taskId);
  if (badId !== undefined) return { ok: false, error: badId };
  if (options.dir.trim() === "")
    return { ok: false, error: invalidInput("the worktree folder is empty", "pass a folder, e.g. taskWorktreeDir(stateRoot, goalId, taskId)") };
  const repo = await openRepo(options.repo);
  if (!repo.ok) return repo;
  const { root, commonDir, bare } = repo.value;
  const dir = path.resolve(options.dir);
  const branch = taskBranch(options.goalId, options.taskId);
  const ref = `refs/heads/${branch}`;
  const refused = checkWritableRef(ref, options.policy);
  if (refused !== undefined) return { ok: false, error: refused };
  // Independent reads, side by side: the two commits, the main checkout's status (reported, never touched), the worktrees.
  const [[base, branchHead = null], dirty, entries] = await Promise.all([
    resolveCommits(root, [options.base, ref]),
    bare ? Promise.resolve([]) : checkoutStatus(root),
    listWorktrees(root),
  ]);
  if (base === null || base === undefined) {
    return {
      ok: false,
      error: problem("base_not_found", `the base ${JSON.stringify(options.base)} names no commit in ${root}`, "pass the goal's base commit sha", {
        base: options.base,
      }),
    };
  }
  if (path.relative(root, dir) === "" || path.relative(commonDir, dir).split(path.sep)[0] !== "..") {
    return { ok: false, error: invalidInput(`${dir} is the repository or inside its git dir`, "put task checkouts under the state root (taskWorktreeDir)") };
  }
  const ctx: Ctx = { options, root, commonDir, bare, dir, branch, ref, base, branchHead };

  if (dirty.length > 0) emit(options.onEvent, { type: "main_checkout_dirty", repo: root, files: dirty.map((f) => f.path) });

  const mode = options.mode ?? "clone";
  const { atPath, onBranch } = await inspectWorktrees(ctx, entries);
  if (atPath !== undefined) {
    const present = await exists(dir);
    if (atPath.branch === ref && present && !atPath.locked) return ok(await finish(ctx, "worktree", null, true, dirty));
    if (atPath.branch === ref && present && atPath.lockReason === "initializing") {
      // `git worktree add` was interrupted: nothing ran in it yet, so make it again.
      await git(root, ["worktree", "remove", "--force", "--force", "--", dir]);
    } else if (!present) {
      await forgetWorktree(commonDir, atPath.path);
    } else {
      return {
        ok: false,
        error: problem(
          "path_exists",
          `${dir} is a worktree of ${atPath.branch ?? "a detached HEAD"}${atPath.locked ? " (locked)" : ""}`,
          "remove it, or pass another folder",
          { path: dir },
        ),
      };
    }
  } else if (await isScratchCloneOf(dir, commonDir)) {
    const cloneHead = await git(dir, ["symbolic-ref", "--quiet", "HEAD"], { allow: [1] });
    if (cloneHead.stdout.trim() === ref) return ok(await finish(ctx, "clone", null, true, dirty));
    return {
      ok: false,
      error: problem(
        "path_exists",
        `${dir} is a scratch clone checked out on ${cloneHead.stdout.trim() || "a detached HEAD"}`,
        "remove it, or pass another folder",
        { path: dir },
      ),
    };
  } else if ((await exists(dir)) && !(await isEmptyDir(dir))) {
    return { ok: false, error: problem("path_exists", `${dir} exists and is not this task's worktree`, "remove it, or pass another folder", { path: dir }) };
  }
  if (onBranch !== undefined) {
    if (!onBranch.prunable) {
      return {
        ok: false,
        error: problem("branch_in_use", `${branch} is checked out in ${onBranch.path}`, "remove that worktree (cleanup) or use it", {
          branch,
          path: onBranch.path,
        }),
      };
    }
    await forgetWorktree(commonDir, onBranch.path);
  }

  const head = await prepareBranch(ctx);
  if (!head.ok) return head;

  let fallbackReason: string | null = null;
  if (mode !== "clone") {
    const added = await addWorktree(ctx);
    if (added.ok) return ok(await finish(ctx, "worktree", null, false, dirty, head.value));
    if (mode === "worktree") {
      return {
        ok: false,
        error: problem("worktree_failed", `git worktree add failed: ${added.detail}`, 'allow the fallback (mode "auto") or fix the repository', {
          detail: added.detail,
        }),
      };
    }
    fallbackReason = `git worktree add failed: ${added.detail}`;
    if ((await exists(dir)) && !(await isEmptyDir(dir))) {
      return {
        ok: false,
        error: problem("worktree_failed", `${fallbackReason}; and it left ${dir} behind`, "remove the folder and try again", { detail: added.detail }),
      };
    }
  }
  try {
    await createScratchClone(commonDir, dir, branch, head.value);
  } catch (cause) {
    if (!(cause instanceof GitCommandError)) throw cause;
    const detail =
      fallbackReason === null ? `the task's checkout could not be made: ${cause.stderr}` : `${fallbackReason}; scratch clone failed too: ${cause.stderr}`;
    return { ok: false, error: problem("worktree_failed", detail, "check disk space and permissions of the worktree folder", { detail }) };
  }
  return ok(await finish(ctx, "clone", fallbackReason, false, dirty, head.value));
}

/**
 * Uncommitted changes of the main checkout (tracked changes and untracked
 * files; ignored files not listed), reported so the controller can tell the
 * user. OMK never changes them. Empty for a bare repository.
 */
export async function mainCheckoutStatus(repo: string): Promise<Result<DirtyFile[], NotARepository>> {
  const opened = await openRepo(repo);
  if (!opened.ok) return opened;
  return ok(opened.value.bare ? [] : await checkoutStatus(opened.value.root));
}
