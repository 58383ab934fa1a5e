// Setup products (node_modules, .venv) are listed in a task worktree's `copied`
// and never captured, whatever the user's .gitignore says about them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { captureChanges, createTaskWorktree, type TaskWorktree } from "../src/index.js";
import { BASE_FILES, GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

/** A task worktree with an installed node_modules (as the controller's setup leaves it) and the products marked copied. */
async function worktreeWithProducts(gitignore: string | undefined): Promise<{ wt: TaskWorktree; repo: string }> {
  const files: Record<string, string> = { ...BASE_FILES };
  if (gitignore === undefined) delete files[".gitignore"];
  else files[".gitignore"] = gitignore;
  const fx = await setup(files);
  const made = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
  mkdirSync(path.join(made.path, "node_modules/dep"), { recursive: true });
  writeFileSync(path.join(made.path, "node_modules/dep/index.js"), "module.exports = 1;\n");
  mkdirSync(path.join(made.path, ".venv/bin"), { recursive: true });
  writeFileSync(path.join(made.path, ".venv/bin/python"), "#!/bin/sh\n");
  return { wt: { ...made, copied: [...made.copied, "node_modules", ".venv"] }, repo: fx.repo };
}

const committed = async (wt: TaskWorktree) => (await gitIn(wt.path, "ls-tree", "-r", "--name-only", "HEAD")).split("\n").filter((l) => l !== "");

describe("captureChanges and setup products", () => {
  it("commits the task's work when the user's .gitignore ignores node_modules too (git add must not fail on it)", async () => {
    const { wt, repo } = await worktreeWithProducts("node_modules\n.venv/\nignored/\n");
    writeFileSync(path.join(wt.path, "src/app.ts"), "export const app = 2;\n");
    writeFileSync(path.join(wt.path, "node_modules-notes.md"), "a real file whose name starts with node_modules\n");
    const captured = must(await captureChanges(wt));
    expect(captured.commit).not.toBeNull();
    expect(captured.files.map((f) => f.path).sort()).toEqual(["node_modules-notes.md", "src/app.ts"]);
    // The user's ignore files are untouched.
    expect(readFileSync(path.join(wt.path, ".gitignore"), "utf8")).toBe("node_modules\n.venv/\nignored/\n");
    const exclude = path.join(repo, ".git/info/exclude");
    expect(existsSync(exclude) ? readFileSync(exclude, "utf8") : "").not.toMatch(/node_modules/);
  });

  it("never commits node_modules where no .gitignore mentions it, nor after the agent deletes .gitignore", async () => {
    const { wt } = await worktreeWithProducts(undefined);
    writeFileSync(path.join(wt.path, "src/app.ts"), "export const app = 3;\n");
    const first = must(await captureChanges(wt));
    expect(first.files.map((f) => f.path)).toEqual(["src/app.ts"]);

    const second = await worktreeWithProducts("node_modules\n");
    rmSync(path.join(second.wt.path, ".gitignore"));
    writeFileSync(path.join(second.wt.path, "node_modules_extra.txt"), "kept\n");
    const captured = must(await captureChanges(second.wt));
    expect(captured.files.map((f) => `${f.status} ${f.path}`).sort()).toEqual(["A node_modules_extra.txt", "D .gitignore"]);
    expect((await committed(second.wt)).filter((p) => p.startsWith("node_modules/") || p.startsWith(".venv/"))).toEqual([]);
  });

  it("keeps node_modules out when the user's .gitignore un-ignores it or the agent force-adds it", async () => {
    const { wt } = await worktreeWithProducts("!node_modules/\n");
    await gitIn(wt.path, "add", "-f", "node_modules/dep/index.js");
    writeFileSync(path.join(wt.path, "src/util.ts"), "export const util = 2;\n");
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path)).toEqual(["src/util.ts"]);
    expect((await committed(wt)).filter((p) => p.startsWith("node_modules/"))).toEqual([]);
  });

  it("keeps the user's global excludes in force", async () => {
    const { wt } = await worktreeWithProducts(undefined);
    const globalIgnore = path.join(path.dirname(wt.path), "global-ignore");
    writeFileSync(globalIgnore, "*.log\n");
    await gitIn(wt.path, "config", "core.excludesFile", globalIgnore);
    writeFileSync(path.join(wt.path, "debug.log"), "noise\n");
    writeFileSync(path.join(wt.path, "src/app.ts"), "export const app = 4;\n");
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path)).toEqual(["src/app.ts"]);
  });
});
