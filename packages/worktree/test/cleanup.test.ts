import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, refsContaining, unreachableCommits } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { attemptRef, captureChanges, cleanup, createTaskWorktree, integrate, keepAttempt, listAttempts } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("cleanup never loses work", () => {
  it("after a failed merge: refuses until the attempt is kept, then removes the worktree with every commit still reachable", async () => {
    const fx = await setup();
    const graph = [
      { id: "t1", dependencies: [] },
      { id: "t2", dependencies: [] },
    ];
    const wts = [];
    for (const id of ["t1", "t2"]) {
      const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: id, base: fx.base, dir: fx.dir(id) }));
      writeFileSync(path.join(wt.path, "src/app.ts"), `export const app = "${id}";\n`);
      must(await captureChanges(wt));
      wts.push(wt);
    }
    const [wt1, wt2] = wts as [(typeof wts)[0], (typeof wts)[0]];
    must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t1"] }));
    const failed = await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: graph, accepted: ["t1", "t2"] });
    expect(failed.ok ? null : failed.error.code).toBe("conflict");
    const t2Head = await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t2`);

    // t1 is on the integration branch: its worktree may go. t2 is on no kept ref: refused.
    expect(must(await cleanup(wt1)).keptBy).toEqual([`refs/heads/omk/${GOAL}/integration`]);
    const refused = await cleanup(wt2, { deleteBranch: true });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatchObject({ code: "unkept_commits", head: t2Head, commits: [t2Head] });
    expect(existsSync(wt2.path)).toBe(true);
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t2`)).toBe(t2Head);

    const kept = must(await keepAttempt(wt2));
    expect(kept).toMatchObject({ ref: attemptRef(GOAL, "t2", 1), attempt: 1, commit: t2Head, created: true });
    const done = must(await cleanup(wt2, { deleteBranch: true }));
    expect(done).toMatchObject({ removed: true, branchDeleted: true, keptBy: [attemptRef(GOAL, "t2", 1)] });
    expect(existsSync(wt2.path)).toBe(false);
    expect(await gitIn(fx.repo, "for-each-ref", `refs/heads/omk/${GOAL}/t2`)).toBe("");
    expect(await refsContaining(fx.repo, t2Head)).toEqual([attemptRef(GOAL, "t2", 1)]);
    expect(await unreachableCommits(fx.repo)).toEqual([]);
    // Repeating is harmless.
    expect(must(await cleanup(wt2))).toMatchObject({ removed: false });
  });

  it("refuses a worktree holding uncommitted or untracked work, and commits made on a detached HEAD", async () => {
    // Mode "worktree" (opt-in); the default checkout keeps such commits itself (clone-cleanup.test.ts).
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "worktree" }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "captured\n");
    must(await captureChanges(wt));
    must(await keepAttempt(wt));
    writeFileSync(path.join(wt.path, "src/app.ts"), "not captured\n");
    writeFileSync(path.join(wt.path, "new-file.txt"), "untracked\n");
    const dirty = await cleanup(wt);
    expect(dirty.ok).toBe(false);
    expect(dirty.ok ? null : dirty.error.code).toBe("dirty_worktree");
    if (!dirty.ok && dirty.error.code === "dirty_worktree")
      expect(dirty.error.files.map((f) => `${f.status} ${f.path}`).sort()).toEqual([" M src/app.ts", "?? new-file.txt"]);
    expect(existsSync(path.join(wt.path, "new-file.txt"))).toBe(true);

    // Ignored files are build output: they do not block.
    rmSync(path.join(wt.path, "new-file.txt"));
    await gitIn(wt.path, "checkout", "--", "src/app.ts");
    mkdirSync(path.join(wt.path, "ignored"));
    writeFileSync(path.join(wt.path, "ignored/build.log"), "build output\n");
    // A commit on a detached HEAD is on no branch at all: refused.
    await gitIn(wt.path, "checkout", "-q", "--detach");
    writeFileSync(path.join(wt.path, "src/util.ts"), "detached work\n");
    await gitIn(wt.path, "commit", "-q", "-am", "detached");
    const detached = await gitIn(wt.path, "rev-parse", "HEAD");
    const refused = await cleanup(wt);
    expect(refused.ok ? null : refused.error).toMatchObject({ code: "unkept_commits", commits: [detached] });
    must(await keepAttempt(wt, { commit: detached }));
    expect(must(await cleanup(wt)).removed).toBe(true);
    expect(await refsContaining(fx.repo, detached)).toEqual([attemptRef(GOAL, "t1", 2)]);
  });

  it("finishes a removal that was interrupted midway", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "worktree" }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "work\n");
    must(await captureChanges(wt));
    must(await keepAttempt(wt));
    // What a SIGKILL inside `git worktree remove` leaves: our lock, and a half-deleted folder without .git.
    await gitIn(fx.repo, "worktree", "lock", "--reason", "omk-removing", wt.path);
    rmSync(path.join(wt.path, ".git"));
    rmSync(path.join(wt.path, "src"), { recursive: true });
    const done = must(await cleanup(wt));
    expect(done.removed).toBe(true);
    expect(existsSync(wt.path)).toBe(false);
    expect(await gitIn(fx.repo, "worktree", "list", "--porcelain")).not.toContain(wt.path);
    // A folder that is not ours is never deleted.
    const lookalike = { ...wt, path: path.join(fx.stateDir, "lookalike") };
    mkdirSync(lookalike.path, { recursive: true });
    const notOurs = await cleanup(lookalike);
    expect(notOurs.ok ? null : notOurs.error.code).toBe("not_a_worktree");
    expect(existsSync(lookalike.path)).toBe(true);
  });
});

describe("keepAttempt", () => {
  it("numbers attempts, keeps a head only once, and refuses when there is nothing to keep", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "one\n");
    const one = must(await captureChanges(wt));
    expect(must(await keepAttempt(wt))).toMatchObject({ attempt: 1, commit: one.head, created: true });
    expect(must(await keepAttempt(wt))).toMatchObject({ attempt: 1, commit: one.head, created: false });
    writeFileSync(path.join(wt.path, "src/app.ts"), "two\n");
    const two = must(await captureChanges(wt));
    expect(must(await keepAttempt(wt))).toMatchObject({ ref: `refs/omk/attempts/${GOAL}/t1/2`, attempt: 2, commit: two.head });
    expect((await listAttempts(fx.repo, GOAL, "t1")).map((a) => a.commit)).toEqual([one.head, two.head]);
    const none = await keepAttempt({ repo: fx.repo, goalId: GOAL, taskId: "never-created" });
    expect(none.ok ? null : none.error.code).toBe("missing_branch");
  });
});
