// On the built binary: a dirty working tree is named at the start in every renderer (not an error).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir, omkBinPath, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo } from "./cli-goal-fixture.js";
import { cleanupE2e } from "./e2e/helpers.js";

afterAll(cleanupE2e);

describe("a dirty working tree is named at the start (not an error)", () => {
  async function dirtyRepo() {
    const { repo, base } = await makeRepo();
    writeFileSync(path.join(repo, "README.md"), "# edited\n");
    mkdirSync(path.join(repo, "scratch"));
    for (let i = 0; i < 12; i++) writeFileSync(path.join(repo, "scratch", `n${String(i).padStart(2, "0")}.txt`), "x\n");
    return { repo, base };
  }
  const NAMED =
    /the working tree has 13 uncommitted files the run leaves out \(it starts from commit [0-9a-f]{12}\): README\.md, scratch\/n00\.txt, .*scratch\/n08\.txt and 3 more — fix: /;

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
    const screen = String(r.stdout)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what is stripped
      .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")
      .replace(/\r/g, "");
    expect(r.exitCode, screen).toBe(0);
    expect(screen).toMatch(new RegExp(`warning: ${NAMED.source}`));
    expect(screen.indexOf("warning: the working tree")).toBeLessThan(screen.indexOf("intake"));
  }, 60_000);
});
