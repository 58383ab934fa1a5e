/**
 * The user's uncommitted work (at the start of a run: a goal works from
 * commits, so modified and untracked files are left out, named, never an error).
 */
import { quietGit } from "./internal/quiet-git.js";

/** How many files uncommittedFiles names before "and K more". */
const DIRTY_FILES_SHOWN = 10;

export type DirtyTree = { readonly files: readonly string[]; readonly more: number };

/** Modified, staged, deleted and untracked (not ignored) files of `repo`; undefined when clean or not a git checkout. */
export async function uncommittedFiles(repo: string, shown: number = DIRTY_FILES_SHOWN): Promise<DirtyTree | undefined> {
  const r = await quietGit(repo, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
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
