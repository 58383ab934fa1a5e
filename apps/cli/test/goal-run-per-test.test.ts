// `omk goal run` on a project whose test cases OMK cannot read (no known runner behind `npm test`, no .omk/ config):
// the built binary ends blocked_on_human at planning (exit 3) and prints the reason and the config line that fixes it.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo, readyBook, writeBook } from "./cli-goal-fixture.js";

afterAll(cleanupTempDirs);

describe("omk goal run: per-test evidence that cannot be had", () => {
  it("exits 3 before any round, naming the test command and `tests: { format: tap }`", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    writeFileSync(
      path.join(repo, "package.json"),
      JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: "node run-tests.js" } }),
    );
    writeFileSync(path.join(repo, "run-tests.js"), 'import "./test/truncate.test.js";\n');
    rmSync(path.join(repo, ".omk"), { recursive: true, force: true });
    await execa("git", ["add", "-A"], { cwd: repo });
    await execa("git", ["commit", "-qm", "plain test script"], {
      cwd: repo,
      env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
    });
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--until-ready", "--script", writeBook(readyBook())], { stateDir, cwd: repo });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.exitCode, out).toBe(3);
    expect(out).toMatch(/no per-test evidence can be had from the test command `npm run test`/);
    expect(out).toContain("tests: { format: tap }");
    expect(out).not.toMatch(/round 2/);
  }, 90_000);
});
