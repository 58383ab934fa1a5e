// Issue 13 hygiene, on the built binary: config errors stop a run before it starts (exit 2); nothing is written into the
// user's repository; a dirty working tree is named in every renderer; the exit-code table (docs/cli.md) in every path.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gitIn, makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo } from "./cli-goal-fixture.js";
import { FEATURE_GOAL, featureBook } from "./e2e/books.js";
import { cleanupE2e, describeRun, newWorld, scripted } from "./e2e/helpers.js";

afterAll(cleanupE2e);

const porcelain = async (dir: string) => (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir })).stdout;
const BROKEN = "version: 1\ngates:\n  - name: test\n    kind: tset\n    command: [node, --test]\n";
const POSITION = /\.omk\/gates\.yaml:4:11: gates\.0\.kind: .* — fix: correct gates\.yaml at line 4 /;

describe("a broken gates config stops the run before it starts: exit 2, the file, line:col, schema path and fix", () => {
  it("goal run, goal plan, goal resume, --gates FILE, goal verify; nothing is recorded", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const created = await runOmk(["goal", "create", GOAL_TEXT, "--json"], { stateDir, cwd: repo });
    const goalId = (created.json() as { id: string }).id;
    writeFileSync(path.join(repo, ".omk", "gates.yaml"), BROKEN);
    const before = readdirSync(path.join(stateDir, "goals"));
    for (const args of [
      ["goal", "run", GOAL_TEXT, "--engine", "kimi"],
      ["goal", "plan", GOAL_TEXT],
      ["goal", "run", "--dry-run", GOAL_TEXT],
      ["goal", "resume", goalId],
      ["goal", "run", goalId],
      ["goal", "verify", goalId],
      ["goal", "verify", "--checkout", ".", "--out", path.join(makeTempDir(), "v.json")],
    ]) {
      const r = await runOmk(args, { stateDir, cwd: repo });
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(POSITION);
      expect(r.stderr, args.join(" ")).not.toMatch(/check the environment|planning failed/);
    }
    expect(readdirSync(path.join(stateDir, "goals"))).toEqual(before);
    expect((await runOmk(["goal", "status", goalId, "--json"], { stateDir, cwd: repo })).json()).toMatchObject({ status: "created" });
    // --gates FILE: that file is the config (the repository's own is fine here).
    writeFileSync(path.join(repo, ".omk", "gates.yaml"), readFileSync(path.join(repo, ".omk", "gates.yaml"), "utf8").replace("tset", "test"));
    const other = path.join(makeTempDir(), "gates.yaml");
    writeFileSync(other, "gates:\n  - {name: a, kind: test, command: 'npm test'}\n");
    const flagged = await runOmk(["goal", "plan", GOAL_TEXT, "--gates", other], { stateDir, cwd: repo });
    expect(flagged.exitCode, flagged.stderr).toBe(2);
    expect(flagged.stderr).toMatch(/gates\.yaml:2:\d+: gates\.0\.command: a string command needs `shell: true`/);
  }, 120_000);
});

describe("nothing is written into the user's repository", () => {
  it("goal verify --checkout --out FILE: the record where asked, logs in the state dir; git status unchanged", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const before = await porcelain(repo);
    const ci = makeTempDir("omk-ci-");
    const r = await runOmk(["goal", "verify", "--checkout", ".", "--out", path.join(ci, "verify.json")], { stateDir, cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await porcelain(repo)).toBe(before);
    const record = JSON.parse(readFileSync(path.join(ci, "verify.json"), "utf8")) as { dirty: boolean; report: { path: string } };
    expect(record.dirty).toBe(false);
    const report = path.resolve(ci, record.report.path);
    expect(report.startsWith(path.join(stateDir, "verifications"))).toBe(true);
    expect(existsSync(report)).toBe(true);
    // A second run still sees a clean tree (the first left nothing behind in it).
    const again = await runOmk(["goal", "verify", "--checkout", ".", "--out", path.join(ci, "verify.json")], { stateDir, cwd: repo });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(readFileSync(path.join(ci, "verify.json"), "utf8")) as { dirty: boolean }).dirty).toBe(false);
    expect(await porcelain(repo)).toBe(before);
  }, 60_000);

  it("goal run to ready (scripted engine: tasks, gates, review, proof) leaves git status unchanged", async () => {
    const w = await newWorld();
    const before = await porcelain(w.repo);
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("feature", featureBook())));
    expect(run.exitCode, describeRun(run)).toBe(0);
    expect(await porcelain(w.repo)).toBe(before);
  }, 150_000);

  it("goal create, goal plan and goal verify of a goal leave git status unchanged", async () => {
    const stateDir = makeTempDir();
    const { repo } = await makeRepo();
    const before = await porcelain(repo);
    const created = await runOmk(["goal", "create", GOAL_TEXT, "--json"], { stateDir, cwd: repo });
    expect(created.exitCode, created.stderr).toBe(0);
    const planned = await runOmk(["goal", "plan", GOAL_TEXT], { stateDir, cwd: repo });
    expect(planned.exitCode, planned.stderr).toBe(0);
    const verified = await runOmk(["goal", "verify", (created.json() as { id: string }).id], { stateDir, cwd: repo });
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(await porcelain(repo)).toBe(before);
  }, 90_000);
});

describe("a dirty working tree is named at the start (not an error)", () => {
  async function dirtyRepo() {
    const { repo, base } = await makeRepo();
    writeFileSync(path.join(repo, "README.md"), "# edited\n");
    mkdirSync(path.join(repo, "scratch"));
    for (let i = 0; i < 12; i++) writeFileSync(path.join(repo, "scratch", `n${String(i).padStart(2, "0")}.txt`), "x\n");
    return { repo, base };
  }
  const NAMED = /the working tree has 13 uncommitted files the run leaves out \(it starts from commit [0-9a-f]{12}\): README\.md, scratch\/n00\.txt, .*scratch\/n08\.txt and 3 more — fix: /;

  it("plain and --json (an event; worktree_dirty_noted in the log); goal create warns", async () => {
    const stateDir = makeTempDir();
    const { repo } = await dirtyRepo();
    const created = await runOmk(["goal", "create", GOAL_TEXT], { stateDir, cwd: repo });
    expect(created.exitCode).toBe(0);
    expect(created.stderr).toMatch(new RegExp(`^omk: warning: ${NAMED.source}`, "m"));
    const plain = await runOmk(["goal", "plan", GOAL_TEXT, "--plain"], { stateDir, cwd: repo });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d warning: ${NAMED.source}`, "m"));
    const json = await runOmk(["goal", "plan", GOAL_TEXT, "--json"], { stateDir, cwd: repo });
    expect(json.exitCode, json.stderr).toBe(0);
    const events = json.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { type: string; files?: string[]; more?: number; event?: { type: string; data: Record<string, unknown> } });
    const dirty = events.find((e) => e.type === "tree_dirty");
    expect(dirty?.files).toHaveLength(10);
    expect(dirty?.more).toBe(3);
    const noted = events.find((e) => e.type === "goal_event" && e.event?.type === "worktree_dirty_noted");
    expect(noted?.event?.data).toMatchObject({ files: dirty?.files, more: 3 });
  }, 90_000);

  it("the listr2 view (a real pty) shows it before the first phase", async () => {
    const stateDir = makeTempDir();
    const { repo } = await dirtyRepo();
    const command = [process.execPath, omkBinPath, "goal", "plan", JSON.stringify(GOAL_TEXT)].map((w) => (w.startsWith('"') ? w : `'${w}'`)).join(" ");
    const env: NodeJS.ProcessEnv = { ...process.env, OMK_STATE_DIR: stateDir, NO_COLOR: "1", TERM: "xterm", COLUMNS: "400" };
    delete env["CI"];
    const r = await execa("script", ["-qec", command, "/dev/null"], { cwd: repo, env, reject: false, stdin: "ignore" });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is stripped
    const screen = String(r.stdout).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
    expect(r.exitCode, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`warning: ${NAMED.source}`));
    expect(screen.indexOf("warning: the working tree")).toBeLessThan(screen.indexOf("intake"));
  }, 60_000);
});

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
        expect(r.stderr).toMatch(/not a git (repository|checkout) with a commit|is not a git repository: .* — fix: .*git init && git commit --allow-empty -m init|has no commit yet: .* — fix: make a first commit: git commit --allow-empty -m init/);
      }
    }
    const { repo } = await makeRepo();
    const badRef = await runOmk(["goal", "verify", "--checkout", ".", "--base", "no-such-ref", "--out", path.join(makeTempDir(), "v.json")], { stateDir, cwd: repo });
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
    const infra = await runOmk(["goal", "verify", "--checkout", ".", "--base", "HEAD", "--out", path.join(makeTempDir(), "v.json")], { stateDir, cwd: stuck.repo });
    expect(infra.exitCode, infra.stderr).toBe(6);
    expect(infra.stderr).toMatch(/a checkout of [0-9a-f]+ failed/);
  }, 120_000);
});

describe("docs/cli.md's exit-code table is the code's", () => {
  it("every code of EXIT and GATES_EXIT has its row, and every row's codes exist in the binaries that list them", async () => {
    const { EXIT } = await import("../src/exit-codes.js");
    const { GATES_EXIT } = await import("@omk/gates");
    const doc = readFileSync(path.resolve(import.meta.dirname, "../../../docs/cli.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Exit codes (one table"), doc.indexOf("Why \"no git\""));
    const rows = [...section.matchAll(/^\| (\d+) \| (.*?) \| (.*?) \|$/gm)].map((m) => ({ code: Number(m[1]), omk: m[2] !== "—", gates: !(m[3] as string).startsWith("—") }));
    expect(rows.length).toBeGreaterThan(8);
    expect(new Set(rows.filter((r) => r.omk).map((r) => r.code))).toEqual(new Set(Object.values(EXIT)));
    expect(new Set(rows.filter((r) => r.gates).map((r) => r.code))).toEqual(new Set(Object.values(GATES_EXIT)));
  });
});
