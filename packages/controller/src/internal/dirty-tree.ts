/**
 * The user's uncommitted work at the start of a run. A goal works from
 * commits (its base commit, then task branches), so modified and untracked
 * files in the working tree are left out: named, never an error. Which files
 * they are is @omk/worktree's uncommittedFiles.
 */
import type { DirtyTree } from "@omk/worktree";

/** The one-line warning: what is left out, from which commit, and the fix. */
export function dirtyTreeMessage(dirty: DirtyTree, baseCommit: string): string {
  const count = dirty.files.length + dirty.more;
  const listed = `${dirty.files.join(", ")}${dirty.more > 0 ? ` and ${dirty.more} more` : ""}`;
  return `the working tree has ${count} uncommitted file${count === 1 ? "" : "s"} the run leaves out (it starts from commit ${baseCommit.slice(0, 12)}): ${listed} — fix: to include them, commit them and start a new goal; otherwise stash them (git stash -u) or leave them: they are not touched`;
}
