import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "omk-test",
  GIT_AUTHOR_EMAIL: "omk-test@example.invalid",
  GIT_COMMITTER_NAME: "omk-test",
  GIT_COMMITTER_EMAIL: "omk-test@example.invalid",
};

/**
 * Writes files (a `null` content deletes the file; folders are made as
 * needed), commits everything in a real git repository, and returns the new
 * head sha. Pair it with initGitRepo for a base commit and one or more heads.
 */
export async function commitFiles(dir: string, files: Record<string, string | null>, message = "change"): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (content === null) {
      rmSync(file, { force: true });
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  await execa("git", ["add", "-A"], { cwd: dir });
  await execa("git", ["commit", "-q", "--allow-empty", "-m", message], { cwd: dir, env: GIT_ENV });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: dir });
  return stdout.trim();
}

/** The unified diff between two commits, as `git diff` prints it (renames detected, no colour). */
export async function gitDiff(dir: string, from: string, to: string): Promise<string> {
  const { stdout } = await execa("git", ["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "-M", from, to], {
    cwd: dir,
    stripFinalNewline: false,
  });
  return stdout;
}

/** A detached worktree of `commit` at `target` (a path that does not exist yet); returns `target`. */
export async function checkoutWorktree(dir: string, commit: string, target: string): Promise<string> {
  await execa("git", ["worktree", "add", "-q", "--detach", target, commit], { cwd: dir });
  return target;
}
