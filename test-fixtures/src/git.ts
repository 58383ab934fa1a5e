import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

const GIT_ENV = {
  GIT_AUTHOR_NAME: "omk-test",
  GIT_AUTHOR_EMAIL: "omk-test@example.invalid",
  GIT_COMMITTER_NAME: "omk-test",
  GIT_COMMITTER_EMAIL: "omk-test@example.invalid",
};

/** A real git repository with one commit on main; returns its head sha. */
export async function initGitRepo(dir: string, files: Record<string, string> = { "README.md": "# fixture\n" }): Promise<string> {
  await execa("git", ["init", "-q", "-b", "main", dir]);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  await execa("git", ["add", "-A"], { cwd: dir });
  await execa("git", ["commit", "-q", "-m", "initial"], { cwd: dir, env: GIT_ENV });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: dir });
  return stdout.trim();
}
