/** One way to run git in this package: @omk/git's runner (hooks, fsmonitor, filters, textconv and the repository's program-running config off), no optional locks, never throwing. */
import { git as runGit } from "@omk/git";

/** Git through @omk/git with no optional locks; never throws (the caller reads `ok`). */
export async function git(cwd: string, args: readonly string[], options: { encoding?: "buffer" } = {}): Promise<{ ok: boolean; stdout: string; stderr: string; bytes?: Uint8Array }> {
  const r = await runGit(cwd, args, { env: { GIT_OPTIONAL_LOCKS: "0" }, ...(options.encoding === "buffer" ? { encoding: "buffer" as const } : {}) });
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr, ...(r.bytes === undefined ? {} : { bytes: r.bytes }) };
}

/** The full sha of `ref` in `repo`, or null when it is not a commit there. */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const r = await git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.ok ? r.stdout.trim() : null;
}
