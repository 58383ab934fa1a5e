// On the built binary: a broken gates config stops a run before it starts (exit 2), naming its position.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir, runOmk } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo } from "./cli-goal-fixture.js";
import { cleanupE2e } from "./e2e/helpers.js";

afterAll(cleanupE2e);

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
