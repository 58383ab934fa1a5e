/** What changed between two commits, and files as a commit holds them: read from git, no checkout touched. */
import { ok, type Result } from "@omk/core";
import { type Problem, problem } from "./errors.js";
import { quietGit } from "./internal/quiet-git.js";

/** `git diff base..head` (no colour, no external diff) and the changed paths. */
export async function diffOf(repo: string, base: string, head: string): Promise<{ diff: string; files: string[] }> {
  const [diff, names] = await Promise.all([
    quietGit(repo, ["diff", "--no-color", "--no-ext-diff", `${base}..${head}`]),
    quietGit(repo, ["diff", "--name-only", "-z", `${base}..${head}`]),
  ]);
  return { diff: diff.stdout, files: names.stdout.split("\0").filter((f) => f !== "") };
}

export type DiffFailed = Problem<"diff_failed", { readonly detail: string }>;

/** Repository-relative paths added, changed or deleted between two commits (no rename detection, paths unquoted). */
export async function changedPaths(repo: string, base: string, head: string): Promise<Result<string[], DiffFailed>> {
  const r = await quietGit(repo, ["-c", "core.quotePath=false", "diff", "--name-only", "--no-renames", "-z", base, head]);
  if (!r.ok) {
    const detail = r.stderr.trim();
    return {
      ok: false,
      error: problem("diff_failed", `git diff ${base} ${head} failed in ${repo}: ${detail}`, "check that both commits are in the repository", { detail }),
    };
  }
  return ok(r.stdout.split("\0").filter((f) => f !== ""));
}

/** The text of `file` at `commit`, or null when the commit has no such file. */
export async function fileAt(repo: string, commit: string, file: string): Promise<string | null> {
  const shown = await quietGit(repo, ["show", `${commit}:${file}`]);
  return shown.ok ? shown.stdout : null;
}

/** The bytes of the blob `file` at `commit`, or null when the commit has no such file. */
export async function blobAt(repo: string, commit: string, file: string): Promise<Uint8Array | null> {
  const shown = await quietGit(repo, ["cat-file", "blob", `${commit}:${file}`], { encoding: "buffer" });
  return shown.ok ? (shown.bytes ?? new Uint8Array()) : null;
}
