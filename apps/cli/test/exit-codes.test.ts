// On the built binary: the exit-code table of omk (docs/cli.md) in every path, and the table is the code's.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitIn, makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo } from "./cli-goal-fixture.js";
import { cleanupE2e } from "./e2e/helpers.js";

afterAll(cleanupE2e);

describe("the exit-code table of omk (docs/cli.md), in the paths the issue named", () => {
  it("no git, no commit and a bad ref are usage errors (2) in every command; a failing wall is 1; a pass 0", async () => {
    const stateDir = makeTempDir();
    const noGit = makeTempDir("omk-nogit-");
    writeFileSync(path.join(noGit, "package.json"), JSON.stringify({ scripts: { test: "node -e 0" } }));
    const noCommit = makeTempDir("omk-nocommit-");
    writeFileSync(path.join(noCommit, "package.json"), JSON.stringify({ scripts: { test: "node -e 0" } }));
    await execa("git", ["init", "-q"], { cwd: noCommit });
    for (const dir of [noGit, noCommit]) {
      for (const args of [
        ["goal", "run", GOAL_TEXT, "--engine", "kimi"],
        ["goal", "plan", GOAL_TEXT],
        ["goal", "verify", "--checkout", ".", "--out", path.join(makeTempDir(), "v.json")],
      ]) {
        const r = await runOmk(args, { stateDir, cwd: dir });
        expect(r.exitCode, `${path.basename(dir)} ${args.join(" ")}: ${r.stderr}`).toBe(2);
        // goal run/plan name which is missing (issue 15); goal verify --checkout keeps its wording.
        expect(r.stderr).toMatch(
          /not a git (repository|checkout) with a commit|is not a git repository: .* — fix: .*git init && git commit --allow-empty -m init|has no commit yet: .* — fix: make a first commit: git commit --allow-empty -m init/,
        );
      }
    }
    const { repo } = await makeRepo();
    const badRef = await runOmk(["goal", "verify", "--checkout", ".", "--base", "no-such-ref", "--out", path.join(makeTempDir(), "v.json")], {
      stateDir,
      cwd: repo,
    });
    expect(badRef.exitCode, badRef.stderr).toBe(2);
    expect(badRef.stderr).toMatch(/no-such-ref is not a commit .* — fix: pass a branch, tag or sha that exists/);
    const pass = await runOmk(["goal", "verify", "--checkout", ".", "--out", path.join(makeTempDir(), "v.json")], { stateDir, cwd: repo });
    expect(pass.exitCode, pass.stderr).toBe(0);
    writeFileSync(path.join(repo, "test", "broken.test.js"), 'import { test } from "node:test";\ntest("x", () => { throw new Error("no"); });\n');
    const fail = await runOmk(["goal", "verify", "--checkout", ".", "--out", path.join(makeTempDir(), "v.json")], { stateDir, cwd: repo });
    expect(fail.exitCode, fail.stderr).toBe(1);
    // git itself failing (the base checkout cannot be made: an object of the base commit is gone) is the environment: 6.
    const stuck = await makeRepo();
    const unchanged = (await gitIn(stuck.repo, "ls-tree", "-r", "--name-only", "HEAD")).split("\n").find((f) => f !== "" && f !== "README.md") ?? "";
    const blob = (await gitIn(stuck.repo, "rev-parse", `HEAD:${unchanged}`)).trim();
    rmSync(path.join(stuck.repo, ".git", "objects", blob.slice(0, 2), blob.slice(2)));
    writeFileSync(path.join(stuck.repo, "README.md"), "# changed\n");
    const infra = await runOmk(["goal", "verify", "--checkout", ".", "--base", "HEAD", "--out", path.join(makeTempDir(), "v.json")], {
      stateDir,
      cwd: stuck.repo,
    });
    expect(infra.exitCode, infra.stderr).toBe(6);
    expect(infra.stderr).toMatch(/a checkout of [0-9a-f]+ failed/);
  }, 120_000);
});

describe("docs/cli.md's exit-code table is the code's", () => {
  it("every code of EXIT and GATES_EXIT has its row, and every row's codes exist in the binaries that list them", async () => {
    const { EXIT } = await import("../src/exit-codes.js");
    const { GATES_EXIT } = await import("@omk/gates");
    const doc = readFileSync(path.resolve(import.meta.dirname, "../../../docs/cli.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Exit codes (one table"), doc.indexOf('Why "no git"'));
    const rows = [...section.matchAll(/^\| (\d+) \| (.*?) \| (.*?) \|$/gm)].map((m) => ({
      code: Number(m[1]),
      omk: m[2] !== "—",
      gates: !(m[3] as string).startsWith("—"),
    }));
    expect(rows.length).toBeGreaterThan(8);
    expect(new Set(rows.filter((r) => r.omk).map((r) => r.code))).toEqual(new Set(Object.values(EXIT)));
    expect(new Set(rows.filter((r) => r.gates).map((r) => r.code))).toEqual(new Set(Object.values(GATES_EXIT)));
  });
});
