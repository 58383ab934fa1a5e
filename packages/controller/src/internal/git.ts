/** One way to run git in this package: hooks and signing off, no optional locks, plain C messages, never throwing. */
import { execa } from "execa";

/** Git with hooks and signing off, no optional locks, plain C messages; never throws (the caller reads `ok`). */
export async function git(cwd: string, args: readonly string[], options: { encoding?: "buffer" } = {}): Promise<{ ok: boolean; stdout: string; stderr: string; bytes?: Uint8Array }> {
  const r = await execa("git", ["-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false", ...args], {
    cwd,
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
    env: { GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" },
    ...(options.encoding === "buffer" ? { encoding: "buffer" as const } : {}),
  });
  const stdout = r.stdout instanceof Uint8Array ? "" : String(r.stdout ?? "");
  return { ok: r.exitCode === 0, stdout, stderr: String(r.stderr ?? ""), ...(r.stdout instanceof Uint8Array ? { bytes: r.stdout } : {}) };
}

/** The full sha of `ref` in `repo`, or null when it is not a commit there. */
export async function resolveCommit(repo: string, ref: string): Promise<string | null> {
  const r = await git(repo, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return r.ok ? r.stdout.trim() : null;
}
