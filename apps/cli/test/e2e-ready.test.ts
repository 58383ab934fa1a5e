// End to end through the built `omk` binary with the scripted engine: a feature goal ends `ready`
// with a proof that `omk proof verify` confirms; an ambiguous goal ends `blocked_on_human`.
import { writeFileSync } from "node:fs";
import { intake } from "@omk/planner";
import { goalPaths } from "@omk/state";
import { gitIn } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { ACCEPTANCE, AMBIGUOUS_GOAL, FEATURE_GOAL, featureBook } from "./e2e/books.js";
import {
  branchesOf,
  cleanupE2e,
  describeRun,
  EXIT_BY_STATUS,
  eventsOf,
  filesAt,
  goalIdOf,
  integrationHead,
  lostTaskCommits,
  newWorld,
  outcomePathOf,
  readEvents,
  readFailure,
  readProof,
  scripted,
  showGoal,
  statusOf,
} from "./e2e/helpers.js";
import { TEST_GATE } from "./e2e/repo.js";

afterAll(cleanupE2e);

describe.concurrent("omk goal run (e2e, scripted engine)", () => {
  it("drives a feature goal to ready; proof.json holds and `omk proof verify` confirms it", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("feature", featureBook())));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.ready);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("ready");
    const proofFile = outcomePathOf(run.stdout, "proof");
    expect(proofFile).toBe(goalPaths(w.stateDir, goalId).proof);

    // proof.json parses and says what was proven, on which commits, by which tasks.
    const proof = readProof(proofFile);
    expect(proof).toMatchObject({ goalId, status: "ready", baseCommit: w.base });
    expect(proof.tasks.map((t) => t.id).sort()).toEqual(["implement", "write-tests"]);
    expect(Object.fromEntries(proof.criteria.map((c) => [c.id, c.verdict]))).toEqual({
      [ACCEPTANCE]: "passed",
      [`gate-${TEST_GATE}`]: "passed",
      review: "passed",
    });
    expect(proof.gates.filter((g) => g.name === TEST_GATE).map((g) => [g.outcome, g.commit])).toContainEqual(["passed", proof.headCommit]);
    expect(proof.reviews.map((r) => r.verdict)).not.toContain("blocked");
    expect(proof.recheck.join("\n")).toContain("omk proof verify");

    // The head holds the work; it is the integration branch; the base branch is untouched.
    expect(await integrationHead(w.repo, goalId)).toBe(proof.headCommit);
    expect(await filesAt(w.repo, proof.headCommit)).toEqual(expect.arrayContaining(["src/greet.js", "test/farewell.test.js", "test/greet.test.js"]));
    expect(await gitIn(w.repo, "show", `${proof.headCommit}:src/greet.js`)).toContain("export function farewell");
    expect((await gitIn(w.repo, "rev-parse", "main")).trim()).toBe(w.base);
    expect(await branchesOf(w.repo, goalId)).toContain(`omk/${goalId}/integration`);
    // The user's checkout is untouched and the task worktrees are gone.
    expect(await gitIn(w.repo, "status", "--porcelain")).toBe("");
    expect((await gitIn(w.repo, "worktree", "list", "--porcelain")).match(/^worktree /gmu)).toHaveLength(1);

    // The oracle was frozen before any task ran, and every task commit is reachable.
    const events = readEvents(w.stateDir, goalId);
    const types = events.map((e) => e.type);
    expect(types.indexOf("oracle_frozen")).toBeGreaterThan(-1);
    expect(types.indexOf("oracle_frozen")).toBeLessThan(types.indexOf("task_dispatched"));
    expect(types).toContain("baseline_recorded");
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
    for (const task of proof.tasks) {
      expect(eventsOf(events, "attempt_captured").map((e) => e.data.commit)).toContain(task.commit);
    }
    expect((await showGoal(w, goalId)).status).toBe("ready");

    // An independent re-check in a clean worktree of the head: the verdict holds.
    const verified = await w.omk("proof", "verify", proofFile);
    expect(verified.exitCode, describeRun(verified)).toBe(0);
    // Without a path: the latest goal's proof.
    const latest = await w.omk("proof", "verify");
    expect(latest.exitCode, describeRun(latest)).toBe(0);

    // Local acceptance records the decision and names the merge; the base branch stays where it was.
    const accepted = await w.omk("goal", "accept", goalId);
    expect(accepted.exitCode, describeRun(accepted)).toBe(0);
    expect(accepted.stdout).toContain(`git merge --ff-only omk/${goalId}/integration`);
    expect((await gitIn(w.repo, "rev-parse", "main")).trim()).toBe(w.base);
    expect(eventsOf(readEvents(w.stateDir, goalId), "decision_recorded").map((e) => [e.data.decision, e.data.headCommit])).toEqual([
      ["accepted", proof.headCommit],
    ]);

    // The re-check is not a rubber stamp: the same proof claiming the base commit as its head does not hold.
    writeFileSync(proofFile, `${JSON.stringify({ ...proof, headCommit: w.base }, null, 2)}\n`);
    const forged = await w.omk("proof", "verify", proofFile);
    expect(forged.exitCode, describeRun(forged)).toBe(1);
    expect(forged.stdout).toMatch(/does not hold[\s\S]*acceptance-tests/u);
  });

  it("ends an ambiguous goal blocked_on_human with the questions, before planning anything", async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", AMBIGUOUS_GOAL, ...scripted(w.book("feature", featureBook())));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.blocked_on_human);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("blocked_on_human");
    const failureFile = outcomePathOf(run.stdout, "failure");
    const failure = readFailure(failureFile);
    expect(failure).toMatchObject({ goalId, status: "blocked_on_human", cause: { code: "needs_answer" } });

    // Every question intake asks is kept in failure.json, which the output names.
    const expected = intake({ text: AMBIGUOUS_GOAL });
    if (expected.status !== "blocked_on_human") throw new Error("the ambiguous goal is expected to be blocked");
    expect(failure.cause.details?.["questions"]).toEqual(expected.questions);
    expect(run.stdout).toContain("make it better");
    // ...and printed, so the user sees what to answer.
    for (const question of expected.questions) expect(run.stdout).toContain(`  - ${question}`);
    expect(failure.resume.command ?? failure.resume.hint).toMatch(/amend/u);

    // Nothing was planned or run, and no branch was made.
    const types = readEvents(w.stateDir, goalId).map((e) => e.type);
    expect(types).not.toContain("task_graph_set");
    expect(types).not.toContain("task_dispatched");
    expect(await branchesOf(w.repo, goalId)).toEqual([]);
    expect((await showGoal(w, goalId)).status).toBe("blocked_on_human");
  });
});
