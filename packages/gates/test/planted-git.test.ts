// The gates' git operations (tree state, baseline worktree add/remove, the builtins' diff and file reads,
// the setup's ls-files) in a repository with hooks, fsmonitor, filters, textconv, merge driver and includes
// planted in .git: none of it runs (docs/decisions/git.md).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { cleanupTempDirs, initGitRepo, makeTempDir, plantGitCode, plantNestedRepo } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { compareToBaseline, readTreeState } from "../src/index.js";
import { configOf } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("gates in a repository with planted git code", () => {
  it("compareToBaseline and readTreeState run none of it", async () => {
    const root = makeTempDir("gates-planted-");
    const dir = path.join(root, "repo");
    const base = await initGitRepo(dir, {
      "a.ts": "export const a = 1;\n",
      "b.md": "# b\n",
      "c.sh": "echo c\n",
      "package.json": '{"name":"p","version":"1.0.0"}\n',
    });
    const planted = await plantGitCode(dir, path.join(root, "markers"));
    writeFileSync(path.join(dir, "a.ts"), "export const a = 2;\n");
    writeFileSync(path.join(dir, "b.md"), "# b changed\n");
    writeFileSync(path.join(dir, "new.md"), "# new\n");

    const state = await readTreeState(dir);
    expect(state).toMatchObject({ commit: base, dirty: true });

    const config = configOf(
      { name: "check", kind: "custom", command: [process.execPath, "-e", "0"] },
      { name: "secrets", kind: "security", builtin: "secret-scan" },
      { name: "deps", kind: "dependency", builtin: "dependency-changes", required: false },
    );
    const run = await compareToBaseline({ root: dir, base, config, outDir: path.join(makeTempDir("gates-out-"), "planted"), killGraceMs: 500 });
    expect(run.head.gates.map((g) => g.outcome)).not.toContain("error");
    expect(run.base.commit).toBe(base);
    expect(planted.ran()).toEqual([]);
  });

  it("a nested repository recorded as a gitlink, with a filter, fsmonitor and hooks of its own: the tree state and the builtins' diff run none of it", async () => {
    const root = makeTempDir("gates-nested-");
    const dir = path.join(root, "repo");
    const base = await initGitRepo(dir, { "a.ts": "export const a = 1;\n", "package.json": '{"name":"p","version":"1.0.0"}\n' });
    const markers = path.join(root, "markers");
    const nested = await plantNestedRepo(dir, "vendor/nested", markers, "gitfile");
    // As an agent (or a test the gate ran) would leave it: staged as a gitlink, with a .gitmodules asking git to look inside.
    await execa("git", ["-c", "core.hooksPath=/dev/null", "add", "vendor/nested"], { cwd: dir });
    writeFileSync(path.join(dir, ".gitmodules"), '[submodule "n"]\n\tpath = vendor/nested\n\turl = ./vendor/nested\n\tignore = none\n');
    writeFileSync(path.join(dir, "a.ts"), "export const a = 2;\n");
    nested.touch();
    expect(await readTreeState(dir)).toMatchObject({ commit: base, dirty: true });
    nested.touch();
    const config = configOf(
      { name: "secrets", kind: "security", builtin: "secret-scan" },
      { name: "deps", kind: "dependency", builtin: "dependency-changes", required: false },
    );
    const run = await compareToBaseline({ root: dir, base, config, outDir: path.join(makeTempDir("gates-out-"), "nested"), killGraceMs: 500 });
    expect(run.head.gates.map((g) => g.outcome)).not.toContain("error");
    expect(nested.ran()).toEqual([]);
    // The control: plain git status there runs the nested repository's filter.
    nested.touch();
    await execa("git", ["status", "--porcelain"], { cwd: dir });
    expect(nested.ran()).toContain("nested-filter-clean");
  });
});
