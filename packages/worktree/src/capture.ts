/**
 * Change capture: commit everything the task left in its checkout onto its
 * branch (a message naming goal and task), and return what changed since the
 * base commit as values: files (A/M/D/R/C/T, old paths, modes, symlink
 * targets) and the diff text.
 *
 * The commit is made with plumbing (`add -A`, `write-tree`, `commit-tree`,
 * compare-and-swap `update-ref`): no hooks, no signing prompt, an explicit
 * identity, and a branch that moved underneath is a value, not an overwrite.
 * Untracked files copied in by createTaskWorktree and setup products the
 * controller lists in `copied` (node_modules, .venv) are never committed.
 * A nested repository (a `.git` in a folder of the change, a gitlink staged
 * or committed by the agent) is refused before anything is staged:
 * `nested_repository`, with one scope violation per path.
 */
import { mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ok, type Result } from "@omk/core";
import { type ConcurrentUpdate, GitCommandError, type Problem, type ProtectedRef, problem, type SyncFailed } from "./errors.js";
import { emit, type WorktreeEventSink } from "./events.js";
import { exists } from "./internal/fs.js";
import { type CommitIdentity, commitEnv, DEFAULT_IDENTITY, git, gitEnv, gitLine, splitNul } from "./internal/git.js";
import { nestedRepositories } from "./internal/nested.js";
import { parseRawDiff } from "./internal/raw-diff.js";
import { updateRef } from "./internal/refs.js";
import { openRepo } from "./internal/repo.js";
import { isScratchCloneOf, syncBack } from "./internal/scratch-clone.js";
import { type ContentScreen, type ScreenFinding, screenChange } from "./internal/screen.js";
import type { RefPolicy } from "./policy.js";
import type { Capture, ChangedFile, ScopeViolation, TaskWorktree } from "./schemas.js";

export const DEFAULT_MAX_DIFF_BYTES = 8 * 1024 * 1024;

export type CaptureOptions = {
  /** A summary line for the commit; goal and task are always named. */
  readonly message?: string;
  /** Commit date (default: now). Fixed dates make commits reproducible. */
  readonly date?: Date | number;
  /** Author and committer (default omk <omk@localhost>). */
  readonly identity?: CommitIdentity;
  /** The diff text is cut at this many bytes (diffTruncated then says so). */
  readonly maxDiffBytes?: number;
  /**
   * An `index.lock` left in the task's checkout by a git process that was
   * killed is removed when it is older than this (default 30 s); a younger one
   * means git may still be working there, and capture returns `index_locked`.
   */
  readonly staleLockMs?: number;
  readonly policy?: RefPolicy;
  readonly onEvent?: WorktreeEventSink;
  /**
   * What must never reach the user's repository (the run's known secrets):
   * every object the task branch would bring (base to head: each file's whole
   * content, binary or not, in every commit; names; commit messages) is read
   * raw and screened BEFORE the branch is brought back. A finding (or an
   * object too large to read) refuses the capture (`content_refused`): the
   * checkout's branch is put back to where it was, nothing is fetched into
   * the user's repository, and the caller discards the checkout
   * (discardCheckout). Only a clone-mode checkout keeps the objects out of
   * the user's repository: a `git worktree add` checkout shares its object
   * store.
   */
  readonly screen?: ContentScreen;
};

/** The capture was refused by its screen; `findings` name the files, never what matched in them. */
type ContentRefused = Problem<"content_refused", { readonly findings: readonly ScreenFinding[] }>;

export type CaptureError =
  | ContentRefused
  | Problem<"worktree_missing", { readonly path: string }>
  | Problem<"nested_repository", { readonly violations: readonly ScopeViolation[] }>
  | Problem<"index_locked", { readonly lock: string }>
  | Problem<"head_moved", { readonly head: string | null }>
  | ProtectedRef
  | ConcurrentUpdate
  | SyncFailed;

const DEFAULT_STALE_LOCK_MS = 30_000;

/** A gitignore pattern matching exactly `rel` from the top of the checkout (glob characters and trailing spaces escaped). */
function anchoredPattern(rel: string): string {
  return `/${rel.replace(/[\\*?[\]]/g, (c) => `\\${c}`).replace(/ $/, "\\ ")}`;
}

/** The user's global excludes file (core.excludesFile, else git's default $XDG_CONFIG_HOME/git/ignore), "" when there is none. */
async function userExcludes(cwd: string): Promise<string> {
  const configured = (await git(cwd, ["config", "--path", "--get", "core.excludesFile"], { allow: [1] })).stdout.trim();
  const env = gitEnv();
  const xdg =
    env["XDG_CONFIG_HOME"] !== undefined && env["XDG_CONFIG_HOME"] !== ""
      ? env["XDG_CONFIG_HOME"]
      : env["HOME"] !== undefined
        ? path.join(env["HOME"], ".config")
        : undefined;
  const file = configured !== "" ? path.resolve(cwd, configured) : xdg === undefined ? undefined : path.join(xdg, "git", "ignore");
  if (file === undefined) return "";
  return await readFile(file, "utf8").catch(() => "");
}

/**
 * `git add --all`, keeping the copied files and setup products out, clearing a
 * stale index.lock once. They are kept out by an OMK-owned excludes file
 * (`-c core.excludesFile`: the user's global excludes plus one anchored
 * pattern per path, in a temp dir outside the repository), not by exclude
 * pathspecs: git exits 1 on an excluded pathspec the user's .gitignore also
 * ignores. The user's .gitignore and .git/info/exclude are neither read
 * differently nor touched. Then the index entries of those paths are put back
 * to the parent's (`git reset <parent> -- paths`), so a .gitignore that
 * un-ignores them or an agent's `git add -f` still commits none of them.
 */
async function stageAll(
  cwd: string,
  parent: string,
  copied: readonly string[],
  excludeArgs: readonly string[],
  staleLockMs: number,
): Promise<{ ok: true } | { ok: false; error: Problem<"index_locked", { readonly lock: string }> }> {
  const added = await locked(cwd, [...excludeArgs, "add", "--all", "--", "."], staleLockMs);
  if (!added.ok || copied.length === 0) return added;
  return await locked(cwd, ["--literal-pathspecs", "reset", "-q", parent, "--", ...copied], staleLockMs);
}

/**
 * Runs `body` with the `-c core.excludesFile=…` arguments that keep the
 * copied files out (none when nothing was copied); the file lives in a temp
 * dir outside the repository for the call only.
 */
async function withCopiedExcluded<T>(cwd: string, copied: readonly string[], body: (excludeArgs: readonly string[]) => Promise<T>): Promise<T> {
  if (copied.length === 0) return await body([]);
  const dir = await mkdtemp(path.join(os.tmpdir(), "omk-capture-"));
  try {
    const excludes = path.join(dir, "excludes");
    const user = await userExcludes(cwd);
    await writeFile(excludes, `${user}${user === "" || user.endsWith("\n") ? "" : "\n"}${copied.map(anchoredPattern).join("\n")}\n`);
    return await body(["-c", `core.excludesFile=${excludes}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One index-writing git command, clearing a stale index.lock once. */
async function locked(
  cwd: string,
  args: readonly string[],
  staleLockMs: number,
): Promise<{ ok: true } | { ok: false; error: Problem<"index_locked", { readonly lock: string }> }> {
  for (let attempt = 0; ; attempt++) {
    const run = await git(cwd, args, { allow: [128] });
    if (run.exitCode === 0) return { ok: true };
    if (!run.stderr.includes("index.lock")) throw new GitCommandError(args, cwd, run.exitCode, run.stderr.trim());
    const lock = path.resolve(cwd, await gitLine(cwd, ["rev-parse", "--git-path", "index.lock"]));
    const age = await stat(lock).then(
      (s) => Date.now() - s.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    if (attempt > 0 || age < staleLockMs) {
      return {
        ok: false,
        error: problem(
          "index_locked",
          `another git process holds ${lock} (for ${Math.round(age / 1000)} s)`,
          "wait for it; if no git process runs in the task's checkout, delete the lock file",
          { lock },
        ),
      };
    }
    await rm(lock, { force: true });
  }
}

function nestedProblem(cwd: string, violations: readonly ScopeViolation[]): Problem<"nested_repository", { readonly violations: readonly ScopeViolation[] }> {
  const paths = violations.map((v) => v.path).join(", ");
  return problem(
    "nested_repository",
    `the task's checkout holds ${violations.length === 1 ? "a nested git repository" : `${violations.length} nested git repositories`} (${paths}); nothing was captured`,
    `a task's change is files, never another repository: remove the nested .git (or the gitlink commit) in ${cwd}, or vendor the project as plain files`,
    { violations },
  );
}

/** The commit message of a capture: a summary, then trailers naming goal and task. */
function captureMessage(goalId: string, taskId: string, summary?: string): string {
  const title = summary?.trim() || `omk: task ${taskId} of goal ${goalId}`;
  return `${title}\n\nOMK-Goal: ${goalId}\nOMK-Task: ${taskId}\n`;
}

/** Fills in where symlinks point (their blob holds the target). */
async function withSymlinkTargets(cwd: string, files: ChangedFile[]): Promise<ChangedFile[]> {
  return await Promise.all(
    files.map(async (file) => {
      if (file.kind !== "symlink") return file;
      const sha = file.status === "D" ? file.oldSha : file.newSha;
      if (sha === null) return file;
      const target = (await git(cwd, ["cat-file", "blob", sha])).stdout;
      return { ...file, symlinkTarget: target };
    }),
  );
}

/**
 * What changed between two commits (`from` to `to`), with rename and copy
 * detection: one value per path, symlink targets filled in.
 */
async function changedFiles(cwd: string, from: string, to: string): Promise<ChangedFile[]> {
  const run = await git(cwd, ["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "-M", "-C", from, to]);
  return await withSymlinkTargets(cwd, parseRawDiff(run.stdout));
}

/** Every symlink in `commit`'s tree with its link text; read only when `files` add or change a symlink (checkScope needs them then). */
async function treeSymlinks(cwd: string, commit: string, files: readonly ChangedFile[]): Promise<Record<string, string>> {
  if (!files.some((f) => f.kind === "symlink" && f.status !== "D")) return {};
  const entries = splitNul((await git(cwd, ["ls-tree", "-r", "-z", "--full-tree", commit])).stdout)
    .map((line) => /^120000 blob ([0-9a-f]+)\t(.*)$/s.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ sha: m[1] as string, path: m[2] as string }));
  const links: Record<string, string> = {};
  for (let i = 0; i < entries.length; i += 16) {
    await Promise.all(
      entries.slice(i, i + 16).map(async (entry) => {
        links[entry.path] = (await git(cwd, ["cat-file", "blob", entry.sha])).stdout;
      }),
    );
  }
  return links;
}

async function diffText(cwd: string, from: string, to: string, maxBytes: number): Promise<{ diff: string; truncated: boolean }> {
  const run = await git(cwd, ["diff-tree", "-r", "-p", "-M", "-C", "--no-color", "--no-ext-diff", "--no-textconv", from, to], { maxBuffer: maxBytes });
  return { diff: run.stdout, truncated: run.truncated };
}

/**
 * Removes a clone-mode task checkout and everything only it holds (its own
 * object store), bringing nothing into the user's repository: for a checkout
 * whose work must not be kept (a refused capture). Refuses a folder that is
 * not OMK's checkout for this repository.
 */
export async function discardCheckout(
  worktree: TaskWorktree,
): Promise<Result<{ readonly removed: boolean }, Problem<"not_a_worktree", { readonly path: string }>>> {
  if (!(await exists(worktree.path))) return ok({ removed: false });
  const repo = await openRepo(worktree.repo);
  if (worktree.mode !== "clone" || !repo.ok || !(await isScratchCloneOf(worktree.path, repo.value.commonDir))) {
    return {
      ok: false,
      error: problem("not_a_worktree", `${worktree.path} is not a checkout of its own OMK made for ${worktree.repo}`, "look at the folder by hand", {
        path: worktree.path,
      }),
    };
  }
  const trash = `${worktree.path}.omk-discarding-${process.pid}`;
  await rename(worktree.path, trash);
  await rm(trash, { recursive: true, force: true });
  return ok({ removed: true });
}

export async function captureChanges(worktree: TaskWorktree, options: CaptureOptions = {}): Promise<Result<Capture, CaptureError>> {
  const cwd = worktree.path;
  const ref = `refs/heads/${worktree.branch}`;
  const policy = options.policy ?? {};
  if (!(await exists(cwd))) {
    return {
      ok: false,
      error: problem("worktree_missing", `the task's checkout ${cwd} does not exist`, "create it again (createTaskWorktree)", { path: cwd }),
    };
  }
  // HEAD's commit and tree, and the branch HEAD is on ("HEAD" when detached), in one call.
  const [parent = "", parentTree = "", symbolic = ""] = (await gitLine(cwd, ["rev-parse", "HEAD", "HEAD^{tree}", "--symbolic-full-name", "HEAD"])).split("\n");
  if (symbolic !== ref) {
    const head = symbolic === "HEAD" || symbolic === "" ? null : symbolic;
    return {
      ok: false,
      error: problem(
        "head_moved",
        `the task's checkout is on ${head ?? "a detached HEAD"}, not ${ref}; its work is not captured`,
        `check out ${worktree.branch} in ${cwd} again (nothing was committed or moved)`,
        { head },
      ),
    };
  }
  // A nested repository is refused before `git add` (which would run git inside it): nothing is staged or committed.
  const staged = await withCopiedExcluded(cwd, worktree.copied, async (excludeArgs) => {
    const nested = await nestedRepositories(cwd, worktree.base, parent, excludeArgs);
    if (nested.length > 0) return { ok: false as const, error: nestedProblem(cwd, nested) };
    return await stageAll(cwd, parent, worktree.copied, excludeArgs, options.staleLockMs ?? DEFAULT_STALE_LOCK_MS);
  });
  if (!staged.ok) return staged;
  const tree = await gitLine(cwd, ["write-tree"]);

  let commit: string | null = null;
  if (tree !== parentTree) {
    const env = commitEnv(options.identity ?? DEFAULT_IDENTITY, options.date ?? new Date());
    const message = captureMessage(worktree.goalId, worktree.taskId, options.message);
    commit = await gitLine(cwd, ["commit-tree", "--no-gpg-sign", tree, "-p", parent], { env, input: message });
    const moved = await updateRef(cwd, ref, commit, parent, policy, `omk: capture task ${worktree.taskId}`);
    if (!moved.ok) return moved;
  }
  let head = commit ?? parent;
  if (options.screen !== undefined) {
    const findings = await screenChange(cwd, worktree.base, head, await changedFiles(cwd, worktree.base, head), options.screen);
    if (findings.length > 0) {
      // The checkout's branch goes back to where it was: no later sync (cleanup, keepAttempt) can bring the commit over.
      if (commit !== null) {
        const back = await updateRef(cwd, ref, parent, commit, policy, `omk: capture of task ${worktree.taskId} refused`);
        if (!back.ok) return back;
      }
      const list = findings.map((f) => `${f.path} (${f.reason === "matched" ? f.detail : "too large to screen"})`).join(", ");
      return {
        ok: false,
        error: problem(
          "content_refused",
          `the work of task ${worktree.taskId} holds what must not reach ${worktree.repo}: ${list}; nothing was brought into it`,
          "discard the task's checkout (discardCheckout) and keep the value out of the change",
          { findings },
        ),
      };
    }
  }
  if (worktree.mode === "clone") {
    const synced = await syncBack(worktree.repo, cwd, worktree.branch, policy);
    if (!synced.ok) return synced;
    head = synced.head;
  }
  const [files, text] = await Promise.all([
    changedFiles(cwd, worktree.base, head),
    diffText(cwd, worktree.base, head, options.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES),
  ]);
  const symlinks = await treeSymlinks(cwd, head, files);
  emit(options.onEvent, { type: "changes_captured", goalId: worktree.goalId, taskId: worktree.taskId, commit, head, files: files.length });
  return ok({
    goalId: worktree.goalId,
    taskId: worktree.taskId,
    branch: worktree.branch,
    base: worktree.base,
    head,
    commit,
    files,
    diff: text.diff,
    diffTruncated: text.truncated,
    symlinks,
  });
}
