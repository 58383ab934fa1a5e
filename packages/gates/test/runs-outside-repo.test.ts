import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { defaultRunsDir } from "../src/internal/runs-dir.js";
import { gatesIn } from "./cli-helpers.js";

afterAll(cleanupTempDirs);

const porcelain = async (dir: string) => (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir })).stdout;

describe("nothing is written into the user's repository", () => {
  it("run and compare keep their logs in the state dir (OMK_STATE_DIR/gates-runs/<project>-<hash>/); --out and --junit go where asked", async () => {
    const repo = makeTempDir("hyg-repo-");
    await initGitRepo(repo, { "package.json": JSON.stringify({ name: "p", version: "1.0.0", scripts: { test: "node -e 0" } }), "package-lock.json": "{}" });
    await execa("git", ["commit", "-q", "--allow-empty", "-m", "second"], {
      cwd: repo,
      env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" },
    });
    const state = makeTempDir("hyg-state-");
    const env = { OMK_STATE_DIR: state };
    const before = await porcelain(repo);
    const run = await gatesIn(repo, env, "run", "--quiet");
    expect(run.code, run.stderr).toBe(0);
    const runs = defaultRunsDir(repo, env);
    expect(runs.startsWith(path.join(state, "gates-runs", `${path.basename(repo)}-`))).toBe(true);
    expect(readdirSync(runs)).toHaveLength(1);
    expect(existsSync(path.join(runs, readdirSync(runs)[0] as string, "report.json"))).toBe(true);
    expect(run.stdout).toContain(`logs ${runs}`);
    const compare = await gatesIn(repo, env, "compare", "--base", "HEAD~1", "--quiet");
    expect(compare.code, compare.stderr).toBe(0);
    const ci = makeTempDir("hyg-ci-");
    const out = await gatesIn(
      repo,
      env,
      "run",
      "--quiet",
      "--out",
      path.join(ci, "gates"),
      "--junit",
      path.join(ci, "junit.xml"),
      "--markdown",
      path.join(ci, "wall.md"),
    );
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(path.join(ci, "gates", "report.json"))).toBe(true);
    expect(await porcelain(repo)).toBe(before);
    expect(existsSync(path.join(repo, ".omk"))).toBe(false);
    // No OMK_STATE_DIR: XDG_STATE_HOME/omk, else ~/.local/state/omk.
    expect(defaultRunsDir(repo, { XDG_STATE_HOME: "/x/state" })).toMatch(/^\/x\/state\/omk\/gates-runs\//);
    expect(defaultRunsDir(repo, {}, "/home/u")).toMatch(/^\/home\/u\/\.local\/state\/omk\/gates-runs\//);
  }, 60_000);
});
