// Budgets by reservation: fake usage streams on a virtual clock, and a real goal store for the goal's own numbers.
import { openStore, type Task, totalTokens } from "@omk/state";
import { cleanupTempDirs, createVirtualClock, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGraph, type SchedulerOptions, type SchedulerPorts } from "../src/index.js";
import { type Behaviour, graphOf, makeTask, maxOverlap, memorySink, realClock, scriptedRunner } from "./helpers/fakes.js";

afterAll(cleanupTempDirs);

async function simulate(tasks: Task[], behaviour: (id: string, attempt: number) => Behaviour, options: SchedulerOptions, ports: Partial<SchedulerPorts> = {}) {
  const clock = createVirtualClock();
  const sink = memorySink(clock.now);
  const runner = scriptedRunner(clock, behaviour);
  const result = await clock.run(runGraph(graphOf(tasks), { runTask: runner.runTask, onEvent: sink.onEvent, clock, ...ports }, options));
  if (!result.ok) throw new Error(result.error.message);
  return { report: result.value, sink, runner, clock };
}

const caps = (tokens: number, usd = 1, timeMs = 600_000) => ({ budget: { tokens, usd, timeMs } });

describe("budget reservations", () => {
  it("admits only what fits next to the verification reserve, returns unused reservations, and stops with needs_more_budget", async () => {
    const tasks = ["a", "b", "c", "d", "e", "f"].map((id) => makeTask(id, caps(3000)));
    const { report, sink, runner } = await simulate(tasks, () => ({ durationMs: 400, chunks: 4, tokensPerChunk: 500, usdPerChunk: 0.001 }), {
      concurrency: 6,
      budget: { timeMs: null, tokens: 10_000, usd: null },
      verificationReserve: { fraction: 0.1 },
    });
    // Pool 9000 = 10,000 − 10% reserve: three 3000-token reservations at once, a fourth once 3 × 1000 unused came back.
    expect(maxOverlap(runner.attempts)).toBe(3);
    expect(report.outcome).toBe("needs_more_budget");
    expect(report.tasks.map((t) => t.status)).toEqual(["done", "done", "done", "done", "pending", "pending"]);
    expect(report.spent.tokens).toBe(8000);
    expect(sink.ofType("task_budget_refused").map((e) => e.data)).toEqual([
      { taskId: "d", dimension: "tokens", needed: 3000, available: 0 },
      { taskId: "e", dimension: "tokens", needed: 3000, available: 0 },
      { taskId: "f", dimension: "tokens", needed: 3000, available: 0 },
    ]);
    expect(sink.ofType("task_run_finished")[0]?.data).toMatchObject({ outcome: "needs_more_budget", counts: { done: 4, pending: 2 } });
  });

  it("aborts a task the moment a usage report crosses its cap; the overshoot is at most that report", async () => {
    const tasks = [makeTask("greedy", caps(1000)), makeTask("after", { dependencies: ["greedy"] }), makeTask("other")];
    const { report, sink, runner } = await simulate(
      tasks,
      (id) => (id === "greedy" ? { durationMs: 1000, chunks: 10, tokensPerChunk: 300 } : { durationMs: 100 }),
      {
        budget: { timeMs: null, tokens: 100_000, usd: null },
      },
    );
    const breach = sink.ofType("task_budget_breached");
    expect(breach.map((e) => e.data)).toEqual([{ taskId: "greedy", attempt: 1, dimension: "tokens", limit: 1000, used: 1200 }]);
    const greedy = runner.attempts.find((a) => a.taskId === "greedy");
    // The fourth report (at 400 ms) crossed the cap; the runner saw its signal abort right then.
    expect(greedy).toMatchObject({ outcome: "aborted", end: (greedy?.start ?? 0) + 400 });
    expect(sink.ofType("task_failed").map((e) => e.data)).toEqual([
      expect.objectContaining({ taskId: "greedy", signature: "budget_exceeded:tokens", retryable: false, decision: "give_up" }),
    ]);
    expect(report.spent.tokens - 1000).toBeLessThanOrEqual(300);
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ["greedy", "failed"],
      ["after", "blocked"],
      ["other", "done"],
    ]);
  });

  it("a task over its cap because the goal's pool is spent is interrupted (back to pending) and the run ends needs_more_budget", async () => {
    // Pool 9000 = 10,000 − 10% reserve; the task's cap is the whole pool and one report at the end of its turn crosses both.
    const tasks = [makeTask("big", caps(9000)), makeTask("after", { dependencies: ["big"] })];
    const { report, sink } = await simulate(tasks, (id) => (id === "big" ? { durationMs: 500, chunks: 1, tokensPerChunk: 20_000 } : { durationMs: 100 }), {
      budget: { timeMs: null, tokens: 10_000, usd: null },
      verificationReserve: { fraction: 0.1 },
    });
    expect(report.outcome).toBe("needs_more_budget");
    expect(sink.ofType("task_failed")).toEqual([]);
    expect(sink.ofType("task_interrupted").map((e) => e.data)).toEqual([expect.objectContaining({ taskId: "big", reason: "goal_stopped" })]);
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ["big", "pending"],
      ["after", "pending"],
    ]);
  });

  it("a task over a cap fitted to the goal's room (shared by width + 1) ends the run needs_more_budget when a retry could not fit, before the pool is empty", async () => {
    // Pool 9000; the cap is half of it (4500); one report at the turn's end says 6000: 3000 left, less than another 4500.
    const tasks = [makeTask("big", caps(4500)), makeTask("after", { dependencies: ["big"] })];
    const { report, sink } = await simulate(tasks, (id) => (id === "big" ? { durationMs: 500, chunks: 1, tokensPerChunk: 6000 } : { durationMs: 100 }), {
      budget: { timeMs: null, tokens: 10_000, usd: null },
      verificationReserve: { fraction: 0.1 },
    });
    expect(report.outcome).toBe("needs_more_budget");
    expect(sink.ofType("task_failed")).toEqual([]);
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ["big", "pending"],
      ["after", "pending"],
    ]);
  });

  it("aborts a task at its time cap, and refuses one whose cap would end after the goal's deadline minus the reserve", async () => {
    const capped = await simulate([makeTask("slow", caps(1000, 1, 500))], () => ({ durationMs: 2000 }), {});
    expect(capped.sink.ofType("task_budget_breached").map((e) => [e.data.dimension, e.data.limit, e.data.used])).toEqual([["time", 500, 500]]);
    expect(capped.report.tasks[0]?.signatures).toEqual(["budget_exceeded:time"]);

    const chain = [
      makeTask("t1", caps(10, 1, 4000)),
      makeTask("t2", { ...caps(10, 1, 4000), dependencies: ["t1"] }),
      makeTask("t3", { ...caps(10, 1, 4000), dependencies: ["t2"] }),
    ];
    const timed = await simulate(chain, () => ({ durationMs: 3000 }), {
      budget: { timeMs: 10_000, tokens: null, usd: null },
      verificationReserve: { fraction: 0.1 },
    });
    // Deadline 10 s, reserve 1 s: t3 would start at 6 s with a 4 s cap, past 9 s.
    expect(timed.report.outcome).toBe("needs_more_budget");
    expect(timed.sink.ofType("task_budget_refused").map((e) => e.data)).toEqual([{ taskId: "t3", dimension: "time", needed: 4000, available: 3000 }]);
  });

  it("counts a task whose cost is unknown as having spent its whole USD reservation", async () => {
    const tasks = [makeTask("a", caps(100, 0.5)), makeTask("b", caps(100, 0.5))];
    const options = { concurrency: 2, budget: { timeMs: null, tokens: null, usd: 1 }, verificationReserve: { usd: 0.1 } };
    const unknown = await simulate(tasks, () => ({ durationMs: 100, chunks: 1, tokensPerChunk: 10, usdPerChunk: null }), options);
    expect(unknown.report.outcome).toBe("needs_more_budget");
    expect(unknown.report.spent).toEqual({ tokens: 10, usd: 0.5, usdUnknown: true });
    const known = await simulate(tasks, () => ({ durationMs: 100, chunks: 1, tokensPerChunk: 10, usdPerChunk: 0.01 }), options);
    expect(known.report.outcome).toBe("completed");
  });
});

describe("budgets from a real goal", () => {
  it("reserves from what the goal has left, records usage in its log, and keeps the goal within its limits", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({
      text: "budgeted run",
      repoRoot: "/tmp/repo",
      limits: { timeMs: 3_600_000, tokens: 10_000, usd: 5 },
      maxAgents: 4,
    });
    if (!created.ok) throw new Error(created.error.message);
    const id = created.value.id;
    await store.transition(id, "running");
    await store.recordUsage(id, { source: "planner", tokens: { input: 4000, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 0.1 });
    const tasks = ["a", "b", "c"].map((t) => makeTask(t, caps(3000)));
    await store.setTaskGraph(id, graphOf(tasks));
    const onEvent = async (event: Parameters<SchedulerPorts["onEvent"]>[0]) => {
      const r = await store.append(id, () => [event]);
      if (!r.ok) throw new Error(r.error.message);
    };
    const runner = scriptedRunner(realClock, () => ({ durationMs: 60, chunks: 2, tokensPerChunk: 600, usdPerChunk: 0.01 }));
    const result = await runGraph(graphOf(tasks), { runTask: runner.runTask, onEvent, clock: realClock, readGoal: () => store.readGoal(id) });
    if (!result.ok) throw new Error(result.error.message);
    // Pool: 10,000 − 1,000 reserve − 4,000 used = 5,000: one 3,000 reservation at a time; after two tasks
    // spent 1,200 each, 2,600 is left and the third does not fit.
    expect(maxOverlap(runner.attempts)).toBe(1);
    expect(result.value.outcome).toBe("needs_more_budget");
    expect(result.value.tasks.map((t) => t.status)).toEqual(["done", "done", "pending"]);
    const goal = await store.readGoal(id);
    expect(totalTokens(goal.usage.tokens)).toBe(4000 + 2 * 1200);
    expect(totalTokens(goal.usage.tokens)).toBeLessThanOrEqual(9000);
    expect(goal.taskGraph?.tasks.map((t) => t.status)).toEqual(["done", "done", "pending"]);
    expect((await store.replay(id)).differences).toEqual([]);
  });
});
