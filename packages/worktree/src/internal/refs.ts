// Ref plumbing: every ref OMK moves goes through updateRef/deleteRef, which
// check the policy and compare-and-swap, so a ref that moved under us is a
// value (concurrent_update), never an overwrite.
import { type ConcurrentUpdate, GitCommandError, type ProtectedRef, problem } from "../errors.js";
import { checkWritableRef, type RefPolicy } from "../policy.js";
import { git, gitLine, splitNul } from "./git.js";

/** The commit `rev` names, or null when it names none. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  const run = await git(cwd, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`], { allow: [1, 128] });
  const sha = run.stdout.trim();
  return run.exitCode === 0 && sha !== "" ? sha : null;
}

/** The commits `revs` name (null for those naming none), in one `git cat-file --batch-check`. */
export async function resolveCommits(cwd: string, revs: readonly string[]): Promise<(string | null)[]> {
  if (revs.some((rev) => rev.includes("\n") || rev.trim() !== rev || rev === "")) return await Promise.all(revs.map((rev) => resolveCommit(cwd, rev)));
  const run = await git(cwd, ["cat-file", "--batch-check=%(objectname) %(objecttype)"], { input: revs.map((rev) => `${rev}^{commit}\n`).join("") });
  const lines = run.stdout.split("\n");
  return revs.map((_, i) => {
    const [sha, type] = (lines[i] ?? "").split(" ");
    return type === "commit" && sha !== undefined ? sha : null;
  });
}

export type RefInfo = { readonly sha: string; readonly time: number; readonly worktree: string | null };

/** The refs under `patterns` with their commit, committer time, and the worktree holding them (branches only). */
export async function refInfo(cwd: string, patterns: readonly string[]): Promise<Map<string, RefInfo>> {
  const run = await git(cwd, ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(committerdate:unix)%00%(worktreepath)", ...patterns]);
  const refs = new Map<string, RefInfo>();
  for (const line of run.stdout.split("\n")) {
    const [name, sha, time, worktree] = line.split("\0");
    if (name === undefined || sha === undefined || name === "") continue;
    refs.set(name, { sha, time: Number(time), worktree: worktree === undefined || worktree === "" ? null : worktree });
  }
  return refs;
}

/** Whether `ancestor` is reachable from `descendant` (equal counts). */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  const run = await git(cwd, ["merge-base", "--is-ancestor", ancestor, descendant], { allow: [1] });
  return run.exitCode === 0;
}

/** Full names of the refs under `prefixes` whose history contains `sha`. */
export async function refsContaining(cwd: string, sha: string, prefixes: readonly string[]): Promise<string[]> {
  if (prefixes.length === 0) return [];
  const run = await git(cwd, ["for-each-ref", "--contains", sha, "--format=%(refname)", ...prefixes]);
  return run.stdout.split("\n").filter((line) => line !== "");
}

/** `refname -> sha` for the refs under `prefixes`. */
export async function listRefs(cwd: string, prefixes: readonly string[]): Promise<Map<string, string>> {
  const run = await git(cwd, ["for-each-ref", "--format=%(refname)%00%(objectname)%00", ...prefixes]);
  const parts = splitNul(run.stdout.replaceAll("\n", ""));
  const refs = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) refs.set(parts[i] as string, parts[i + 1] as string);
  return refs;
}

/** Commits reachable from `heads` that none of `keepers` (commits or full ref names) reaches. */
export async function commitsNotIn(cwd: string, heads: string | readonly string[], keepers: readonly string[]): Promise<string[]> {
  const run = await git(cwd, ["rev-list", ...(typeof heads === "string" ? [heads] : heads), "--not", ...keepers, "--"]);
  return run.stdout.split("\n").filter((line) => line !== "");
}

function isCasFailure(stderr: string): boolean {
  return /but expected|reference already exists|cannot lock ref|unable to resolve reference/i.test(stderr);
}

/**
 * Points `ref` at `sha` if it still points at `expected` (null: it must not exist yet).
 * Refuses refs outside OMK's namespaces and protected branches.
 */
export async function updateRef(
  cwd: string,
  ref: string,
  sha: string,
  expected: string | null,
  policy: RefPolicy,
  reason: string,
): Promise<{ ok: true } | { ok: false; error: ProtectedRef | ConcurrentUpdate }> {
  const refused = checkWritableRef(ref, policy);
  if (refused !== undefined) return { ok: false, error: refused };
  const run = await git(cwd, ["update-ref", "-m", reason, ref, sha, expected ?? ""], { allow: [1, 128] });
  if (run.exitCode === 0) return { ok: true };
  if (isCasFailure(run.stderr)) {
    return {
      ok: false,
      error: problem(
        "concurrent_update",
        `${ref} moved while OMK was updating it (${run.stderr.trim()})`,
        "another process changed the ref; read it again and retry",
        { ref },
      ),
    };
  }
  throw new GitCommandError(["update-ref", ref, sha], cwd, run.exitCode, run.stderr.trim());
}

/** Deletes `ref` if it still points at `expected`. Same guards as updateRef. */
export async function deleteRef(
  cwd: string,
  ref: string,
  expected: string,
  policy: RefPolicy,
  reason: string,
): Promise<{ ok: true } | { ok: false; error: ProtectedRef | ConcurrentUpdate }> {
  const refused = checkWritableRef(ref, policy);
  if (refused !== undefined) return { ok: false, error: refused };
  const run = await git(cwd, ["update-ref", "-m", reason, "-d", ref, expected], { allow: [1, 128] });
  if (run.exitCode === 0) return { ok: true };
  if (isCasFailure(run.stderr)) {
    return { ok: false, error: problem("concurrent_update", `${ref} moved while OMK was deleting it`, "read it again and retry", { ref }) };
  }
  throw new GitCommandError(["update-ref", "-d", ref], cwd, run.exitCode, run.stderr.trim());
}

/** Committer times (unix seconds) of the given commits, in the same order. */
export async function commitTimes(cwd: string, commits: readonly string[]): Promise<number[]> {
  const out = await gitLine(cwd, ["show", "-s", "--format=%ct", ...commits]);
  return out.split("\n").map(Number);
}
