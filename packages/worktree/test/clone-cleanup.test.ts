// cleanup of a scratch clone (fallback mode): commits only the clone holds are kept in the main repository first.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, refsContaining, unreachableCommits } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { attemptRef, attemptRefPrefix, captureChanges, cleanup, createTaskWorktree, keepAttempt, listAttempts, type WorktreeEvent } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

/** Whether the main repository has `sha` as a commit. */
async function hasCommit(repo: string, sha: string): Promise<boolean> {
  return (await gitIn(repo, "cat-file", "-t", sha).catch(() => "")) === "commit";
}

describe("cleanup of a scratch clone", () => {
  it("keeps the clone's other branches, tags and stash entries in the main repository before removing it", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "clone" }));
    expect(wt.mode).toBe("clone");
    const at = (p: string) => path.join(wt.path, p);
    const commit = async (file: string, content: string, message: string) => {
      writeFileSync(at(file), content);
      await gitIn(wt.path, "commit", "-q", "-am", message);
      return await gitIn(wt.path, "rev-parse", "HEAD");
    };
    // The agent works on a side branch, tags a detached commit, stashes twice, then goes back to the task branch.
    await gitIn(wt.path, "switch", "-q", "-c", "experiment");
    const experiment = await commit("src/app.ts", "experiment\n", "agent work on a side branch");
    await gitIn(wt.path, "switch", "-q", "--detach", fx.base);
    const tagged = await commit("src/util.ts", "tagged\n", "tagged work");
    await gitIn(wt.path, "tag", "-a", "-m", "a tag", "v0-agent");
    await gitIn(wt.path, "switch", "-q", `omk/${GOAL}/t1`);
    writeFileSync(at("README.md"), "stash one\n");
    await gitIn(wt.path, "stash", "push", "-q", "-m", "first");
    writeFileSync(at("README.md"), "stash two\n");
    await gitIn(wt.path, "stash", "push", "-q", "-m", "second");
    const stashes = (await gitIn(wt.path, "log", "--walk-reflogs", "--format=%H", "refs/stash")).split("\n");
    expect(stashes).toHaveLength(2);
    writeFileSync(at("src/app.ts"), "the task's work\n");
    const captured = must(await captureChanges(wt));
    must(await keepAttempt(wt));

    const events: WorktreeEvent[] = [];
    const done = must(await cleanup(wt, { deleteBranch: true, onEvent: (e) => events.push(e) }));
    expect(done).toMatchObject({ removed: true, branchDeleted: true, keptBy: [attemptRef(GOAL, "t1", 1)] });
    expect(existsSync(wt.path)).toBe(false);

    const prefix = attemptRefPrefix(GOAL, "t1");
    for (const sha of [experiment, tagged, ...stashes]) {
      expect(await hasCommit(fx.repo, sha)).toBe(true);
      expect((await refsContaining(fx.repo, sha)).some((ref) => ref.startsWith(`${prefix}clone/`))).toBe(true);
    }
    const kept = (await gitIn(fx.repo, "for-each-ref", "--format=%(refname)", `${prefix}clone/`)).split("\n").sort();
    expect(kept).toEqual(
      [
        `${prefix}clone/heads/experiment/${experiment}`,
        `${prefix}clone/stash/${stashes[0]}`,
        `${prefix}clone/stash/${stashes[1]}`,
        `${prefix}clone/tags/v0-agent/${tagged}`,
      ].sort(),
    );
    // The clone's main branch was at the base: nothing to keep there. The numbered attempts are untouched.
    expect((await listAttempts(fx.repo, GOAL, "t1")).map((a) => a.commit)).toEqual([captured.head]);
    expect(
      events
        .filter((e) => e.type === "attempt_kept")
        .map((e) => (e.type === "attempt_kept" ? e.ref : ""))
        .sort(),
    ).toEqual(kept);
    expect(await unreachableCommits(fx.repo)).toEqual([]);
  });

  it("keeps a commit on the clone's detached HEAD instead of deleting it", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "clone" }));
    await gitIn(wt.path, "switch", "-q", "--detach");
    writeFileSync(path.join(wt.path, "src/util.ts"), "detached work\n");
    await gitIn(wt.path, "commit", "-q", "-am", "detached");
    const detached = await gitIn(wt.path, "rev-parse", "HEAD");
    expect(await hasCommit(fx.repo, detached)).toBe(false);

    const done = must(await cleanup(wt));
    expect(done.removed).toBe(true);
    expect(existsSync(wt.path)).toBe(false);
    expect(await refsContaining(fx.repo, detached)).toEqual([`${attemptRefPrefix(GOAL, "t1")}clone/HEAD/${detached}`]);
    expect(await unreachableCommits(fx.repo)).toEqual([]);
  });
});
