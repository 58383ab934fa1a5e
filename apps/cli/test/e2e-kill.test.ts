// End to end through the built `omk` binary with the scripted engine: SIGKILL of the controller's
// whole process group at several points of a run, then `omk goal resume`, reaches the same terminal
// status as an uninterrupted run of the same book, and every task commit recorded is still reachable.
import { gitIn, unreachableCommits } from "@omk/test-fixtures";
import type { GoalEvent } from "@omk/state";
import { afterAll, describe, expect, it } from "vitest";
import { FEATURE_GOAL, featureBook, sleepStep } from "./e2e/books.js";
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
  readProof,
  scripted,
  showGoal,
  statusOf,
  waitForEvent,
} from "./e2e/helpers.js";

afterAll(cleanupE2e);

/** The book of every run here: the implementer and the reviewers sleep a little first, so a kill can land in their sessions. */
const book = () => featureBook({ implementFirst: [sleepStep(2_500)], reviewFirst: [sleepStep(1_500)] });

/**
 * Where to kill: right after the first event that puts the controller in that part of the run (plus a
 * delay), and what the log must not hold yet for the kill to have landed there.
 */
const KILL_POINTS: ReadonlyArray<{ name: string; at: (e: GoalEvent) => boolean; delayMs: number; notYet: (e: GoalEvent) => boolean }> = [
  {
    name: "the baseline",
    at: (e) => e.type === "phase_changed" && e.data.to === "baseline",
    delayMs: 0,
    notYet: (e) => e.type === "baseline_recorded",
  },
  {
    name: "a task session (implement, sleeping)",
    at: (e) => e.type === "task_dispatched" && e.data.taskId === "implement",
    delayMs: 700,
    notYet: (e) => e.type === "attempt_captured" && e.data.taskId === "implement",
  },
  {
    name: "the verification of the integrated head",
    at: (e) => e.type === "phase_changed" && e.data.to === "verification",
    delayMs: 0,
    notYet: (e) => e.type === "oracle_evaluated",
  },
  {
    name: "the review (engine reviewers)",
    at: (e) => e.type === "phase_changed" && e.data.to === "review",
    delayMs: 600,
    notYet: (e) => e.type === "review_recorded" && e.data.pass !== "deterministic",
  },
];

describe.concurrent("SIGKILL of the controller, then resume (e2e, scripted engine)", () => {
  // The reference: the same book, never interrupted.
  const reference = (async () => {
    const w = await newWorld();
    const run = await w.omk("goal", "run", FEATURE_GOAL, ...scripted(w.book("feature-slow", book())));
    const status = statusOf(run.stdout);
    // The tree of the proven head (content only: the same files give the same tree in any repository).
    const tree = status === "ready" ? await gitIn(w.repo, "rev-parse", `${readProof(outcomePathOf(run.stdout, "proof")).headCommit}^{tree}`) : undefined;
    return { run, status, tree };
  })();
  reference.catch(() => {}); // awaited by the tests below; a failure is reported there

  it("an uninterrupted run of the book ends ready", { timeout: 150_000 }, async () => {
    const { run, status } = await reference;
    expect(run.exitCode, describeRun(run)).toBe(EXIT_BY_STATUS.ready);
    expect(status).toBe("ready");
  });

  for (const point of KILL_POINTS) {
    it(`killed during ${point.name}: resume reaches the same status and no commit is lost`, { timeout: 180_000 }, async () => {
      const w = await newWorld();
      const bookFile = w.book("feature-slow", book());
      const started = w.start("goal", "run", FEATURE_GOAL, ...scripted(bookFile));
      const { goalId } = await waitForEvent(w.stateDir, point.at, { started, what: point.name });
      if (point.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, point.delayMs));
      started.killGroup();
      const killed = await started.done;
      expect(killed.exitCode, `omk should die of SIGKILL during ${point.name}; it exited:\n${describeRun(killed)}`).not.toBe(0);
      const atKill = readEvents(w.stateDir, goalId);
      expect(
        atKill.filter(point.notYet).map((e) => e.type),
        `the kill landed during ${point.name}`,
      ).toEqual([]);
      expect(eventsOf(atKill, "outcome_recorded"), "the run was killed before it finished").toEqual([]);
      const capturedBefore = eventsOf(atKill, "attempt_captured").map((e) => e.data.commit);

      const resumed = await w.omk("goal", "resume", goalId, ...scripted(bookFile));
      const { status: expected, run: ref, tree } = await reference;
      expect(statusOf(resumed.stdout), describeRun(resumed)).toBe(expected);
      expect(resumed.exitCode).toBe(ref.exitCode);
      expect((await showGoal(w, goalId)).status).toBe(expected);
      expect(goalIdOf(ref.stdout)).not.toBe(goalId);

      // The resumed controller took the dead one's lock over, and the log still folds to goal.json.
      const events = readEvents(w.stateDir, goalId);
      expect(eventsOf(events, "lock_taken_over").length + eventsOf(events, "lock_acquired").length).toBeGreaterThanOrEqual(2);
      const replay = await w.omk("goal", "replay", goalId, "--verify");
      expect(replay.exitCode, describeRun(replay)).toBe(0);

      // No commit lost: every captured task commit, before and after the kill, is reachable from a ref.
      expect(await lostTaskCommits(w.repo, events)).toEqual([]);
      const unreachable = await unreachableCommits(w.repo);
      for (const commit of eventsOf(events, "attempt_captured").map((e) => e.data.commit)) expect(unreachable).not.toContain(commit);
      if (expected === "ready") {
        const proof = readProof(outcomePathOf(resumed.stdout, "proof"));
        expect(await gitIn(w.repo, "rev-parse", `${proof.headCommit}^{tree}`), "the resumed run proves the same tree as the uninterrupted one").toBe(tree);
        // Work captured before the kill is what the proof names (not redone into another commit).
        for (const commit of capturedBefore) expect(proof.tasks.map((t) => t.commit)).toContain(commit);
      }
    });
  }
});
