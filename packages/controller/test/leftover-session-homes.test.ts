// What a killed run leaves in the goal's folder is swept when the goal resumes: session HOMEs here;
// the detached checkouts' sweep is @omk/worktree's (packages/worktree/test/with-checkout.test.ts).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { sweepLeftoverCheckouts } from "../src/internal/leftover-checkouts.js";

afterAll(cleanupTempDirs);

describe("leftovers of a killed run", () => {
  it("session HOMEs a killed session left (copied login files) are removed when the goal resumes; the rest of each run folder stays", async () => {
    const repo = makeTempDir("omk-detached-");
    await initGitRepo(repo, { "a.txt": "a\n" });
    const goalDir = path.join(makeTempDir("omk-state-"), "goals", "g1");
    const runs = ["runs/implement/1", "reviews/r1-a/attempt-2", "plan/sessions/1", "intake/session"].map((rel) => path.join(goalDir, rel));
    for (const run of runs) {
      mkdirSync(path.join(run, "engine", "home", ".kimi-code"), { recursive: true });
      writeFileSync(path.join(run, "engine", "home", ".kimi-code", "config.toml"), 'api_key = "sk-kimi-left-behind"\n');
      mkdirSync(path.join(run, "engine", "xdg", "config"), { recursive: true });
      writeFileSync(path.join(run, "transcript.jsonl"), "{}\n");
    }
    const swept = await sweepLeftoverCheckouts(repo, goalDir, makeTempDir("omk-tmp-"));
    expect(swept.removed).toEqual(expect.arrayContaining(runs.map((run) => path.join(run, "engine", "home"))));
    for (const run of runs) {
      expect(existsSync(path.join(run, "engine", "home"))).toBe(false);
      expect(existsSync(path.join(run, "engine", "xdg"))).toBe(false);
      expect(existsSync(path.join(run, "transcript.jsonl"))).toBe(true);
    }
  });
});
