// Ctrl-C pauses in every phase: an abort during a session outside the scheduler (plan, review) ends paused, resumable.
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGoal } from "../src/index.js";
import type { ControllerEvent } from "../src/types.js";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, planSession, readyBook, turn } from "./run-goal-fixture.js";

afterAll(() => (process.env["OMK_KEEP_TMP"] === undefined ? cleanupTempDirs() : undefined));

/** A session that announces itself, then waits (until cancelled). */
const waiting = turn(message("Let me look at the code first."), { hang: "honour_cancel" });

describe.concurrent("runGoal: an abort pauses in every phase", () => {
  for (const phase of ["planning", "review"] as const) {
    it(`an abort during the ${phase} session ends paused (not failed_infra), and the goal resumes to ready`, async () => {
      const { repo } = await makeRepo();
      const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
      const controller = new AbortController();
      const events: ControllerEvent[] = [];
      const onEvent = (e: ControllerEvent) => {
        events.push(e);
        // The session has started talking: the turn is under way.
        if (e.type === "phase_started" && e.phase === phase) setTimeout(() => controller.abort("pause"), 1500);
      };
      const book = phase === "planning" ? readyBook({ plan: waiting }) : readyBook({ "review:reviewer": waiting });
      const first = await runGoal({ store, goalId, engine: bookProvider(book), signal: controller.signal, onEvent, scheduler: { pollMs: 50 } });
      expect(first.ok && first.value, JSON.stringify(first)).toMatchObject({ status: "paused", outcomeFile: null });
      const goal = await store.readGoal(goalId);
      expect(goal.status).toBe("paused");
      expect(goal.phase).toBe(phase);
      expect(events.find((e) => e.type === "phase_finished" && e.phase === phase)).toMatchObject({ outcome: "stopped" });
      const resumed = await runGoal({
        store,
        goalId,
        engine: bookProvider(phase === "planning" ? readyBook({ plan: planSession() }) : readyBook()),
        scheduler: { pollMs: 50 },
      });
      expect(resumed.ok && resumed.value.status, JSON.stringify(resumed)).toBe("ready");
    }, 120_000);
  }

  it("the execution phase's result reflects its tasks: failed when its only task failed (never 'passed')", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    // The only task writes outside its write set behind the engine's back: caught in its diff, it fails and is not retried.
    const outside = turn({ write: { path: "README.md", content: "# hijacked\n", via: "direct" } }, message("Done."));
    const events: ControllerEvent[] = [];
    const result = await runGoal({
      store,
      goalId,
      engine: bookProvider(readyBook({ "task:slugify": outside })),
      onEvent: (e) => events.push(e),
      scheduler: { pollMs: 50 },
    });
    expect(result.ok, JSON.stringify(result)).toBe(true);
    const finished = events.find((e) => e.type === "phase_finished" && e.phase === "execution");
    expect(finished).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/^1 task\(s\) failed or blocked: slugify; 0 done$/) });
  }, 120_000);
});
