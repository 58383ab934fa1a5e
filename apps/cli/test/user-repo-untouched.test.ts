// On the built binary: nothing is written into the user's repository (git status unchanged).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir, runOmk } from "@omk/test-fixtures";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { GOAL_TEXT, makeRepo } from "./cli-goal-fixture.js";
import { FEATURE_GOAL, featureBook } from "./e2e/books.js";
import { cleanupE2e, describeRun, newWorld, scripted } from "./e2e/helpers.js";

afterAll(cleanupE2e);

const porcelain = async (dir: string) => (await execa("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: dir })).stdout;

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
