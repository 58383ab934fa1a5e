// Pause, budget stop and resume of runGoal: real git, the real scripted engine, real gates.
import { requestPause } from "@omk/state";
import { cleanupTempDirs } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { resumeGoal, runGoal } from "../src/index.js";
import { bookProvider, GOAL_TEXT, makeGoal, makeRepo, message, readyBook, SLUGIFY_SRC, SLUGIFY_TEST, turn, usage, write } from "./run-goal-fixture.js";

afterAll(cleanupTempDirs);

describe("runGoal: pause, budget, resume", () => {
  it("pauses when another writer requests it mid-execution, and resumeGoal finishes the goal", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(usage(800, 300), { sleep: 800 }, write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), message("Added slugify."));
    const engine = bookProvider(readyBook({ "task:slugify": slow }));
    let paused = false;
    const first = await runGoal({
      store,
      goalId,
      engine,
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (!paused && e.type === "task_update" && e.state === "running") {
          paused = true;
          void requestPause(store, goalId);
        }
      },
    });
    expect(first.ok && first.value).toMatchObject({ status: "paused", outcomeFile: null });
    const goal = await store.readGoal(goalId);
    expect(goal.status).toBe("paused");
    expect(goal.phase).toBe("execution");
    const second = await resumeGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status).toBe("ready");
    const events = await store.readEvents(goalId);
    expect(events.filter((e) => e.type === "plan_recorded")).toHaveLength(1);
    expect(events.filter((e) => e.type === "baseline_recorded")).toHaveLength(1);
  }, 90_000);

  it("stops at needs_more_budget on a tiny token budget; budget-add and resume finish it", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT, { timeMs: null, tokens: 2000, usd: null });
    const engine = bookProvider(readyBook());
    const first = await runGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(first.ok && first.value.status).toBe("needs_more_budget");
    expect(first.ok && first.value.outcomeFile).toBe(store.paths(goalId).failure);
    const refused = await resumeGoal({ store, goalId, engine });
    expect(refused.ok).toBe(false);
    expect((await store.extendBudget(goalId, { tokens: 20_000 })).ok).toBe(true);
    const second = await resumeGoal({ store, goalId, engine, scheduler: { pollMs: 50 } });
    expect(second.ok && second.value.status, JSON.stringify(second)).toBe("ready");
  }, 90_000);

  it("pauses cleanly when its signal is aborted (the CLI's first Ctrl-C), and cancels on a second abort reason", async () => {
    const { repo } = await makeRepo();
    const { store, goalId } = await makeGoal(repo, GOAL_TEXT);
    const slow = turn(usage(800, 300), { sleep: 3000 }, write("src/slugify.js", SLUGIFY_SRC), message("Added slugify."));
    const engine = bookProvider(readyBook({ "task:slugify": slow }));
    const controller = new AbortController();
    const result = await runGoal({
      store,
      goalId,
      engine,
      signal: controller.signal,
      scheduler: { pollMs: 50 },
      onEvent: (e) => {
        if (e.type === "task_update" && e.state === "running") controller.abort("pause");
      },
    });
    expect(result.ok && result.value).toMatchObject({ status: "paused", outcomeFile: null });
    const goal = await store.readGoal(goalId);
    expect(goal.taskGraph?.tasks.find((t) => t.id === "slugify")?.status).toBe("pending");
    const cancel = new AbortController();
    cancel.abort("cancel");
    const cancelled = await runGoal({ store, goalId, engine, signal: cancel.signal, scheduler: { pollMs: 50 } });
    expect(cancelled.ok && cancelled.value).toMatchObject({ status: "cancelled", outcomeFile: store.paths(goalId).failure });
  }, 60_000);
});
