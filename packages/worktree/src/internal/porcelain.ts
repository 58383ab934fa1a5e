// Parsers for git's machine-readable listings (NUL-separated, so any file name survives).
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import type { DirtyFile } from "../schemas.js";
import { git, splitNul } from "./git.js";

export type WorktreeEntry = {
  readonly path: string;
  readonly head: string | null;
  /** Full ref name, null when detached or bare. */
  readonly branch: string | null;
  readonly bare: boolean;
  readonly locked: boolean;
  /** Why it is locked ("initializing" while `git worktree add` runs), "" when no reason was given. */
  readonly lockReason: string | null;
  readonly prunable: boolean;
};

/** Parses `git worktree list --porcelain -z`. */
export function parseWorktreeList(text: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: { -readonly [K in keyof WorktreeEntry]: WorktreeEntry[K] } | null = null;
  for (const field of text.split("\0")) {
    if (field === "") {
      if (current !== null) entries.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      if (current !== null) entries.push(current);
      current = { path: value, head: null, branch: null, bare: false, locked: false, lockReason: null, prunable: false };
    } else if (current !== null) {
      if (key === "HEAD") current.head = value;
      else if (key === "branch") current.branch = value;
      else if (key === "bare") current.bare = true;
      else if (key === "locked") {
        current.locked = true;
        current.lockReason = value;
      } else if (key === "prunable") current.prunable = true;
    }
  }
  if (current !== null) entries.push(current);
  return entries;
}

export async function listWorktrees(repo: string): Promise<WorktreeEntry[]> {
  return parseWorktreeList((await git(repo, ["worktree", "list", "--porcelain", "-z"])).stdout);
}

/** Parses `git status --porcelain=v1 -z`: `XY path`, renames and copies followed by their source. */
export function parseStatus(text: string): DirtyFile[] {
  const fields = splitNul(text);
  const files: DirtyFile[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (field.length < 4) continue;
    const status = field.slice(0, 2);
    const path = field.slice(3);
    let oldPath: string | null = null;
    if (status.includes("R") || status.includes("C")) {
      oldPath = fields[i + 1] ?? null;
      i++;
    }
    files.push({ path, status, oldPath });
  }
  return files;
}

/**
 * Uncommitted changes of a checkout: tracked changes and untracked files
 * (untracked folders collapsed to `dir/`); ignored files are not listed.
 */
export async function checkoutStatus(dir: string, excludes: readonly string[] = []): Promise<DirtyFile[]> {
  const pathspec = excludes.length === 0 ? [] : ["--", ".", ...excludes.map((p) => `:(exclude,literal)${p}`)];
  const run = await git(dir, ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=normal", "--ignore-submodules=none", ...pathspec]);
  return parseStatus(run.stdout);
}

/**
 * Drops the administrative entry (`<git dir>/worktrees/<name>`) of the worktree
 * registered at `worktreePath`, when its folder is gone: `git worktree prune`
 * for that one entry, leaving other people's missing worktrees alone.
 */
export async function forgetWorktree(commonDir: string, worktreePath: string): Promise<void> {
  const adminRoot = path.join(commonDir, "worktrees");
  let names: string[];
  try {
    names = await readdir(adminRoot);
  } catch {
    return;
  }
  const wanted = path.resolve(worktreePath);
  for (const name of names) {
    let gitdir: string;
    try {
      gitdir = (await readFile(path.join(adminRoot, name, "gitdir"), "utf8")).trim();
    } catch {
      continue;
    }
    if (path.resolve(path.dirname(gitdir)) === wanted) await rm(path.join(adminRoot, name), { recursive: true, force: true });
  }
}
