// A checkout with a git directory of its own (not a `git worktree add` of the
// user's repository): `git init` with no template, the user's objects borrowed
// read-only through `objects/info/alternates`, and nothing else of the user's
// git dir (no config, hooks, refs or attributes). What runs in it, or is
// planted in its `.git`, stays there; OMK brings commits back by a fetch
// (objects copied) and the user's repository never points at it.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { git } from "./git.js";

/** The object format of the repository whose git dir is `commonDir`: sha256 only when its config says `extensions.objectFormat = sha256` (read as text: one git process less per checkout). */
async function objectFormat(commonDir: string): Promise<string> {
  const config = await readFile(path.join(commonDir, "config"), "utf8").catch(() => "");
  return /^\s*objectformat\s*=\s*"?sha256"?\s*$/im.test(config) ? "sha256" : "sha1";
}

/**
 * Makes `dir` (absent or empty) a repository that borrows the objects of
 * `commonDir` (the user's shared git dir). Copied too, as data only: the
 * user's `info/exclude` (ignore patterns, so a capture does not commit what
 * the user ignores there) and `shallow` (so history walks in a shallow
 * repository stop where the user's do). With `branch`, HEAD names that
 * branch from the start.
 */
export async function initOwnGitDir(commonDir: string, dir: string, branch?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const initial = branch === undefined ? [] : [`--initial-branch=${branch}`];
  await git(dir, ["init", "--quiet", "--template=", `--object-format=${await objectFormat(commonDir)}`, ...initial, "--", dir]);
  const gitDir = path.join(dir, ".git");
  await mkdir(path.join(gitDir, "objects", "info"), { recursive: true });
  await mkdir(path.join(gitDir, "info"), { recursive: true });
  await writeFile(path.join(gitDir, "objects", "info", "alternates"), `${path.join(commonDir, "objects")}\n`);
  await copyFile(path.join(commonDir, "info", "exclude"), path.join(gitDir, "info", "exclude")).catch(() => undefined);
  await copyFile(path.join(commonDir, "shallow"), path.join(gitDir, "shallow")).catch(() => undefined);
  return gitDir;
}

/** Fills the index and working tree of `dir` from its HEAD (no hooks run: OMK's git runs none). */
export async function checkoutHead(dir: string): Promise<void> {
  await git(dir, ["read-tree", "--reset", "-u", "HEAD"]);
}
