import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  captureChanges,
  cleanup,
  createTaskWorktree,
  integrate,
  keepAttempt,
  mainCheckoutStatus,
  TaskWorktreeSchema,
  type WorktreeEvent,
  WorktreeEventSchema,
} from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

/** Everything observable about a checkout: HEAD, index, status, and the bytes of every file. */
async function snapshotCheckout(repo: string, files: readonly string[]) {
  return {
    head: await gitIn(repo, "rev-parse", "HEAD"),
    branch: await gitIn(repo, "symbolic-ref", "HEAD"),
    index: await gitIn(repo, "ls-files", "-s"),
    status: await gitIn(repo, "status", "--porcelain=v1", "-uall"),
    contents: files.map((f) => (existsSync(path.join(repo, f)) ? readFileSync(path.join(repo, f), "utf8") : null)),
  };
}

describe("createTaskWorktree", () => {
  it("checks out omk/<goal>/<task> from the base commit under the given folder, leaving the main checkout alone", async () => {
    const fx = await setup();
    const events: WorktreeEvent[] = [];
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), onEvent: (e) => events.push(e) }));
    expect(wt).toMatchObject({ mode: "clone", branch: `omk/${GOAL}/t1`, base: fx.base, head: fx.base, reused: false, fallbackReason: null, dirty: [] });
    // Outside the goal's folder, with a git dir of its own that borrows the user's objects and nothing else.
    expect(wt.path).toBe(path.join(fx.stateDir, "checkouts", GOAL, "t1"));
    expect(statSync(path.join(wt.path, ".git")).isDirectory()).toBe(true);
    expect(readFileSync(path.join(wt.path, ".git", "objects", "info", "alternates"), "utf8")).toBe(`${path.join(fx.repo, ".git", "objects")}\n`);
    expect(await gitIn(fx.repo, "worktree", "list", "--porcelain")).not.toContain(fx.stateDir);
    expect(await gitIn(wt.path, "remote")).toBe("");
    expect(await gitIn(wt.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/omk/${GOAL}/t1`);
    expect(readFileSync(path.join(wt.path, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");
    expect(await gitIn(fx.repo, "symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(events.map((e) => e.type)).toEqual(["worktree_created"]);
    // The values are what their schemas say (the controller may store and re-read them).
    expect(TaskWorktreeSchema.parse(wt)).toEqual(wt);
    for (const event of events) expect(WorktreeEventSchema.parse(event)).toEqual(event);

    // Asking again returns the same worktree.
    const again = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    expect(again).toMatchObject({ path: wt.path, reused: true, mode: "clone" });

    // Mode "worktree" (opt-in) still makes a `git worktree add`.
    const linked = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2"), mode: "worktree" }));
    expect(linked).toMatchObject({ mode: "worktree", fallbackReason: null });
    expect(await gitIn(fx.repo, "worktree", "list", "--porcelain")).toContain(linked.path);
  });

  it("reports a dirty main checkout as a value and never modifies it, through the whole flow", async () => {
    const fx = await setup();
    writeFileSync(path.join(fx.repo, "src/app.ts"), "export const app = 2; // user edit\n");
    writeFileSync(path.join(fx.repo, "notes.txt"), "untracked user notes\n");
    writeFileSync(path.join(fx.repo, "README.md"), "# staged edit\n");
    await gitIn(fx.repo, "add", "README.md");
    const files = ["src/app.ts", "notes.txt", "README.md", "src/util.ts"];
    const before = await snapshotCheckout(fx.repo, files);

    const events: WorktreeEvent[] = [];
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), onEvent: (e) => events.push(e) }));
    expect(wt.dirty).toEqual(
      expect.arrayContaining([
        { path: "src/app.ts", status: " M", oldPath: null },
        { path: "README.md", status: "M ", oldPath: null },
        { path: "notes.txt", status: "??", oldPath: null },
      ]),
    );
    expect(events.find((e) => e.type === "main_checkout_dirty")).toBeDefined();
    expect(must(await mainCheckoutStatus(fx.repo))).toEqual(wt.dirty);
    // The task's checkout has the base content, not the user's edits.
    expect(readFileSync(path.join(wt.path, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");

    writeFileSync(path.join(wt.path, "src/util.ts"), "export const util = 2;\n");
    must(await captureChanges(wt));
    must(await keepAttempt(wt));
    must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: [{ id: "t1", dependencies: [] }], accepted: ["t1"] }));
    must(await cleanup(wt));
    expect(await snapshotCheckout(fx.repo, files)).toEqual(before);
  });

  it("falls back to a scratch clone when git worktree add is impossible, says so, and the flow still works", async () => {
    const fx = await setup();
    // An odd repository: `.git/worktrees` is a file, so `git worktree add` cannot register anything.
    writeFileSync(path.join(fx.repo, ".git", "worktrees"), "not a folder\n");
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "auto" }));
    expect(wt.mode).toBe("clone");
    expect(wt.fallbackReason).toMatch(/git worktree add failed/);
    expect(await gitIn(wt.path, "symbolic-ref", "HEAD")).toBe(`refs/heads/omk/${GOAL}/t1`);
    // The clone cannot push into the main repository: it has no remote.
    expect(await gitIn(wt.path, "remote")).toBe("");

    writeFileSync(path.join(wt.path, "src/util.ts"), "export const util = 3;\n");
    const captured = must(await captureChanges(wt));
    // The commit is in the main repository on the task branch.
    expect(await gitIn(fx.repo, "rev-parse", `refs/heads/omk/${GOAL}/t1`)).toBe(captured.head);
    const merged = must(await integrate({ repo: fx.repo, goalId: GOAL, base: fx.base, tasks: [{ id: "t1", dependencies: [] }], accepted: ["t1"] }));
    expect(await gitIn(fx.repo, "show", `${merged.head}:src/util.ts`)).toBe("export const util = 3;");

    // Unkept work in the clone blocks removal; kept, it goes.
    writeFileSync(path.join(wt.path, "extra.txt"), "more\n");
    const second = must(await captureChanges(wt));
    expect((await cleanup(wt)).ok).toBe(false);
    must(await keepAttempt(wt));
    const removed = must(await cleanup(wt));
    expect(removed.removed).toBe(true);
    expect(existsSync(wt.path)).toBe(false);
    expect(await gitIn(fx.repo, "cat-file", "-t", second.head)).toBe("commit");

    // Clone mode (the default) works without any failure.
    const forced = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2"), mode: "clone" }));
    expect(forced).toMatchObject({ mode: "clone", fallbackReason: null });
    const reused = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t2", base: fx.base, dir: fx.dir("t2"), mode: "clone" }));
    expect(reused).toMatchObject({ mode: "clone", reused: true });
  });

  it("works from a bare repository and from a shallow clone", async () => {
    const fx = await setup();
    const bare = must(await createTaskWorktree({ repo: fx.remote, goalId: GOAL, taskId: "t1", base: fx.base, dir: path.join(fx.stateDir, "bare-t1") }));
    expect(bare).toMatchObject({ repo: fx.remote, dirty: [], head: fx.base });
    writeFileSync(path.join(bare.path, "src/app.ts"), "from bare\n");
    must(await captureChanges(bare));
    expect(
      must(await integrate({ repo: fx.remote, goalId: GOAL, base: fx.base, tasks: [{ id: "t1", dependencies: [] }], accepted: ["t1"] })).merged,
    ).toHaveLength(1);

    const shallow = path.join(makeTempDir("omk-shallow-"), "repo");
    await gitIn(path.dirname(shallow), "clone", "-q", "--depth", "1", `file://${fx.remote}`, shallow);
    const wt = must(await createTaskWorktree({ repo: shallow, goalId: GOAL, taskId: "t2", base: "HEAD", dir: path.join(fx.stateDir, "shallow-t2") }));
    writeFileSync(path.join(wt.path, "docs/guide.md"), "shallow\n");
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path)).toEqual(["docs/guide.md"]);
    const clone = must(
      await createTaskWorktree({ repo: shallow, goalId: GOAL, taskId: "t3", base: "HEAD", dir: path.join(fx.stateDir, "shallow-t3"), mode: "clone" }),
    );
    expect(clone.mode).toBe("clone");
    writeFileSync(path.join(clone.path, "README.md"), "shallow clone mode\n");
    expect(must(await captureChanges(clone)).files.map((f) => f.path)).toEqual(["README.md"]);
  });

  it("copies named untracked files, refuses unsafe names and links out of the repository, and never commits the copies", async () => {
    const fx = await setup();
    const outside = path.join(makeTempDir("omk-outside-"), "secret.txt");
    writeFileSync(outside, "outside secret\n");
    writeFileSync(path.join(fx.repo, ".env"), "TOKEN=abc\n");
    symlinkSync(outside, path.join(fx.repo, "link-out.txt"));
    symlinkSync(".env", path.join(fx.repo, "env-link"));
    const wt = must(
      await createTaskWorktree({
        repo: fx.repo,
        goalId: GOAL,
        taskId: "t1",
        base: fx.base,
        dir: fx.dir("t1"),
        copyUntracked: [".env", "link-out.txt", "env-link", "../etc/passwd", ".git/config", "README.md", "missing.txt", "src/*.ts"],
      }),
    );
    expect(wt.copied).toEqual([".env", "env-link"]);
    expect(Object.fromEntries(wt.copySkipped.map((s) => [s.path, s.reason]))).toEqual({
      "link-out.txt": "outside_repo",
      "../etc/passwd": "invalid_path",
      ".git/config": "invalid_path",
      "README.md": "tracked",
      "missing.txt": "missing",
      "src/*.ts": "invalid_path",
    });
    expect(readFileSync(path.join(wt.path, ".env"), "utf8")).toBe("TOKEN=abc\n");
    expect(readFileSync(path.join(wt.path, "env-link"), "utf8")).toBe("TOKEN=abc\n");

    writeFileSync(path.join(wt.path, "src/app.ts"), "export const app = 5;\n");
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path)).toEqual(["src/app.ts"]);
    must(await keepAttempt(wt));
    must(await cleanup(wt));
    expect(readFileSync(path.join(fx.repo, ".env"), "utf8")).toBe("TOKEN=abc\n");
  });

  it("refuses bad input, busy branches, occupied folders and protected branches as values", async () => {
    const fx = await setup();
    const base = { repo: fx.repo, goalId: GOAL, base: fx.base };
    const code = async (r: Promise<{ ok: boolean; error?: { code: string } }>) => (await r).error?.code;
    expect(await code(createTaskWorktree({ ...base, taskId: "../x", dir: fx.dir("t1") }))).toBe("invalid_input");
    expect(await code(createTaskWorktree({ ...base, taskId: "integration", dir: path.join(fx.stateDir, "i") }))).toBe("invalid_input");
    expect(await code(createTaskWorktree({ ...base, taskId: "t.lock", dir: path.join(fx.stateDir, "l") }))).toBe("invalid_input");
    expect(await code(createTaskWorktree({ ...base, taskId: "t1", base: "no-such-rev", dir: fx.dir("t1") }))).toBe("base_not_found");
    expect(await code(createTaskWorktree({ ...base, repo: makeTempDir(), taskId: "t1", dir: fx.dir("t1") }))).toBe("not_a_repository");
    expect(await code(createTaskWorktree({ ...base, taskId: "t1", dir: path.join(fx.repo, ".git", "wt") }))).toBe("invalid_input");
    expect(await code(createTaskWorktree({ ...base, taskId: "t1", dir: fx.dir("t1"), policy: { protectedBranches: ["omk/**"] } }))).toBe("protected_branch");

    must(await createTaskWorktree({ ...base, taskId: "t1", dir: fx.dir("t1"), mode: "worktree" }));
    expect(await code(createTaskWorktree({ ...base, taskId: "t1", dir: fx.dir("other") }))).toBe("branch_in_use");
    const occupied = path.join(fx.stateDir, "occupied");
    mkdirSync(occupied, { recursive: true });
    writeFileSync(path.join(occupied, "file"), "x");
    expect(await code(createTaskWorktree({ ...base, taskId: "t2", dir: occupied }))).toBe("path_exists");
    expect(await code(createTaskWorktree({ ...base, taskId: "t2", dir: fx.dir("t1") }))).toBe("path_exists");
  });

  it("resumes an existing branch, and restarts it from the base only when its commits are kept", async () => {
    const fx = await setup();
    const opts = { repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") };
    const wt = must(await createTaskWorktree(opts));
    writeFileSync(path.join(wt.path, "src/app.ts"), "attempt 1\n");
    const first = must(await captureChanges(wt));
    must(await keepAttempt(wt));
    must(await cleanup(wt));

    // Default: resume the branch with its commits.
    const resumed = must(await createTaskWorktree(opts));
    expect(resumed.head).toBe(first.head);
    writeFileSync(path.join(resumed.path, "src/app.ts"), "attempt 1, more\n");
    const more = must(await captureChanges(resumed));
    // Not kept: a restart is refused and the branch stays.
    rmSync(resumed.path, { recursive: true, force: true });
    const refused = await createTaskWorktree({ ...opts, existingBranch: "restart" });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatchObject({ code: "unkept_commits", head: more.head, commits: [more.head] });
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t1`)).toBe(more.head);

    must(await keepAttempt({ repo: fx.repo, goalId: GOAL, taskId: "t1" }));
    const restarted = must(await createTaskWorktree({ ...opts, existingBranch: "restart" }));
    expect(restarted.head).toBe(fx.base);
    expect(readFileSync(path.join(restarted.path, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");
  });

  it("makes again a worktree whose git worktree add was interrupted", async () => {
    const fx = await setup();
    const opts = { repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), mode: "worktree" as const };
    const wt = must(await createTaskWorktree(opts));
    // What a SIGKILL during `git worktree add` leaves: the "initializing" lock and a partial checkout.
    const admin = (await gitIn(wt.path, "rev-parse", "--absolute-git-dir")).trim();
    writeFileSync(path.join(admin, "locked"), "initializing");
    rmSync(path.join(wt.path, "src"), { recursive: true });
    const again = must(await createTaskWorktree(opts));
    expect(again.reused).toBe(false);
    expect(readFileSync(path.join(again.path, "src/app.ts"), "utf8")).toBe("export const app = 1;\n");
    expect(await gitIn(fx.repo, "worktree", "list")).not.toMatch(/locked/);
  });
});
