// runGraph with fake ports on a virtual clock: order, conflicts, caps, retries, stagnation, leases, follow-ups.
import { createVirtualClock } from "@omk/test-fixtures";
import { describe, expect, it } from "vitest";
import { type Behaviour, graphOf, makeTask, maxOverlap, memorySink, overlaps, replayedStatuses, scriptedRunner } from "./helpers/fakes.js";
import { runGraph, type SchedulerOptions, type SchedulerPorts, SchedulerAbortError } from "../src/index.js";
import type { Task } from "@omk/state";

/** Run a graph on a virtual clock with scripted tasks; returns the report, the events and the runner's records. */
async function simulate(tasks: Task[], behaviour: (id: string, attempt: number) => Behaviour, options: SchedulerOptions = {}) {
  const clock = createVirtualClock();
  const sink = memorySink(clock.now);
  const runner = scriptedRunner(clock, behaviour);
  const graph = graphOf(tasks);
  const result = await clock.run(runGraph(graph, { runTask: runner.runTask, onEvent: sink.onEvent, clock }, { retry: { baseDelayMs: 100 }, ...options }));
  if (!result.ok) throw new Error(result.error.message);
  return { report: result.value, sink, runner, graph, clock, statusOf: (id: string) => result.value.tasks.find((t) => t.id === id)?.status };
}

const ok = (durationMs = 10): Behaviour => ({ durationMs });

describe("dispatch", () => {
  it("runs dependencies first, in order of priority, then longest chain, then id among ready tasks, under the cap", async () => {
    const tasks = [
      makeTask("a"),
      makeTask("b", { priority: 5 }),
      makeTask("c"),
      makeTask("d", { dependencies: ["a", "b"] }),
      makeTask("e", { dependencies: ["d"] }),
    ];
    const { report, sink, runner } = await simulate(tasks, () => ok(), { concurrency: 1 });
    expect(report.outcome).toBe("completed");
    expect(sink.ofType("task_dispatched").map((e) => e.data.taskId)).toEqual(["b", "a", "d", "c", "e"]);
    expect(maxOverlap(runner.attempts)).toBe(1);
    for (const t of tasks) {
      const start = runner.attempts.find((a) => a.taskId === t.id)?.start ?? -1;
      for (const dep of t.dependencies) expect(runner.attempts.find((a) => a.taskId === dep)?.end).toBeLessThanOrEqual(start);
    }
  });

  it("never runs tasks with conflicting read/write sets at once, and runs the others in parallel", async () => {
    const tasks = [
      makeTask("w1", { writes: ["src/"] }),
      makeTask("w2", { writes: ["src/a.ts"] }),
      makeTask("r1", { reads: ["src/**/*.ts"], writes: ["docs/r1.md"] }),
      makeTask("free", { writes: ["other/x.ts"] }),
      makeTask("readers", { reads: ["docs/"], writes: ["out/"] }),
    ];
    const { report, runner } = await simulate(tasks, () => ok(50), { concurrency: 4 });
    expect(report.outcome).toBe("completed");
    const span = (id: string) => runner.attempts.find((a) => a.taskId === id) as { start: number; end: number };
    for (const [a, b] of [
      ["w1", "w2"],
      ["w1", "r1"],
      ["w2", "r1"],
      ["r1", "readers"],
    ] as const)
      expect(overlaps(span(a), span(b)), `${a} / ${b}`).toBe(false);
    expect(overlaps(span("r1"), span("free"))).toBe(true);
    expect(maxOverlap(runner.attempts)).toBeGreaterThan(1);
  });

  it("returns an invalid graph or options as a value and runs nothing", async () => {
    const clock = createVirtualClock();
    const runTask = async () => ({ ok: true as const });
    const cyclic = graphOf([makeTask("a", { dependencies: ["b"] }), makeTask("b", { dependencies: ["a"] })]);
    const r1 = await runGraph(cyclic, { runTask, onEvent: () => {}, clock });
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.error).toMatchObject({ code: "invalid_graph", problems: ["dependency cycle among: a, b"] });
    const r2 = await runGraph(graphOf([makeTask("a", { dependencies: ["zz"] })]), { runTask, onEvent: () => {}, clock });
    if (!r2.ok) expect(r2.error.message).toContain('depends on "zz"');
    const r3 = await runGraph(graphOf([makeTask("a")]), { runTask, onEvent: () => {}, clock }, { pollMs: 5000 });
    expect(r3.ok).toBe(false);
    if (!r3.ok) expect(r3.error.code).toBe("invalid_options");
  });

  it("keeps done tasks done: a graph with recorded statuses only runs what is left", async () => {
    const tasks = [
      makeTask("a", { status: "done" }),
      makeTask("b", { dependencies: ["a"] }),
      makeTask("c", { status: "failed" }),
      makeTask("d", { dependencies: ["c"] }),
    ];
    const { report, sink } = await simulate(tasks, () => ok());
    expect(sink.ofType("task_dispatched").map((e) => e.data.taskId)).toEqual(["b"]);
    expect(sink.ofType("task_blocked").map((e) => e.data)).toEqual([{ taskId: "d", blockedBy: ["c"] }]);
    expect(report.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
      ["c", "failed"],
      ["d", "blocked"],
    ]);
  });
});

describe("retries, backoff and stagnation", () => {
  it("retries a failure after an exponential backoff and then succeeds", async () => {
    const { report, sink } = await simulate([makeTask("a", { maxRetries: 3 })], (_, attempt) =>
      attempt < 3 ? { durationMs: 10, fail: { message: `flaky network error #${attempt}`, signature: `net-${attempt}` } } : ok(),
    );
    expect(report.outcome).toBe("completed");
    const failed = sink.ofType("task_failed");
    expect(failed.map((e) => e.data.decision)).toEqual(["retry", "retry"]);
    const dispatched = sink.ofType("task_dispatched").map((e) => Date.parse(e.ts));
    // base 100 ms, factor 2: the second retry waits twice as long as the first.
    expect((dispatched[1] as number) - Date.parse(failed[0]?.ts as string)).toBe(100);
    expect((dispatched[2] as number) - Date.parse(failed[1]?.ts as string)).toBe(200);
    expect(report.tasks[0]).toMatchObject({ status: "done", attempts: 3, retries: 2, stagnated: false });
  });

  it("stops retrying a task that fails the same way twice (stagnation) and blocks its dependents", async () => {
    const tasks = [makeTask("a", { maxRetries: 5 }), makeTask("b", { dependencies: ["a"] }), makeTask("c", { dependencies: ["b"] }), makeTask("x")];
    const { report, sink } = await simulate(tasks, (id, attempt) =>
      id === "a" ? { fail: { message: `TypeError: cannot read 'x' of undefined at line ${40 + attempt}` } } : ok(),
    );
    expect(report.outcome).toBe("completed");
    expect(sink.ofType("task_failed").map((e) => e.data.decision)).toEqual(["retry", "stagnated"]);
    expect(sink.ofType("task_failed")[0]?.data.signature).toBe("typeerror: cannot read 'x' of undefined at line <n>");
    expect(report.tasks.find((t) => t.id === "a")).toMatchObject({ status: "failed", attempts: 2, stagnated: true });
    expect(sink.ofType("task_blocked").map((e) => e.data.taskId)).toEqual(["b", "c"]);
    expect(report.tasks.find((t) => t.id === "x")?.status).toBe("done");
  });

  it("gives up after maxRetries with changing errors, and at once on a non-retryable one", async () => {
    const tasks = [makeTask("a", { maxRetries: 2 }), makeTask("b")];
    const { report, sink } = await simulate(tasks, (id, attempt) =>
      id === "a" ? { fail: { message: "varied", signature: `sig-${attempt}` } } : { fail: { message: "refused by policy", retryable: false } },
    );
    expect(report.tasks.find((t) => t.id === "a")).toMatchObject({ status: "failed", attempts: 3, stagnated: false });
    expect(
      sink
        .ofType("task_failed")
        .filter((e) => e.data.taskId === "b")
        .map((e) => e.data.decision),
    ).toEqual(["give_up"]);
  });

  it("treats a throwing runner and an invalid result as failures", async () => {
    const clock = createVirtualClock();
    const sink = memorySink(clock.now);
    const graph = graphOf([makeTask("throws", { maxRetries: 0 }), makeTask("junk")]);
    const runTask = async (task: Task) => {
      if (task.id === "throws") throw new Error("ENOENT: no such file");
      return { ok: "yes" } as never;
    };
    const result = await clock.run(runGraph(graph, { runTask, onEvent: sink.onEvent, clock }));
    expect(result.ok && result.value.tasks.map((t) => t.status)).toEqual(["failed", "failed"]);
    expect(
      sink
        .ofType("task_failed")
        .map((e) => [e.data.taskId, e.data.signature, e.data.decision])
        .sort(),
    ).toEqual([
      ["junk", "invalid_result", "give_up"],
      ["throws", "enoent: no such file", "give_up"],
    ]);
  });
});

describe("leases and workers", () => {
  it("expires the lease of a hung task, writes off its worker, retries it on another one and ignores the late result", async () => {
    const clock = createVirtualClock();
    const sink = memorySink(clock.now);
    const graph = graphOf([makeTask("hangs"), makeTask("after", { dependencies: ["hangs"] })]);
    let finishLate: () => void = () => {};
    const runTask = async (task: Task, ctx: { attempt: number; heartbeat(): boolean; signal: AbortSignal }) => {
      if (task.id === "hangs" && ctx.attempt === 1) {
        // Ignores its abort and answers long after its lease expired.
        await new Promise<void>((resolve) => {
          finishLate = resolve;
        });
        return { ok: true as const };
      }
      await clock.sleep(10, ctx.signal);
      ctx.heartbeat();
      if (task.id === "after") finishLate();
      await clock.sleep(10, ctx.signal);
      return { ok: true as const };
    };
    const result = await clock.run(
      runGraph(graph, { runTask, onEvent: sink.onEvent, clock }, { concurrency: 1, workers: ["w1", "w2"], leaseMs: 1000, retry: { baseDelayMs: 0 } }),
    );
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("completed");
    const dead = sink.ofType("task_worker_dead");
    expect(dead.map((e) => e.data)).toEqual([
      { taskId: "hangs", attempt: 1, worker: "w1", reason: "lease_expired", expiredAt: new Date(Date.parse("2026-03-01T10:00:00.000Z") + 1000).toISOString() },
    ]);
    expect(sink.ofType("task_failed")[0]?.data).toMatchObject({ signature: "lease_expired", decision: "retry" });
    expect(sink.ofType("task_dispatched").map((e) => [e.data.taskId, e.data.worker])).toEqual([
      ["hangs", "w1"],
      ["hangs", "w2"],
      ["after", "w2"],
    ]);
    expect(sink.ofType("task_late_result_ignored").map((e) => e.data)).toEqual([{ taskId: "hangs", attempt: 1, worker: "w1", result: "succeeded" }]);
    expect(result.value.deadWorkers).toEqual(["w1"]);
    expect(replayedStatuses(graph, sink.events)).toEqual({ hangs: "done", after: "done" });
  });

  it("keeps a lease alive as long as the runner heartbeats", async () => {
    const { report, sink } = await simulate([makeTask("long")], () => ({ durationMs: 50_000, chunks: 100 }), { leaseMs: 1000 });
    expect(report.outcome).toBe("completed");
    expect(sink.ofType("task_worker_dead")).toEqual([]);
  });

  it("fails fast with failed_infra when no worker is left alive", async () => {
    const { report, sink, clock } = await simulate([makeTask("a"), makeTask("b", { dependencies: ["a"] })], () => ({ hang: true }), {
      workers: ["only"],
      leaseMs: 500,
      retry: { baseDelayMs: 0 },
    });
    expect(report.outcome).toBe("failed_infra");
    expect(report.reason).toContain("no live worker");
    expect(clock.now() - Date.parse("2026-03-01T10:00:00.000Z")).toBe(500);
    expect(report.tasks.map((t) => t.status)).toEqual(["pending", "pending"]);
    expect(sink.ofType("task_run_finished")[0]?.data.outcome).toBe("failed_infra");
  });

  it("writes off a worker whose runner ignores an abort, after the grace period", async () => {
    const { report, sink } = await simulate(
      [makeTask("greedy", { budget: { timeMs: 100_000, tokens: 100, usd: 1 } })],
      () => ({ durationMs: 10_000, chunks: 10, tokensPerChunk: 60, ignoresAbort: true }),
      {
        workers: ["w1", "w2"],
        abortGraceMs: 300,
      },
    );
    expect(sink.ofType("task_budget_breached").map((e) => e.data.dimension)).toEqual(["tokens"]);
    expect(sink.ofType("task_worker_dead").map((e) => e.data.reason)).toEqual(["abort_ignored"]);
    expect(report.tasks[0]?.status).toBe("failed");
    expect(report.deadWorkers).toEqual(["w1"]);
  });

  it("aborts running tasks with a SchedulerAbortError when the run's signal fires, and leaves them resumable", async () => {
    const clock = createVirtualClock();
    const sink = memorySink(clock.now);
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const runTask = async (_task: Task, ctx: { signal: AbortSignal }) => {
      clock.setTimer(50, () => controller.abort(new Error("SIGINT")));
      try {
        await clock.sleep(10_000, ctx.signal);
      } catch (error) {
        reasons.push(error);
        throw error;
      }
      return { ok: true as const };
    };
    const graph = graphOf([makeTask("a"), makeTask("b")]);
    const result = await clock.run(runGraph(graph, { runTask, onEvent: sink.onEvent, clock }, { signal: controller.signal }));
    expect(result.ok && result.value.outcome).toBe("interrupted");
    expect(reasons.every((r) => r instanceof SchedulerAbortError && r.kind === "shutdown")).toBe(true);
    expect(sink.ofType("task_interrupted").map((e) => e.data.reason)).toEqual(["shutdown", "shutdown"]);
    expect(replayedStatuses(graph, sink.events)).toEqual({ a: "pending", b: "pending" });
  });
});

describe("events", () => {
  it("every decision is a valid event, in an order the goal's reducer accepts", async () => {
    const tasks = [makeTask("a"), makeTask("b", { dependencies: ["a"] }), makeTask("c", { maxRetries: 1 }), makeTask("d", { dependencies: ["c"] })];
    const { sink, graph, report } = await simulate(tasks, (id) => (id === "c" ? { fail: { message: "boom" } } : ok()));
    expect(sink.events[0]?.type).toBe("task_run_started");
    expect(sink.events.at(-1)?.type).toBe("task_run_finished");
    expect(replayedStatuses(graph, sink.events)).toEqual(Object.fromEntries(report.tasks.map((t) => [t.id, t.status])));
  });

  it("hands events over in batches with onEvents (group commit), in the same order as one by one", async () => {
    const tasks = [makeTask("a"), makeTask("b"), makeTask("c"), makeTask("d", { dependencies: ["a", "b", "c"] })];
    const single = await simulate(tasks, () => ok());
    const clock = createVirtualClock();
    const batches: string[][] = [];
    const runner = scriptedRunner(clock, () => ok());
    const onEvents = async (events: Parameters<NonNullable<SchedulerPorts["onEvents"]>>[0]) => {
      batches.push(events.map((e) => e.type));
      await clock.sleep(1);
    };
    const result = await clock.run(runGraph(graphOf(tasks), { runTask: runner.runTask, onEvent: () => {}, onEvents, clock }, { retry: { baseDelayMs: 100 } }));
    expect(result.ok && result.value.outcome).toBe("completed");
    expect(batches.flat()).toEqual(single.sink.events.map((e) => e.type));
    expect(batches.length).toBeLessThan(single.sink.events.length);
    // The three dispatches decided in one turn share a write with the start of the run.
    expect(batches[0]).toEqual(["task_run_started", "task_dispatched", "task_dispatched", "task_dispatched"]);
  });

  it("ends the run as failed_infra when the event log refuses an event, and dispatches nothing after", async () => {
    const clock = createVirtualClock();
    const sink = memorySink(clock.now, { failOn: (e) => e.type === "task_succeeded" });
    const runner = scriptedRunner(clock, () => ok());
    const graph = graphOf([makeTask("a"), makeTask("b", { dependencies: ["a"] })]);
    const result = await clock.run(runGraph(graph, { runTask: runner.runTask, onEvent: sink.onEvent, clock }));
    expect(result.ok && result.value.outcome).toBe("failed_infra");
    expect(result.ok && result.value.reason).toContain("sink refuses task_succeeded");
    expect(runner.attempts.map((a) => a.taskId)).toEqual(["a"]);

    // The same with a batch sink: the refused batch and everything after it are not written.
    const clock2 = createVirtualClock();
    const runner2 = scriptedRunner(clock2, () => ok());
    const written: string[] = [];
    const onEvents = (events: Parameters<NonNullable<SchedulerPorts["onEvents"]>>[0]) => {
      if (events.some((e) => e.type === "task_succeeded")) throw new Error("disk full");
      written.push(...events.map((e) => e.type));
    };
    const batched = await clock2.run(runGraph(graph, { runTask: runner2.runTask, onEvent: () => {}, onEvents, clock: clock2 }));
    expect(batched.ok && batched.value.outcome).toBe("failed_infra");
    expect(written).toEqual(["task_run_started", "task_dispatched"]);
    expect(runner2.attempts.map((a) => a.taskId)).toEqual(["a"]);
  });
});

describe("follow-up tasks", () => {
  it("adds validated follow-ups through task_graph_mutated and runs them; rejects the rest", async () => {
    const clock = createVirtualClock();
    const sink = memorySink(clock.now);
    const runner = scriptedRunner(clock, (id) =>
      id === "a" ? { followUps: [{ id: "a-tests" }, { id: "bad/id" }] } : id === "b" ? { followUps: [{ id: "nope" }] } : ok(),
    );
    const graph = graphOf([makeTask("a"), makeTask("b")]);
    const validateFollowUps = ({ proposals, proposedBy }: { proposals: readonly unknown[]; proposedBy: Task }) => {
      if (proposedBy.id === "b") return { ok: false as const, error: { message: "write set overlaps a running task" } };
      const accepted = proposals.filter((p): p is { id: string } => /^[a-z-]+$/.test((p as { id: string }).id));
      return { ok: true as const, value: accepted.map((p) => makeTask(p.id, { dependencies: [proposedBy.id] })) };
    };
    const result = await clock.run(runGraph(graph, { runTask: runner.runTask, onEvent: sink.onEvent, clock, validateFollowUps }));
    if (!result.ok) throw new Error(result.error.message);
    expect(sink.ofType("task_graph_mutated").map((e) => [e.data.proposedBy, e.data.added.map((t) => t.id)])).toEqual([["a", ["a-tests"]]]);
    expect(sink.ofType("task_followups_rejected").map((e) => e.data)).toEqual([{ proposedBy: "b", count: 1, reason: "write set overlaps a running task" }]);
    expect(result.value.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "done"],
      ["a-tests", "done"],
    ]);
    expect(replayedStatuses(graph, sink.events)).toEqual({ a: "done", b: "done", "a-tests": "done" });
  });

  it("rejects follow-ups when no validation port is given", async () => {
    const { sink, report } = await simulate([makeTask("a")], () => ({ followUps: [{ id: "x" }] }));
    expect(sink.ofType("task_followups_rejected")[0]?.data.reason).toBe("no follow-up validation is configured");
    expect(report.tasks).toHaveLength(1);
  });
});
