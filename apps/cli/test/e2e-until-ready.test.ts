// End to end through the built `omk` binary with the scripted engine: `--until-ready` plans a
// follow-up from the failing evidence and runs again on the same goal; a round that changes nothing
// is stagnation, reported, not looped.
import { gitIn } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURE_GOAL, followUpBook } from "./e2e/books.js";
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
  statusOf,
} from "./e2e/helpers.js";
import { TEST_GATE } from "./e2e/repo.js";

afterAll(cleanupE2e);

describe.concurrent("omk goal run --until-ready (e2e, scripted engine)", () => {
  it("fixes a failing gate in a second round, on the same goal, and ends ready", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, "--until-ready", ...scripted(w.book("follow-up", followUpBook("fix"))));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.ready);
    const goalId = goalIdOf(run.stdout);
    expect(statusOf(run.stdout)).toBe("ready");
    const events = readEvents(w.stateDir, goalId);

    // Round 1 failed on the test gate; round 2 ran the follow-up task planned from that evidence.
    // (The last evaluation of each round counts: the head is evaluated again once the reviews are in.)
    const verdicts = new Map(eventsOf(events, "oracle_evaluated").map((e) => [e.data.round, e.data.ready]));
    expect([...verdicts]).toEqual([
      [1, false],
      [2, true],
    ]);
    const rounds = eventsOf(events, "round_started").filter((e) => e.data.round === 2);
    expect(rounds.map((e) => e.data.followUps)).toEqual([["fix-r2"]]);
    const mutated = eventsOf(events, "task_graph_mutated").flatMap((e) => e.data.added);
    expect(mutated.map((t) => t.id)).toEqual(["fix-r2"]);
    expect(mutated[0]?.description).toContain(TEST_GATE);

    const proof = readProof(outcomePathOf(run.stdout, "proof"));
    expect(proof.goalId).toBe(goalId);
    expect(proof.tasks.map((t) => t.id)).toContain("fix-r2");
    expect(await gitIn(w.repo, "show", `${proof.headCommit}:src/greet.js`)).toContain("Goodbye");
    expect(await lostTaskCommits(w.repo, events)).toEqual([]);
  });

  it("stops with stagnation when a follow-up round changes nothing", { timeout: 150_000 }, async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, "--until-ready", "--max-rounds", "3", ...scripted(w.book("no-op", followUpBook("noop"))));
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.not_ready);
    const goalId = goalIdOf(run.stdout);
    const failure = readFailure(outcomePathOf(run.stdout, "failure"));
    expect(failure.cause.code).toBe("stagnation");
    // Stopped at the first round that changed nothing: round 3 never started.
    const events = readEvents(w.stateDir, goalId);
    expect(eventsOf(events, "round_started").map((e) => e.data.round)).not.toContain(3);
    expect(eventsOf(events, "task_dispatched").map((e) => e.data.taskId)).not.toContain("fix-r3");
  });
});
