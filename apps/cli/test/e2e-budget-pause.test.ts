// End to end through the built `omk` binary with the scripted engine: a goal that runs out of budget
// stops `needs_more_budget` and finishes after `budget-add` + `resume`; a goal paused from another
// process stops `paused` (exit 8) and finishes after `resume`. Work already done is not redone.
import { afterAll, describe, expect, it } from "vitest";
import { bigSpenderBook, FEATURE_GOAL, featureBook, sleepStep, TINY_BUDGET_TOKENS } from "./e2e/books.js";
import {
  cleanupE2e,
  describeRun,
  EXIT_BY_STATUS,
  eventsOf,
  goalIdOf,
  lostTaskCommits,
  newWorld,
  outcomePathOf,
  readEvents,
  readFailure,
  readProof,
  scripted,
  showGoal,
  statusOf,
  waitForEvent,
} from "./e2e/helpers.js";

afterAll(cleanupE2e);

describe.concurrent("stop and continue (e2e, scripted engine)", () => {
  it("a tiny token budget ends needs_more_budget; budget-add + resume finishes the goal ready", { timeout: 180_000 }, async () => {
    const w = await newWorld();
    const book = w.book("big-spender", bigSpenderBook());
    const run = await w.omk("goal", "run", FEATURE_GOAL, "--budget-tokens", String(TINY_BUDGET_TOKENS), ...scripted(book));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.needs_more_budget);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("needs_more_budget");
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure).toMatchObject({ goalId, status: "needs_more_budget", cause: { code: "budget_exhausted" } });
    expect(failure.resume.command).toContain(`omk goal budget-add ${goalId}`);
    // The tester's usage counts against the goal: over half the budget is spent.
    expect(failure.spend.tokens.input + failure.spend.tokens.output).toBeGreaterThanOrEqual(600_000);
    const before = readEvents(w.stateDir, goalId);
    // Its cap is the goal's room shared by width + 1 (450,000 of 900,000): the turn that crossed it leaves too little for
    // another attempt, so the tester goes back to pending (interrupted, not failed) and the goal ends needs_more_budget.
    expect(eventsOf(before, "task_succeeded")).toEqual([]);
    expect(eventsOf(before, "task_failed")).toEqual([]);
    expect(eventsOf(before, "task_interrupted").map((e) => e.data.taskId)).toEqual(["write-tests"]);

    const added = await w.omk("goal", "budget-add", goalId, "--tokens", "4000000");
    expect(added.exitCode, describeRun(added)).toBe(0);
    const resumed = await w.omk("goal", "resume", goalId, ...scripted(book));
    expect(resumed.exitCode, describeRun(resumed)).toBe(EXIT_BY_STATUS.ready);
    expect(statusOf(resumed.stdout)).toBe("ready");
    const proof = readProof(outcomePathOf(resumed.stdout, "proof"));
    expect(proof.goalId).toBe(goalId);

    // The interrupted tester ran once more after the budget-add, then the rest.
    const events = readEvents(w.stateDir, goalId);
    expect(eventsOf(events, "task_dispatched").filter((e) => e.data.taskId === "write-tests")).toHaveLength(2);
    expect(eventsOf(events, "budget_extended")).toHaveLength(1);
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
    expect((await showGoal(w, goalId)).status).toBe("ready");
  });

  it("`omk goal pause` from another process stops a sleeping session: exit 8, paused; `omk goal resume` finishes ready", { timeout: 180_000 }, async () => {
    const w = await newWorld();
    const slow = w.book("slow", featureBook({ implementFirst: [sleepStep(600_000)] }));
    const started = w.start("goal", "run", FEATURE_GOAL, ...scripted(slow));
    const { goalId } = await waitForEvent(w.stateDir, (e) => e.type === "task_dispatched" && e.data.taskId === "implement", {
      started,
      what: "implement is dispatched",
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the session is up and sleeping

    const pause = await w.omk("goal", "pause", goalId);
    expect(pause.exitCode, describeRun(pause)).toBe(0);
    const run = await started.done;
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.paused);
    expect(goalIdOf(run.stdout)).toBe(goalId);
    expect((await showGoal(w, goalId)).status).toBe("paused");
    const atPause = readEvents(w.stateDir, goalId);
    expect(eventsOf(atPause, "task_interrupted").map((e) => [e.data.taskId, e.data.reason])).toContainEqual(["implement", "paused"]);
    expect(eventsOf(atPause, "outcome_recorded")).toEqual([]);

    // Resume with a book whose implementer does not sleep: the goal finishes.
    const resumed = await w.omk("goal", "resume", goalId, ...scripted(w.book("fast", featureBook())));
    expect(resumed.exitCode, describeRun(resumed)).toBe(EXIT_BY_STATUS.ready);
    expect(statusOf(resumed.stdout)).toBe("ready");
    readProof(outcomePathOf(resumed.stdout, "proof"));
    const events = readEvents(w.stateDir, goalId);
    expect(eventsOf(events, "task_dispatched").filter((e) => e.data.taskId === "write-tests")).toHaveLength(1);
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
  });
});
