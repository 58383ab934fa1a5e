// More real-git helpers: bare remotes, clones, commits, and reachability checks for "no work lost" tests.
import { execa } from "execa";

const IDENTITY = {
  GIT_AUTHOR_NAME: "omk-test",
  GIT_AUTHOR_EMAIL: "omk-test@example.invalid",
  GIT_COMMITTER_NAME: "omk-test",
  GIT_COMMITTER_EMAIL: "omk-test@example.invalid",
};

/**
 * Environment that hides the machine's global and system git config, so a
 * test proves the code under test needs no configured git identity (as in CI).
 */
export const ISOLATED_GIT_ENV: Readonly<Record<string, string>> = { GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };

/** Runs git in `dir` (test identity set) and returns stdout without the final newline; throws on failure. */
export async function gitIn(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await execa("git", args, { cwd: dir, env: IDENTITY });
  return stdout;
}

/** A bare repository to act as a remote (default branch main). */
export async function initBareRepo(dir: string): Promise<string> {
  await execa("git", ["init", "-q", "--bare", "-b", "main", dir]);
  return dir;
}

/** Commits that no ref reaches (reflogs not counted): work that could be lost. */
export async function unreachableCommits(dir: string): Promise<string[]> {
  const { stdout } = await execa("git", ["fsck", "--unreachable", "--no-reflogs", "--no-progress"], { cwd: dir, env: IDENTITY });
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("unreachable commit "))
    .map((line) => line.slice("unreachable commit ".length).trim());
}

/** Full names of the refs (branches, refs/omk/*, ...) whose history contains `sha`. */
export async function refsContaining(dir: string, sha: string): Promise<string[]> {
  const out = await gitIn(dir, "for-each-ref", "--contains", sha, "--format=%(refname)");
  return out.split("\n").filter((line) => line !== "");
}
