import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { git as runGit } from "@omk/git";
import { GatesGitError } from "../errors.js";

/** A thin wrapper over the git commands the runner needs. Never changes the user's branches or index. */

/**
 * Every git call the gates make goes through @omk/git's runner: no hook of
 * the repository runs (`git worktree add` runs post-checkout, and a tracked
 * `.husky/` with core.hooksPath would be the project's code running outside
 * any gate), no fsmonitor program, no filter or textconv, and no program the
 * repository's own config names (docs/decisions/git.md). No optional locks.
 */
export async function git(
  cwd: string,
  args: readonly string[],
  options: { maxBuffer?: number } = {},
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const r = await runGit(cwd, args, { maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, env: { GIT_OPTIONAL_LOCKS: "0" } });
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr };
}

export type TreeState = { toplevel: string | null; commit: string | null; dirty: boolean | null };

/**
 * HEAD and whether the tree has uncommitted changes (tracked or untracked,
 * not ignored), leaving out `exclude` (the run's own output directory), from
 * one `git status` (a gate run pays for every process it starts). The top
 * level is looked up only when asked for. Outside a repository (or before
 * the first commit) everything is null.
 */
export async function treeState(dir: string, exclude: readonly string[] = [], options: { toplevel?: boolean } = { toplevel: true }): Promise<TreeState> {
  const pathspecs = exclude.map((p) => path.relative(dir, p)).filter((rel) => rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel));
  const [status, top] = await Promise.all([
    git(dir, ["status", "--porcelain=v2", "--branch", "--untracked-files=normal", "--", ":/", ...pathspecs.map((p) => `:(exclude)${p}`)]),
    options.toplevel === false ? Promise.resolve(undefined) : git(dir, ["rev-parse", "--show-toplevel"]),
  ]);
  const oid = /^# branch\.oid ([0-9a-f]{40,64})$/m.exec(status.stdout)?.[1];
  if (!status.ok || oid === undefined) return { toplevel: null, commit: null, dirty: null };
  const dirty = status.stdout.split("\n").some((line) => line !== "" && !line.startsWith("#"));
  return { toplevel: top?.ok === true ? top.stdout.trim() : null, commit: oid, dirty };
}

export async function resolveCommit(dir: string, ref: string): Promise<string> {
  const r = await git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!r.ok)
    throw new GatesGitError(`${ref} is not a commit in ${dir}`, {
      fix: "pass a branch, tag or sha that exists (fetch it first in a shallow CI checkout)",
      reason: "bad_ref",
    });
  return r.stdout.trim();
}

/**
 * A detached checkout of `commit` at `dir` with a git dir of its own: `git
 * init` with no template, the repository's objects borrowed read-only through
 * `objects/info/alternates`, its `info/exclude` and `shallow` copied as data.
 * Not a `git worktree add`: nothing is registered in the user's repository
 * (a kill leaves no registration), and what the base's tests plant in the
 * checkout's `.git` stays there (docs/decisions/worktree.md 17).
 */
export async function addWorktree(repo: string, dir: string, commit: string): Promise<void> {
  const info = await git(repo, ["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-object-format"]);
  const [commonDir = "", format = "sha1"] = info.stdout.trim().split("\n");
  if (!info.ok || commonDir === "") throw new GatesGitError(`${repo} is not a git repository: ${info.stderr.trim()}`);
  mkdirSync(dir, { recursive: true });
  const made = await git(dir, ["init", "--quiet", "--template=", `--object-format=${format === "sha256" ? "sha256" : "sha1"}`, "--", dir]);
  if (!made.ok) throw new GatesGitError(`git init failed in ${dir}: ${made.stderr.trim()}`);
  const gitDir = path.join(dir, ".git");
  mkdirSync(path.join(gitDir, "objects", "info"), { recursive: true });
  mkdirSync(path.join(gitDir, "info"), { recursive: true });
  writeFileSync(path.join(gitDir, "objects", "info", "alternates"), `${path.join(commonDir, "objects")}\n`);
  for (const file of [path.join("info", "exclude"), "shallow"]) {
    if (existsSync(path.join(commonDir, file))) copyFileSync(path.join(commonDir, file), path.join(gitDir, file));
  }
  for (const args of [
    ["update-ref", "--no-deref", "HEAD", commit],
    ["read-tree", "--reset", "-u", "HEAD"],
  ]) {
    const r = await git(dir, args);
    if (!r.ok) throw new GatesGitError(`a checkout of ${commit} failed (git ${args[0]}): ${r.stderr.trim()}`);
  }
}

/** Removes a checkout made by addWorktree (registered nowhere: deleting the folder is all). */
export async function removeWorktree(_repo: string, dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
}

const MAX_UNTRACKED_BYTES = 1024 * 1024;

/**
 * The change from `base` to the working tree as a unified diff: committed
 * and uncommitted changes to tracked files, plus untracked (not ignored)
 * text files as new files, except under `exclude` (the runner's own output).
 * Binary files are left out. `dir` is the repository's top level.
 */
export async function diffAgainst(dir: string, base: string, exclude: readonly string[] = []): Promise<string> {
  const pathspecs = exclude.map((p) => path.relative(dir, p)).filter((rel) => rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel));
  const [diff, untracked] = await Promise.all([
    git(dir, ["diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", base, "--"]),
    git(dir, ["ls-files", "--others", "--exclude-standard", "-z", "--", ".", ...pathspecs.map((p) => `:(exclude)${p}`)]),
  ]);
  if (!diff.ok) throw new GatesGitError(`git diff ${base} failed: ${diff.stderr.trim()}`);
  const parts = [diff.stdout];
  for (const file of untracked.stdout.split("\0").filter((f) => f !== "")) {
    const text = readTextFile(path.join(dir, file));
    if (text === undefined) continue;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    parts.push(
      `diff --git a/${file} b/${file}\nnew file mode 100644\n--- /dev/null\n+++ b/${file}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}\n`,
    );
  }
  return parts.join("");
}

/** The content of `file` at `rev` (null when it does not exist there). */
export async function fileAtRevision(dir: string, rev: string, file: string): Promise<string | null> {
  const r = await git(dir, ["show", `${rev}:${file}`]);
  return r.ok ? r.stdout : null;
}

/** A text file from the working tree (undefined when missing, binary or too big). */
export function readTextFile(file: string): string | undefined {
  try {
    if (statSync(file).size > MAX_UNTRACKED_BYTES) return undefined;
    const buf = readFileSync(file);
    if (buf.includes(0)) return undefined;
    return buf.toString("utf8");
  } catch {
    return undefined;
  }
}
