// One-line errors through the built binary: commander's own (missing argument, unknown option or command)
// and a malformed YAML script book, each `omk: <problem> — fix: <what to do>`, exit 2.
import { existsSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { firstLine } from "../src/engine.js";
import { GOAL_TEXT, makeRepo, writeBook } from "./cli-goal-fixture.js";
import { asPrinted } from "./printed.js";

afterAll(cleanupTempDirs);

describe("usage errors are one line with the fix", () => {
  it("commander's errors: missing argument, unknown option, unknown command (exit 2, one line naming the command's --help)", async () => {
    const stateDir = makeTempDir();
    const cases: Array<[string[], string]> = [
      [["goal", "create"], "omk: missing required argument 'text' — fix: see `omk goal create --help`"],
      [["goal", "list", "--frob"], "omk: unknown option '--frob' — fix: see `omk goal list --help`"],
      [["goal", "lst"], "omk: unknown command 'lst' (Did you mean list?) — fix: see `omk goal --help`"],
      [["frobnicate"], "omk: unknown command 'frobnicate' — fix: see `omk --help`"],
      [["proof", "verify", "--repo"], "omk: option '--repo <dir>' argument missing — fix: see `omk proof verify --help`"],
    ];
    for (const [args, line] of cases) {
      const r = await runOmk(args, { stateDir });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toBe(asPrinted(line, { stateDir })); // runOmk drops the final newline
      expect(r.stdout).toBe("");
    }
  }, 60_000);

  it("a malformed YAML script book: one line with the parser's first line and the position", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const book = writeBook("version: 1\nsessions: [\n", "book.yaml");
    const r = await runOmk(["goal", "run", GOAL_TEXT, "--script", book], { stateDir, cwd: repo });
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^omk: .*book\.yaml is not valid YAML or JSON: .*line \d+, column \d+ — fix: /);
  }, 60_000);

  it("--help of omk and of omk engines says where the config files live; resume's help says its defaults are what the goal recorded", async () => {
    const stateDir = makeTempDir();
    for (const args of [["--help"], ["engines", "--help"]]) {
      const r = await runOmk(args, { stateDir });
      expect(r.exitCode, args.join(" ")).toBe(0);
      expect(r.stdout).toContain("user: $XDG_CONFIG_HOME/omk/config.yaml (default ~/.config/omk/config.yaml)");
      expect(r.stdout).toContain("repo: .omk/config.yaml in the repository");
    }
    const flat = (t: string) => t.replace(/\s+/g, " ");
    for (const command of ["resume", "execute", "review"]) {
      const r = flat((await runOmk(["goal", command, "--help"], { stateDir })).stdout);
      expect(r).toContain("(default: what the goal ran with, else 3)");
      expect(r).toContain("(default: what the goal ran with, else $OMK_ENGINE, else the config's defaultEngine");
      expect(r).not.toContain("(default 3)");
    }
    const run = flat((await runOmk(["goal", "run", "--help"], { stateDir })).stdout);
    expect(run).toContain("(default: what the goal ran with when <goal> is an id, else 3)");
    const plan = flat((await runOmk(["goal", "plan", "--help"], { stateDir })).stdout);
    expect(plan).toContain("(default: 3)");
    expect(plan).not.toContain("what the goal ran with");
  }, 60_000);

  it("argument order: an empty goal text is named before git and the engine (PATH with no engine, outside a repository)", async () => {
    const stateDir = makeTempDir();
    const nowhere = makeTempDir("omk-not-a-repo-");
    const bare = { PATH: path.dirname(process.execPath) === "/usr/bin" ? "/usr/bin:/bin" : `${path.dirname(process.execPath)}:/usr/bin:/bin`, OMK_ENGINE: "" };
    for (const [command, args] of [
      ["run", ["goal", "run", ""]],
      ["run", ["goal", "run", "   ", "--engine", "warp-drive"]],
      ["plan", ["goal", "plan", ""]],
      ["create", ["goal", "create", " "]],
    ] as const) {
      const r = await runOmk([...args], { stateDir, cwd: nowhere, env: bare });
      expect(r.exitCode, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toBe(
        asPrinted(`omk: the goal text is empty — fix: describe the goal, e.g. omk goal ${command} "Add a --json flag to report"`, { stateDir, env: bare }),
      );
    }
    // The budget flags are the user's input too: named before the engine.
    const badBudget = await runOmk(["goal", "run", "x", "--budget-usd", "free"], { stateDir, cwd: nowhere, env: bare });
    expect(badBudget.stderr).toMatch(/^omk: --budget-usd "free" is not a positive amount/);
    expect(existsSync(path.join(stateDir, "goals"))).toBe(false);
  }, 60_000);

  it("goal create, run and plan refuse a folder that is not a git repository, a --repo that does not exist, and a repository with no commit (exit 2, the fix), recording nothing", async () => {
    const stateDir = makeTempDir();
    const nowhere = makeTempDir("omk-not-a-repo-");
    const fresh = makeTempDir("omk-no-commit-");
    await execa("git", ["init", "-q"], { cwd: fresh });
    const book = writeBook("version: 1\nsessions: {}\n", "book.yaml");
    for (const args of [
      ["goal", "create", GOAL_TEXT],
      ["goal", "run", GOAL_TEXT, "--engine", "scripted", "--script", book],
      ["goal", "plan", GOAL_TEXT],
    ]) {
      const outside = await runOmk(args, { stateDir, cwd: nowhere });
      expect(outside.exitCode, `${args.join(" ")}: ${outside.stderr}`).toBe(2);
      expect(outside.stderr.trimEnd().split("\n")).toEqual([
        `omk: ${realpathSync(nowhere)} is not a git repository: a goal works from a commit of one — fix: run it inside a git clone, or pass --repo DIR; for a new project: git init && git commit --allow-empty -m init`,
      ]);
      const noCommit = await runOmk(args, { stateDir, cwd: fresh });
      expect(noCommit.exitCode, args.join(" ")).toBe(2);
      expect(noCommit.stderr.trimEnd().split("\n")).toEqual([
        `omk: ${realpathSync(fresh)} has no commit yet: a goal works from a commit — fix: make a first commit: git commit --allow-empty -m init`,
      ]);
      // --repo names the folder the same way.
      const viaFlag = await runOmk([...args, "--repo", fresh], { stateDir, cwd: nowhere });
      expect(viaFlag.stderr, args.join(" ")).toMatch(/has no commit yet: .*— fix: make a first commit: git commit --allow-empty -m init/);
    }
    // A --repo folder that does not exist (or is a file) is named as such, not as "not a git repository".
    const gone = path.join(nowhere, "nonexistent");
    const missing = await runOmk(["goal", "create", GOAL_TEXT, "--repo", gone], { stateDir, cwd: nowhere });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trimEnd()).toBe(`omk: ${gone} does not exist — fix: pass --repo the folder of a git clone (or run omk inside one)`);
    const file = path.join(nowhere, "a-file");
    writeFileSync(file, "");
    const notFolder = await runOmk(["goal", "run", GOAL_TEXT, "--engine", "scripted", "--script", book, "--repo", file], { stateDir, cwd: nowhere });
    expect(notFolder.exitCode).toBe(2);
    expect(notFolder.stderr.trimEnd()).toBe(`omk: ${file} is not a folder — fix: pass --repo the folder of a git clone (or run omk inside one)`);
    expect(existsSync(path.join(stateDir, "goals")) ? readdirSync(path.join(stateDir, "goals")) : []).toEqual([]);
    // The fix works as printed: after it, the goal is created.
    await execa("git", ["commit", "-q", "--allow-empty", "-m", "init"], {
      cwd: fresh,
      env: { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e.invalid" },
    });
    const created = await runOmk(["goal", "create", GOAL_TEXT], { stateDir, cwd: fresh });
    expect(created.exitCode, created.stderr).toBe(0);
  }, 60_000);

  it("firstLine keeps the position when only a later line has it", () => {
    expect(firstLine("bad thing:\n\n  x\n  ^ at line 4, column 2\n")).toBe("bad thing (line 4, column 2)");
    expect(firstLine("bad at line 3, column 1:\n\nsessions: [\n^\n")).toBe("bad at line 3, column 1");
    expect(firstLine("one line")).toBe("one line");
  });
});
