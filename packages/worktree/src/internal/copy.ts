// Copies named untracked files (e.g. `.env`) from the main checkout into a task's checkout.
// Names follow the shared path rules; nothing is read from outside the repository (a symlink
// is followed only while it stays inside) and nothing is written outside the task's checkout.
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { normalizeScopePath } from "@omk/state";
import type { CopySkip, CopySkipReason } from "../schemas.js";
import { isInside, realpathOrNull, relativePosix } from "./fs.js";
import { git, splitNul } from "./git.js";

export type CopyOutcome = { copied: string[]; skipped: CopySkip[] };

function skip(skipped: CopySkip[], name: string, reason: CopySkipReason, message: string): void {
  skipped.push({ path: name, reason, message });
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

/** Whether a repository-relative path lies in git's own folder (checked with the shared rules). */
function inGitDir(rel: string): boolean {
  const checked = normalizeScopePath(rel);
  return !checked.ok && checked.code === "git_dir";
}

export async function copyUntracked(repoTop: string, worktree: string, names: readonly string[]): Promise<CopyOutcome> {
  const copied: string[] = [];
  const skipped: CopySkip[] = [];
  if (names.length === 0) return { copied, skipped };
  const realRepo = (await realpathOrNull(repoTop)) ?? repoTop;
  const realWorktree = (await realpathOrNull(worktree)) ?? worktree;

  const wanted: string[] = [];
  for (const name of names) {
    const checked = normalizeScopePath(name);
    if (!checked.ok) skip(skipped, name, "invalid_path", checked.message);
    else if (checked.kind !== "exact")
      skip(skipped, name, "invalid_path", `${JSON.stringify(name)} is a ${checked.kind}; name single files to copy, e.g. ".env"`);
    else if (!wanted.includes(checked.path)) wanted.push(checked.path);
  }
  if (wanted.length === 0) return { copied, skipped };

  // Files the task's checkout tracks are never overwritten by copies of the main checkout.
  const tracked = new Set(splitNul((await git(realWorktree, ["ls-files", "-z", "--", ...wanted.map((p) => `:(literal)${p}`)])).stdout));

  for (const rel of wanted) {
    if (tracked.has(rel)) {
      skip(skipped, rel, "tracked", `${rel} is tracked at the base commit, so the task's checkout has it already`);
      continue;
    }
    const source = await realpathOrNull(path.join(realRepo, rel));
    if (source === null) {
      skip(skipped, rel, "missing", `${rel} does not exist in ${repoTop}`);
      continue;
    }
    if (!isInside(realRepo, source) || inGitDir(relativePosix(realRepo, source))) {
      skip(skipped, rel, "outside_repo", `${rel} resolves to ${source}, outside the repository's files; copies are made only from inside it`);
      continue;
    }
    const info = await stat(source);
    if (!info.isFile()) {
      skip(skipped, rel, "not_a_file", `${rel} is not a regular file`);
      continue;
    }
    const target = path.join(realWorktree, rel);
    await mkdir(path.dirname(target), { recursive: true });
    const parent = await realpathOrNull(path.dirname(target));
    if (parent === null || !isInside(realWorktree, parent) || inGitDir(relativePosix(realWorktree, path.join(parent, path.basename(target))))) {
      skip(skipped, rel, "unsafe_destination", `${rel} would be written through a symlink to ${parent ?? "?"}, outside the task's checkout`);
      continue;
    }
    try {
      await copyFile(source, target, constants.COPYFILE_EXCL);
      await chmod(target, info.mode & 0o777);
      copied.push(rel);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw cause;
      // Copied by an earlier, interrupted call: the same bytes count as copied, anything else is the task's.
      const resolved = await realpathOrNull(target);
      if (resolved === null || !isInside(realWorktree, resolved)) {
        skip(skipped, rel, "unsafe_destination", `${rel} exists in the task's checkout as a link leading out of it`);
      } else if (await sameContent(source, target)) {
        copied.push(rel);
      } else {
        skip(skipped, rel, "exists_in_worktree", `${rel} exists in the task's checkout with other content; left as it is`);
      }
    }
  }
  return { copied, skipped };
}
