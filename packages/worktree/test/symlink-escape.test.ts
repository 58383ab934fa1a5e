// checkScope follows a symlink's destination through the tree's other symlinks (real repos, real links).
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { captureChanges, checkScope, createTaskWorktree, ScopeViolationSchema } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

/** `a/` repeated `n` times then `../` as often: lexically a no-op, on disk a walk up when `a -> .`. */
const detour = (n: number, rest: string) => `${"a/".repeat(n)}${"../".repeat(n)}${rest}`;

describe("checkScope resolves symlinks through other symlinks", () => {
  it("reports a symlink that leaves the worktree through a symlink added in the same change", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const outside = path.join(path.dirname(wt.path), "SECRET");
    writeFileSync(outside, "outside the worktree\n");
    const up = path.relative(path.dirname(outside), wt.path).split(path.sep).length; // folders from the worktree root up to SECRET's
    const target = detour(up + 1, "SECRET"); // from src/: one more level
    symlinkSync(".", path.join(wt.path, "src/a"));
    symlinkSync(target, path.join(wt.path, "src/l"));
    symlinkSync("a/a/app.ts", path.join(wt.path, "src/inside")); // the same detour, staying in src/
    expect(readFileSync(path.join(wt.path, "src/l"), "utf8")).toBe("outside the worktree\n"); // the escape is real
    const captured = must(await captureChanges(wt));

    for (const violations of [checkScope(captured.files, { writes: ["src/"] }), checkScope(captured, { writes: ["src/"] })]) {
      expect(violations.map((v) => `${v.kind} ${v.path}`)).toEqual(["symlink_escape src/l"]);
      const [found] = violations;
      expect(found).toMatchObject({ change: "A", target });
      expect(found?.message).toBe(`symlink "src/l" points to ${JSON.stringify(target)}, outside the worktree (through the symlink "src/a")`);
      for (const v of violations) expect(ScopeViolationSchema.parse(v)).toEqual(v);
    }
  });

  it("reports a symlink that leaves through a symlink already in the base commit (the capture lists the tree's symlinks)", async () => {
    const fx = await setup();
    symlinkSync(".", path.join(fx.repo, "src/a"));
    await gitIn(fx.repo, "add", "src/a");
    await gitIn(fx.repo, "commit", "-q", "-m", "a link to its own folder");
    const base = await gitIn(fx.repo, "rev-parse", "HEAD");
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base, dir: fx.dir("t1") }));
    symlinkSync("a/a/../../../outside", path.join(wt.path, "src/l"));
    symlinkSync("a/a/../.git/config", path.join(wt.path, "src/g"));
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path).sort()).toEqual(["src/g", "src/l"]);
    expect(captured.symlinks).toEqual({ "src/a": ".", "src/g": "a/a/../.git/config", "src/l": "a/a/../../../outside" });

    const violations = checkScope(captured, { writes: ["src/"] }).map((v) => `${v.kind} ${v.path}`);
    expect(violations).toEqual(["git_dir src/g", "symlink_escape src/l"]);
    // The same through the option, for callers that keep only the files.
    expect(checkScope(captured.files, { writes: ["src/"] }, { symlinks: captured.symlinks }).map((v) => `${v.kind} ${v.path}`)).toEqual(violations);
  });

  it("treats a symlink loop (more than 40 links) as a violation", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    symlinkSync("y", path.join(wt.path, "src/x"));
    symlinkSync("x", path.join(wt.path, "src/y"));
    symlinkSync("x/app.ts", path.join(wt.path, "src/z"));
    symlinkSync("util.ts", path.join(wt.path, "src/fine"));
    const captured = must(await captureChanges(wt));
    const violations = checkScope(captured, { writes: ["src/"] });
    expect(violations.map((v) => `${v.kind} ${v.path}`)).toEqual(["symlink_escape src/x", "symlink_escape src/y", "symlink_escape src/z"]);
    for (const v of violations) expect(v.message).toContain("does not resolve within 40 symlinks (a loop)");
  });
});
