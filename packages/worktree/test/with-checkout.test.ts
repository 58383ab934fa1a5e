// Detached checkouts (baseline, verification, overlay, review, proof-verify): a git dir of their own,
// registered nowhere in the user's repository; what a killed run leaves is swept when the goal resumes.
// (Moved from packages/controller/test/detached-worktree.test.ts with the code it tests.)
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { createDetachedCheckout, evidenceCheckoutDir, sweepGoalCheckouts, withCheckout } from "../src/index.js";

afterAll(cleanupTempDirs);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "scripts", "overlay-child.ts");

describe("detached checkouts", () => {
  it("have a git dir of their own, outside the goal's folder, and replace what an older OMK registered at the same folder", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const goalDir = path.join(makeTempDir("omk-state-"), "goals", "g1");
    const dir = evidenceCheckoutDir(goalDir, "base");
    expect(dir).toBe(path.join(path.dirname(path.dirname(goalDir)), "checkouts", "g1", "_evidence", "base"));
    expect(path.relative(goalDir, dir).startsWith("..")).toBe(true);
    // What a SIGKILL during an older OMK's `git worktree add` left: a registration, locked while git initializes it, and no folder.
    mkdirSync(path.dirname(dir), { recursive: true });
    await gitIn(repo, "worktree", "add", "-q", "--detach", dir, commit);
    await gitIn(repo, "worktree", "lock", "--reason", "initializing", dir);
    rmSync(dir, { recursive: true, force: true });

    const again = await withCheckout(
      repo,
      commit,
      async () => {
        expect(existsSync(path.join(dir, "a.txt"))).toBe(true);
        expect(statSync(path.join(dir, ".git")).isDirectory()).toBe(true);
        expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(dir);
      },
      { dir },
    );
    expect(again.ok).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });

  it("an overlay checkout killed with its run is removed when the goal resumes, and was never registered", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const tmp = makeTempDir("omk-tmp-");
    const goalDir = path.join(makeTempDir("omk-state-"), "goals", "g1");
    const child = spawnTsScript(CHILD, [repo, commit], { env: { ...process.env, TMPDIR: tmp } });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    for (let i = 0; i < 600 && !out.includes("inside ") && child.exitCode === null; i++) await sleep(100);
    const dir = /inside (.*)\n/.exec(out)?.[1] ?? "";
    expect(dir).not.toBe("");
    child.kill("SIGKILL");
    await child;
    // Left behind by the kill: the folder, with a git dir of its own; nothing registered in the user's repository.
    expect(existsSync(path.join(dir, ".git"))).toBe(true);
    expect(path.dirname(path.dirname(dir))).toBe(tmp);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(tmp);
    // An evidence checkout of the same run, left too.
    const evidence = evidenceCheckoutDir(goalDir, "r1-head");
    expect((await createDetachedCheckout(repo, commit, { dir: evidence })).ok).toBe(true);

    const swept = await sweepGoalCheckouts(repo, goalDir, tmp);
    expect(swept.removed).toEqual(expect.arrayContaining([path.dirname(dir), path.dirname(evidence)]));
    expect(existsSync(path.dirname(dir))).toBe(false);
    expect(existsSync(evidence)).toBe(false);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(tmp);
  });

  it("a checkout is removed when its user throws, and the throw reaches the caller", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const tmp = makeTempDir("omk-tmp-");
    const dir = path.join(makeTempDir("omk-state-"), "checkouts", "g1", "_evidence", "r1-head");
    let seen = "";
    await expect(
      withCheckout(
        repo,
        commit,
        async (at) => {
          seen = at;
          throw new Error("the agent's tests crashed");
        },
        { dir },
      ),
    ).rejects.toThrow("the agent's tests crashed");
    expect(seen).toBe(dir);
    expect(existsSync(dir)).toBe(false);
    await expect(
      withCheckout(
        repo,
        commit,
        async (at) => {
          seen = at;
          throw new Error("boom");
        },
        { prefix: "omk-overlay-", tmpDir: tmp },
      ),
    ).rejects.toThrow("boom");
    expect(path.dirname(path.dirname(seen))).toBe(tmp);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("a commit the repository does not hold is an error and its user never runs", async () => {
    const repo = makeTempDir("omk-detached-");
    await initGitRepo(repo, { "a.txt": "a\n" });
    const tmp = makeTempDir("omk-tmp-");
    let ran = false;
    const r = await withCheckout(
      repo,
      "0123456789abcdef0123456789abcdef01234567",
      async () => {
        ran = true;
      },
      { tmpDir: tmp },
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("base_not_found");
    expect(ran).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
