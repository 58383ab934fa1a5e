// A task's start commit (combineCommits), what a ref names (resolveCommit), and the diffs review and evidence read:
// moved from @omk/controller (task-start.ts, internal/git.ts, review/deterministic.ts, evidence/checkout.ts) in issue 16.
import { cleanupTempDirs, commitFiles, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { blobAt, changedPaths, combineCommits, diffOf, fileAt, resolveCommit } from "../src/index.js";

afterAll(cleanupTempDirs);

/** A repository with a base and two branches off it: `a` changes a.txt, `b` changes b.txt (and `c` changes a.txt too). */
async function forked() {
  const repo = makeTempDir("omk-commits-");
  const base = await initGitRepo(repo, { "a.txt": "a\n", "b.txt": "b\n" });
  const a = await commitFiles(repo, { "a.txt": "a2\n" }, "a");
  await gitIn(repo, "checkout", "-q", "--detach", base);
  const b = await commitFiles(repo, { "b.txt": "b2\n" }, "b");
  await gitIn(repo, "checkout", "-q", "--detach", base);
  const c = await commitFiles(repo, { "a.txt": "a3\n" }, "c");
  return { repo, base, a, b, c };
}

describe("commits", () => {
  it("resolveCommit names the full sha, and null for what is no commit or no repository", async () => {
    const { repo, a } = await forked();
    expect(await resolveCommit(repo, a.slice(0, 10))).toBe(a);
    expect(await resolveCommit(repo, "refs/heads/nothing")).toBeNull();
    expect(await resolveCommit(makeTempDir("omk-norepo-"), "HEAD")).toBeNull();
  });

  it("combineCommits keeps a start that holds the rest, merges the others the same way every time, and refuses a conflict", async () => {
    const { repo, base, a, b, c } = await forked();
    expect(await combineCommits(repo, [a, base], "m\n")).toEqual({ ok: true, value: a });
    const once = await combineCommits(repo, [base, a, b], "omk: start of task t3 (the work of t1, t2)\n");
    const twice = await combineCommits(repo, [base, a, b], "omk: start of task t3 (the work of t1, t2)\n");
    expect(once.ok && twice.ok && once.value === twice.value).toBe(true);
    if (!once.ok) return;
    expect((await gitIn(repo, "log", "-1", "--format=%P %an <%ae>", once.value)).trim()).toBe(`${a} ${b} omk <omk@localhost>`);
    expect(await fileAt(repo, once.value, "a.txt")).toBe("a2\n");
    expect(await fileAt(repo, once.value, "b.txt")).toBe("b2\n");
    const clash = await combineCommits(repo, [base, a, c], "m\n");
    expect(clash.ok).toBe(false);
    if (!clash.ok) {
      expect(clash.error.code).toBe("merge_conflict");
      if (clash.error.code === "merge_conflict") expect(clash.error.files).toEqual(["a.txt"]);
    }
  });

  it("diffs and files at a commit: diffOf, changedPaths, fileAt, blobAt", async () => {
    const { repo, base, a } = await forked();
    const d = await diffOf(repo, base, a);
    expect(d.files).toEqual(["a.txt"]);
    expect(d.diff).toContain("+a2");
    expect(await changedPaths(repo, base, a)).toEqual({ ok: true, value: ["a.txt"] });
    const bad = await changedPaths(repo, base, "0123456789abcdef0123456789abcdef01234567");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/^git diff .* failed in /);
    expect(await fileAt(repo, a, "missing.txt")).toBeNull();
    expect(Buffer.from((await blobAt(repo, a, "a.txt")) ?? []).toString()).toBe("a2\n");
    expect(await blobAt(repo, a, "missing.txt")).toBeNull();
  });
});
