// The gates' git operations (tree state, baseline worktree add/remove, the builtins' diff and file reads,
// the setup's ls-files) in a repository with hooks, fsmonitor, filters, textconv, merge driver and includes
// planted in .git: none of it runs (docs/decisions/git.md).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir, plantGitCode } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { compareToBaseline, readTreeState } from "../src/index.js";
import { configOf } from "./helpers.js";

afterAll(cleanupTempDirs);

describe("gates in a repository with planted git code", () => {
  it("compareToBaseline and readTreeState run none of it", async () => {
    const root = makeTempDir("gates-planted-");
    const dir = path.join(root, "repo");
    const base = await initGitRepo(dir, { "a.ts": "export const a = 1;\n", "b.md": "# b\n", "c.sh": "echo c\n", "package.json": '{"name":"p","version":"1.0.0"}\n' });
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
});
