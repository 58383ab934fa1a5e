import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, gitIn, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { CaptureSchema, type ChangedFile, captureChanges, checkScope, createTaskWorktree, ScopeViolationSchema, scopeChecker } from "../src/index.js";
import { GOAL, must, setup } from "./helpers.js";

afterAll(cleanupTempDirs);

const byPath = (files: readonly ChangedFile[]) => Object.fromEntries(files.map((f) => [f.path, f]));

describe("captureChanges", () => {
  it("commits the task's work naming goal and task, and returns every kind of change as values with the diff", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const at = (p: string) => path.join(wt.path, p);
    writeFileSync(at("src/app.ts"), "export const app = 2;\n"); // M
    writeFileSync(at("src/new.ts"), "export const fresh = true;\n"); // A
    unlinkSync(at("README.md")); // D
    renameSync(at("docs/guide.md"), at("docs/handbook.md")); // R
    chmodSync(at("scripts/run.sh"), 0o755); // mode change
    unlinkSync(at("src/util.ts"));
    symlinkSync("app.ts", at("src/util.ts")); // T: file to symlink
    symlinkSync("../src/app.ts", at("docs/app-link")); // A symlink
    mkdirSync(at("ignored"));
    writeFileSync(at("ignored/build.log"), "ignored by .gitignore\n");

    const captured = must(await captureChanges(wt, { message: "Add the fresh flag", date: 1_700_000_000 }));
    expect(captured.commit).not.toBeNull();
    expect(captured.head).toBe(captured.commit);
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t1`)).toBe(captured.head);
    const message = await gitIn(fx.repo, "log", "-1", "--format=%B", captured.head);
    expect(message.trimEnd()).toBe(`Add the fresh flag\n\nOMK-Goal: ${GOAL}\nOMK-Task: t1`);
    expect(await gitIn(fx.repo, "log", "-1", "--format=%an <%ae> %ct", captured.head)).toBe("omk <omk@localhost> 1700000000");

    const files = byPath(captured.files);
    expect(Object.keys(files).sort()).toEqual(["README.md", "docs/app-link", "docs/handbook.md", "scripts/run.sh", "src/app.ts", "src/new.ts", "src/util.ts"]);
    expect(files["src/app.ts"]).toMatchObject({ status: "M", kind: "file", modeChanged: false });
    expect(files["src/new.ts"]).toMatchObject({ status: "A", oldMode: null, newMode: "100644" });
    expect(files["README.md"]).toMatchObject({ status: "D", newMode: null, oldMode: "100644" });
    expect(files["docs/handbook.md"]).toMatchObject({ status: "R", oldPath: "docs/guide.md", similarity: 100 });
    expect(files["scripts/run.sh"]).toMatchObject({ status: "M", oldMode: "100644", newMode: "100755", kind: "executable", modeChanged: true });
    expect(files["src/util.ts"]).toMatchObject({ status: "T", kind: "symlink", oldKind: "file", modeChanged: true, symlinkTarget: "app.ts" });
    expect(files["docs/app-link"]).toMatchObject({ status: "A", kind: "symlink", symlinkTarget: "../src/app.ts" });
    expect(captured.diff).toContain("diff --git a/src/app.ts b/src/app.ts");
    expect(captured.diff).toContain("+export const app = 2;");
    expect(captured.diff).toContain("rename from docs/guide.md");
    expect(captured.diffTruncated).toBe(false);
    expect(CaptureSchema.parse(captured)).toEqual(captured);
    expect(await gitIn(wt.path, "status", "--porcelain")).toBe("");

    // Nothing new: no commit, same head, same changes.
    const again = must(await captureChanges(wt));
    expect(again).toMatchObject({ commit: null, head: captured.head });
    expect(again.files).toEqual(captured.files);

    const cut = must(await captureChanges(wt, { maxDiffBytes: 100 }));
    expect(cut.diffTruncated).toBe(true);
    expect(cut.diff.length).toBeLessThanOrEqual(100);
  });

  it("refuses to capture when the checkout left its branch (nothing committed, nothing moved)", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    await gitIn(wt.path, "checkout", "-q", "--detach");
    writeFileSync(path.join(wt.path, "src/app.ts"), "x\n");
    const result = await captureChanges(wt);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("head_moved");
    expect(await gitIn(fx.repo, "rev-parse", `omk/${GOAL}/t1`)).toBe(fx.base);
  });

  it("waits out a fresh index.lock (another git may be working) and clears one a killed git left long ago", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    writeFileSync(path.join(wt.path, "src/app.ts"), "locked out\n");
    const lock = path.join(await gitIn(wt.path, "rev-parse", "--absolute-git-dir"), "index.lock");
    writeFileSync(lock, "");
    const busy = await captureChanges(wt);
    expect(busy.ok ? null : busy.error).toMatchObject({ code: "index_locked", lock });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const captured = must(await captureChanges(wt));
    expect(captured.files.map((f) => f.path)).toEqual(["src/app.ts"]);
  });
});

describe("checkScope on captured changes", () => {
  it("passes changes inside the write set (folders and globs) and reports writes outside it, renames out of it, symlinks out and submodules", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const at = (p: string) => path.join(wt.path, p);
    writeFileSync(at("src/app.ts"), "changed\n");
    writeFileSync(at("docs/extra.md"), "glob-covered\n");
    writeFileSync(at("README.md"), "outside the set\n");
    renameSync(at("scripts/run.sh"), at("src/run.sh")); // renamed from outside the set into it
    symlinkSync("/etc/passwd", at("src/abs-link"));
    symlinkSync("../../outside", at("src/rel-link"));
    symlinkSync("../.git/config", at("src/git-link"));
    symlinkSync("app.ts", at("src/ok-link"));
    const captured = must(await captureChanges(wt));
    // A gitlink change (capture refuses a nested repository or a new gitlink: test/nested-repo.test.ts; this one removes a base submodule).
    const gitlink: ChangedFile = {
      status: "D",
      path: "src/vendored",
      oldPath: null,
      similarity: null,
      oldMode: "160000",
      newMode: null,
      kind: "submodule",
      oldKind: null,
      modeChanged: false,
      symlinkTarget: null,
      oldSha: "a".repeat(40),
      newSha: null,
    };

    const violations = checkScope([...captured.files, gitlink], { id: "t1", writes: ["src/", "docs/*.md"] });
    const summary = violations.map((v) => `${v.kind} ${v.path}`).sort();
    expect(summary).toEqual([
      "git_dir src/git-link",
      "outside_write_set README.md",
      "outside_write_set scripts/run.sh",
      "submodule src/vendored",
      "symlink_escape src/abs-link",
      "symlink_escape src/rel-link",
    ]);
    expect(violations.find((v) => v.path === "src/abs-link")).toMatchObject({ target: "/etc/passwd", change: "A" });
    expect(violations.find((v) => v.path === "scripts/run.sh")?.change).toBe("R");
    for (const v of violations) expect(ScopeViolationSchema.parse(v)).toEqual(v);

    // With everything allowed only the always-violations remain.
    const everything = checkScope([...captured.files, gitlink], { writes: ["."] }, { allowSubmodules: true })
      .map((v) => `${v.kind} ${v.path}`)
      .sort();
    expect(everything).toEqual(["git_dir src/git-link", "symlink_escape src/abs-link", "symlink_escape src/rel-link"]);
    // A write-set entry the shared rules refuse covers nothing and is reported.
    expect(checkScope([], { writes: ["../x", "src/"] })).toEqual([expect.objectContaining({ kind: "invalid_write_entry", path: "../x" })]);
  });

  it("reports paths under any spelling of .git and paths the shared rules refuse", () => {
    const change = (p: string): ChangedFile => ({
      status: "A",
      path: p,
      oldPath: null,
      similarity: null,
      oldMode: null,
      newMode: "100644",
      kind: "file",
      oldKind: null,
      modeChanged: false,
      symlinkTarget: null,
      oldSha: null,
      newSha: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    });
    const kinds = checkScope([change("sub/.GIT/hooks/pre-commit"), change("a\\b.ts"), change("src/[id].ts")], { writes: ["."] }).map(
      (v) => `${v.kind} ${v.path}`,
    );
    expect(kinds).toEqual(["git_dir sub/.GIT/hooks/pre-commit", "invalid_path a\\b.ts"]);
  });
});

describe("scopeChecker (before a write)", () => {
  it("allows writes in the set and refuses writes outside it, into .git, out of the worktree and through symlinks", async () => {
    const fx = await setup();
    const wt = must(await createTaskWorktree({ repo: fx.repo, goalId: GOAL, taskId: "t1", base: fx.base, dir: fx.dir("t1") }));
    const outsideDir = makeTempDir("omk-outside-");
    const at = (p: string) => path.join(wt.path, p);
    symlinkSync(outsideDir, at("src/out-dir"));
    symlinkSync(path.join(outsideDir, "file.txt"), at("src/out-file"));
    symlinkSync(path.join(outsideDir, "not-yet"), at("src/dangling"));
    symlinkSync("../README.md", at("src/readme-link"));
    symlinkSync("../.git", at("src/dotgit"));
    symlinkSync("app.ts", at("src/app-link"));
    const check = scopeChecker({ id: "t1", writes: ["src/"] }, wt.path);
    const decide = (p: string, op?: "write" | "remove") => {
      const d = check(p, op);
      return d.ok ? `ok ${d.path}` : `${d.violation.kind}`;
    };
    expect(decide("src/app.ts")).toBe("ok src/app.ts");
    expect(decide(at("src/new/deep.ts"))).toBe("ok src/new/deep.ts");
    expect(decide("src/app-link")).toBe("ok src/app-link");
    expect(decide("README.md")).toBe("outside_write_set");
    expect(decide(".git")).toBe("git_dir");
    expect(decide(".git/config")).toBe("git_dir");
    expect(decide("src/.Git/hooks/x")).toBe("git_dir");
    expect(decide("../escape.txt")).toBe("escapes_worktree");
    expect(decide("src/../../escape.txt")).toBe("escapes_worktree");
    expect(decide("/etc/passwd")).toBe("escapes_worktree");
    expect(decide(wt.path)).toBe("escapes_worktree");
    expect(decide("src/out-dir/x.txt")).toBe("symlink_escape");
    expect(decide("src/out-file")).toBe("symlink_escape");
    expect(decide("src/dangling")).toBe("symlink_escape");
    expect(decide("src/readme-link")).toBe("outside_write_set");
    expect(decide("src/dotgit/config")).toBe("git_dir");
    // Removing a link removes the link, not what it points to.
    expect(decide("src/out-file", "remove")).toBe("ok src/out-file");
    const through = check("src/readme-link");
    expect(through.ok ? null : through.violation).toMatchObject({ kind: "outside_write_set", path: "README.md", target: "README.md" });
    rmSync(outsideDir, { recursive: true, force: true });
  });
});
