// Detached checkouts (baseline, verification, overlay, review, proof-verify): a git dir of their own,
// registered nowhere in the user's repository; what a killed run leaves is swept when the goal resumes.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { cleanupTempDirs, gitIn, initGitRepo, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { addDetachedWorktree, evidenceCheckoutDir, removeDetachedWorktree } from "../src/internal/detached-worktree.js";
import { sweepLeftoverCheckouts } from "../src/internal/leftover-checkouts.js";

afterAll(cleanupTempDirs);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "overlay-child.ts");

describe("detached checkouts", () => {
  it("have a git dir of their own, outside the goal's folder, and replace what an older OMK registered at the same folder", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const goalDir = path.join(makeTempDir("omk-state-"), "goals", "g1");
    const dir = evidenceCheckoutDir(goalDir, "base");
    expect(dir).toBe(path.join(path.dirname(path.dirname(goalDir)), "checkouts", "g1", "_evidence", "base"));
    expect(path.relative(goalDir, dir).startsWith("..")).toBe(true);
    // What a SIGKILL during an older OMK's `git worktree add` left: a registration, locked while git initializes it, and no folder.
    mkdirSync(path.dirname(dir), { recursive: true });
    await gitIn(repo, "worktree", "add", "-q", "--detach", dir, commit);
    await gitIn(repo, "worktree", "lock", "--reason", "initializing", dir);
    rmSync(dir, { recursive: true, force: true });

    const again = await addDetachedWorktree(repo, dir, commit);
    expect(again.output).toBe("");
    expect(again.ok).toBe(true);
    expect(existsSync(path.join(dir, "a.txt"))).toBe(true);
    expect(statSync(path.join(dir, ".git")).isDirectory()).toBe(true);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(dir);
    await removeDetachedWorktree(repo, dir);
    expect(existsSync(dir)).toBe(false);
  });

  it("an overlay checkout killed with its run is removed when the goal resumes, and was never registered", async () => {
    const repo = makeTempDir("omk-detached-");
    const commit = await initGitRepo(repo, { "a.txt": "a\n" });
    const tmp = makeTempDir("omk-tmp-");
    const goalDir = path.join(makeTempDir("omk-state-"), "goals", "g1");
    const child = spawnTsScript(CHILD, [repo, commit], { env: { ...process.env, TMPDIR: tmp } });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    for (let i = 0; i < 600 && !out.includes("inside ") && child.exitCode === null; i++) await sleep(100);
    const dir = /inside (.*)\n/.exec(out)?.[1] ?? "";
    expect(dir).not.toBe("");
    child.kill("SIGKILL");
    await child;
    // Left behind by the kill: the folder, with a git dir of its own; nothing registered in the user's repository.
    expect(existsSync(path.join(dir, ".git"))).toBe(true);
    expect(path.dirname(path.dirname(dir))).toBe(tmp);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(tmp);
    // An evidence checkout of the same run, left too.
    const evidence = evidenceCheckoutDir(goalDir, "r1-head");
    expect((await addDetachedWorktree(repo, evidence, commit)).ok).toBe(true);

    const swept = await sweepLeftoverCheckouts(repo, goalDir, tmp);
    expect(swept.removed).toEqual(expect.arrayContaining([path.dirname(dir), path.dirname(evidence)]));
    expect(existsSync(path.dirname(dir))).toBe(false);
    expect(existsSync(evidence)).toBe(false);
    expect(await gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(tmp);
  });

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
