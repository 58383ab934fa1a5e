import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { addDetachedWorktree, removeDetachedWorktree } from "../src/internal/detached-worktree.js";

afterAll(cleanupTempDirs);

describe("detached checkouts", () => {
  it("adds a checkout over the missing-but-locked registration a killed `git worktree add` leaves behind", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const dir = path.join(makeTempDir("omk-detached-co-"), "base");
    // What a SIGKILL during `git worktree add` leaves: a registration, locked while git initializes it, and no folder.
    expect((await addDetachedWorktree(repo, dir, commit)).ok).toBe(true);
    await gitIn(repo, "worktree", "lock", "--reason", "initializing", dir);
    rmSync(dir, { recursive: true, force: true });
    const plain = await gitIn(repo, "worktree", "add", "--detach", "--force", dir, commit).catch((error: unknown) => String(error));
    expect(plain).toMatch(/missing but locked/u);

    const again = await addDetachedWorktree(repo, dir, commit);
    expect(again.output).toBe("");
    expect(again.ok).toBe(true);
    expect(existsSync(path.join(dir, "a.txt"))).toBe(true);
    await removeDetachedWorktree(repo, dir);
    expect(existsSync(dir)).toBe(false);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(dir);
  });
});
