// @omk/worktree's git operations (worktree add, capture with add --all/write-tree/commit, integrate with
// merge-tree, cleanup with worktree remove) in a repository with hooks, fsmonitor, filters, textconv,
// a merge driver, includes and a remote's upload-pack planted in .git: none of it runs (docs/decisions/git.md).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, plantGitCode } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { captureChanges, cleanup, createTaskWorktree, integrate } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("task worktrees in a repository with planted git code", () => {
  it("create, capture, integrate and clean up run none of it", async () => {
    const fx = await setup();
    const planted = await plantGitCode(fx.repo, path.join(makeTempDir("omk-wt-markers-"), "markers"));
    const tasks = [
      { id: "t1", dependencies: [] },
      { id: "t2", dependencies: [] },
    ];
    const wt1 = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const wt2 = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2") }));
    writeFileSync(path.join(wt1.path, "src/app.ts"), "export const app = 2;\n");
    writeFileSync(path.join(wt1.path, "docs/guide.md"), "line 1\nline 2 by t1\nline 3\n");
    writeFileSync(path.join(wt1.path, "scripts/run.sh"), "#!/bin/sh\necho t1\n");
    writeFileSync(path.join(wt2.path, "src/util.ts"), "export const util = 2;\n");
    writeFileSync(path.join(wt2.path, "docs/new.md"), "new\n");
    must(await captureChanges(wt1));
    must(await captureChanges(wt2));
    const merged = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks, accepted: ["t1", "t2"] }));
    expect(merged.head).toMatch(/^[0-9a-f]{40}$/);
    must(await cleanup(wt1));
    must(await cleanup(wt2));
    expect(planted.ran()).toEqual([]);
  });
});
