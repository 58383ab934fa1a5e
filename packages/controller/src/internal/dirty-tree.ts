/**
 * The user's uncommitted work at the start of a run. A goal works from
 * commits (its base commit, then task branches), so modified and untracked
 * files in the working tree are left out: named, never an error.
 */
import { git } from "./git.js";

/** How many files a message names before "and K more". */
export const DIRTY_FILES_SHOWN = 10;

export type DirtyTree = { readonly files: readonly string[]; readonly more: number };

/** Modified, staged, deleted and untracked (not ignored) files of `repo`; undefined when clean or not a git checkout. */
export async function uncommittedFiles(repo: string, shown: number = DIRTY_FILES_SHOWN): Promise<DirtyTree | undefined> {
  const r = await git(repo, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
  if (!r.ok) return undefined;
  const entries = String(r.stdout).split("\0");
  const files: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as string;
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    // A rename or copy is followed by its source path: skip it.
    if (entry[0] === "R" || entry[0] === "C") i++;
  }
  if (files.length === 0) return undefined;
  return { files: files.slice(0, shown), more: Math.max(0, files.length - shown) };
}

/** The one-line warning: what is left out, from which commit, and the fix. */
export function dirtyTreeMessage(dirty: DirtyTree, baseCommit: string): string {
  const count = dirty.files.length + dirty.more;
  const listed = `${dirty.files.join(", ")}${dirty.more > 0 ? ` and ${dirty.more} more` : ""}`;
  return `the working tree has ${count} uncommitted file${count === 1 ? "" : "s"} the run leaves out (it starts from commit ${baseCommit.slice(0, 12)}): ${listed} — fix: to include them, commit them and start a new goal; otherwise stash them (git stash -u) or leave them: they are not touched`;
}
