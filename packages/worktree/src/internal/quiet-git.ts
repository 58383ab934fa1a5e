/** Git for read-only questions (diffs, blobs, status, rev-parse): @omk/git's runner (hooks, fsmonitor, filters, textconv and the repository's program-running config off), no optional locks, never throwing. */
import { git as runGit } from "@omk/git";

export type QuietGitRun = { ok: boolean; stdout: string; stderr: string; bytes?: Uint8Array };

/** Git through @omk/git with no optional locks; never throws (the caller reads `ok`). */
export async function quietGit(cwd: string, args: readonly string[], options: { encoding?: "buffer" } = {}): Promise<QuietGitRun> {
  const r = await runGit(cwd, args, { env: { GIT_OPTIONAL_LOCKS: "0" }, ...(options.encoding === "buffer" ? { encoding: "buffer" as const } : {}) });
  return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr, ...(r.bytes === undefined ? {} : { bytes: r.bytes }) };
}
