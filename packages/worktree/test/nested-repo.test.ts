// A hostile agent plants repositories of its own in its task checkout (a .git folder, a .git file naming a git dir
// elsewhere, a .git file naming nothing, a .git folder git does not take for a repository), each nested repository
// with a clean/smudge filter, textconv, fsmonitor, hooksPath and hooks in its own config that write a marker outside.
// OMK's capture, status (cleanup's and create's dirty checks) and the capture's diff run none of it, and capture
// refuses the lot before staging anything, naming each path. A gitlink the agent staged or committed itself is
// refused the same way. Real git, real checkouts (docs/decisions/worktree.md 18).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, makeTempDir, plantNestedRepo } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { captureChanges, cleanup, createTaskWorktree, ScopeViolationSchema, type TaskWorktree } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

const IDENTITY = {
  GIT_AUTHOR_NAME: "agent",
  GIT_AUTHOR_EMAIL: "agent@example.invalid",
  GIT_COMMITTER_NAME: "agent",
  GIT_COMMITTER_EMAIL: "agent@example.invalid",
};

/** The agent's own git in its checkout (as a confined agent would run it there): nothing OMK controls. */
async function agentGit(cwd: string, ...args: string[]): Promise<string> {
  return (await execa("git", ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", ...args], { cwd, env: IDENTITY })).stdout;
}

async function refused(wt: TaskWorktree) {
  const captured = await captureChanges(wt);
  if (captured.ok) throw new Error(`captured ${captured.value.head}: the nested repository was not refused`);
  expect(captured.error.code).toBe("nested_repository");
  if (captured.error.code !== "nested_repository") throw new Error("unreachable");
  for (const v of captured.error.violations) expect(ScopeViolationSchema.parse(v)).toEqual(v);
  return captured.error;
}

describe("a nested repository in a task's checkout", () => {
  it("is refused by capture before anything is staged, each path named, and OMK's git runs nothing in it", async () => {
    const fx = await setup();
    const markers = path.join(makeTempDir("omk-wt-nested-"), "markers");
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "export const app = 2;\n");
    const folder = await plantNestedRepo(wt.path, "src/vendored", markers, "folder");
    const gitfile = await plantNestedRepo(wt.path, "libs/other", markers, "gitfile");
    // A .git file naming nothing, beside an ordinary file (git itself would skip it), and a .git folder git does not take for a repository.
    mkdirSync(path.join(wt.path, "docs/dangling"), { recursive: true });
    writeFileSync(path.join(wt.path, "docs/dangling/.git"), "gitdir: /nonexistent/omk-nested\n");
    writeFileSync(path.join(wt.path, "docs/dangling/notes.md"), "notes\n");
    mkdirSync(path.join(wt.path, "scripts/half/.git"), { recursive: true });
    writeFileSync(path.join(wt.path, "scripts/half/run.sh"), "echo half\n");
    // The agent's own git records one as a gitlink (reading its HEAD only): from now on a `git add` or a plain
    // `git status` in the checkout would start git inside it.
    await agentGit(wt.path, "add", "src/vendored");
    // A .gitmodules asking git to look into them.
    writeFileSync(path.join(wt.path, ".gitmodules"), '[submodule "v"]\n\tpath = src/vendored\n\turl = ./src/vendored\n\tignore = none\n');
    const branchBefore = await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t1`);

    const error = await refused(wt);
    expect(error.violations.map((v) => `${v.kind} ${v.path}`).sort()).toEqual([
      "nested_repository docs/dangling",
      "nested_repository libs/other",
      "nested_repository scripts/half",
      "nested_repository src/vendored",
    ]);
    expect(error.message).toContain("src/vendored");
    expect(error.violations.find((v) => v.path === "docs/dangling")?.target).toBe("/nonexistent/omk-nested");
    expect(error.violations.find((v) => v.path === "libs/other")?.message).toContain(".git file naming the git dir");
    // Nothing staged, nothing committed.
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t1`)).toBe(branchBefore);
    expect(await gitIn(wt.path, "diff", "--cached", "--name-only")).toBe("src/vendored"); // the agent's own, nothing more

    // OMK's other looks at the checkout: cleanup's dirty check (git status) keeps the checkout, which holds uncaptured work.
    folder.touch();
    gitfile.touch();
    const cleaned = await cleanup(wt);
    expect(cleaned.ok).toBe(false);
    expect(cleaned.ok ? "" : cleaned.error.code).toBe("dirty_worktree");
    // Reopening the checkout (a resume) runs create's status in it too.
    folder.touch();
    const reopened = await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1"), existingBranch: "resume" });
    expect(reopened.ok).toBe(true);
    expect(folder.ran()).toEqual([]);

    // With the nested repositories gone, the rest of the work is captured.
    await agentGit(wt.path, "update-index", "--force-remove", "src/vendored");
    for (const dir of ["src/vendored", "libs/other", "docs/dangling/.git", "scripts/half/.git", ".gitmodules"])
      await execa("rm", ["-rf", path.join(wt.path, dir)]);
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path).sort()).toEqual(["docs/dangling/notes.md", "scripts/half/run.sh", "src/app.ts"]);
    expect(folder.ran()).toEqual([]);
  });

  it("refuses a gitlink the agent staged or committed itself, even once the nested repository is gone", async () => {
    const fx = await setup();
    const markers = path.join(makeTempDir("omk-wt-nested-"), "markers");
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const nested = await plantNestedRepo(wt.path, "src/sub", markers, "folder");
    const sha = (await agentGit(path.join(wt.path, "src/sub"), "rev-parse", "HEAD")).trim();
    // The agent commits the nested repository as a gitlink, then removes it in a second commit and deletes the folder:
    // the final tree has no gitlink, the branch's history has.
    await agentGit(wt.path, "add", "src/sub");
    await agentGit(wt.path, "commit", "-q", "--no-verify", "-m", "vendor sub");
    await agentGit(wt.path, "rm", "-q", "--cached", "src/sub");
    await agentGit(wt.path, "commit", "-q", "--no-verify", "-m", "unvendor sub");
    await execa("rm", ["-rf", path.join(wt.path, "src/sub")]);
    // And stages another gitlink by hand, with no repository behind it.
    await agentGit(wt.path, "update-index", "--add", "--cacheinfo", `160000,${sha},lib/pinned`);
    const agentHead = (await agentGit(wt.path, "rev-parse", "HEAD")).trim();

    const error = await refused(wt);
    const byPath = Object.fromEntries(error.violations.map((v) => [v.path, v]));
    expect(Object.keys(byPath).sort()).toEqual(["lib/pinned", "src/sub"]);
    expect(byPath["src/sub"]).toMatchObject({ kind: "nested_repository", change: "A" });
    expect(byPath["src/sub"]?.message).toMatch(/^commit [0-9a-f]{12} on the task's branch records "src\/sub" as a gitlink/);
    expect(byPath["lib/pinned"]?.message).toContain("staged as a gitlink");
    // The branch did not move past the agent's commits: capture added nothing.
    expect((await agentGit(wt.path, "rev-parse", "HEAD")).trim()).toBe(agentHead);
    expect(nested.ran()).toEqual([]);
  });
});
