// Property-based tests over random DAGs (fast-check) on a virtual clock: caps, conflicts, dependencies,
// budgets within the stated bound, terminal statuses, replayable events, and crash recovery at any point.
import type { GoalEvent, Task } from "@omk/state";
import { createVirtualClock } from "@omk/test-fixtures";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { recoverRun, resumeGraph, runGraph, tasksConflict } from "../src/index.js";
import { type Behaviour, goalLog, graphOf, makeTask, maxOverlap, memorySink, overlaps, replayedStatuses, scriptedRunner } from "./helpers/fakes.js";

/** A small path alphabet, so read/write sets overlap often (folders, files, a glob). */
const PATHS = ["src/", "src/a.ts", "src/b.ts", "docs/", "docs/x.md", "test/**/*.ts", "README.md"];
const KINDS = ["ok", "ok", "fail_once", "fail_always", "hang_first", "greedy"] as const;
type Kind = (typeof KINDS)[number];

const taskSpec = fc.record({
  deps: fc.array(fc.nat(), { maxLength: 3 }),
  reads: fc.subarray(PATHS, { maxLength: 2 }),
  writes: fc.subarray(PATHS, { maxLength: 2 }),
  priority: fc.integer({ min: 0, max: 2 }),
  steps: fc.integer({ min: 1, max: 5 }),
  stepMs: fc.integer({ min: 1, max: 40 }).map((n) => n * 10),
  tokenCap: fc.integer({ min: 100, max: 3000 }),
  chunk: fc.integer({ min: 10, max: 600 }),
  maxRetries: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom(...KINDS),
});
type TaskSpec = typeof taskSpec extends fc.Arbitrary<infer T> ? T : never;

function build(specs: TaskSpec[]): {
  tasks: Task[];
  behaviour: (id: string, attempt: number) => Behaviour;
  kindOf: Map<string, Kind>;
  chunkOf: Map<string, number>;
} {
  const tasks = specs.map((s, i) =>
    makeTask(`t${i}`, {
      dependencies: i === 0 ? [] : [...new Set(s.deps.map((d) => `t${i - 1 - (d % i)}`))],
      reads: s.reads,
      writes: s.writes,
      priority: s.priority,
      maxRetries: s.maxRetries,
      budget: { timeMs: 600_000, tokens: s.tokenCap, usd: 1 },
    }),
  );
  const byId = new Map(specs.map((s, i) => [`t${i}`, s]));
  const behaviour = (id: string, attempt: number): Behaviour => {
    const s = byId.get(id) as TaskSpec;
    // Everyone spends its whole cap (the hardest case for the budget); greedy tasks go over it.
    const perChunk = s.kind === "greedy" ? Math.max(s.chunk, Math.ceil(s.tokenCap / s.steps) + 1) : Math.max(1, Math.floor(s.tokenCap / s.steps));
    const base: Behaviour = { durationMs: s.steps * s.stepMs, chunks: s.steps, tokensPerChunk: perChunk, usdPerChunk: 0 };
    if (s.kind === "fail_always" || (s.kind === "fail_once" && attempt === 1)) return { ...base, fail: { message: `broken ${id}` } };
    if (s.kind === "hang_first" && attempt === 1) return { hang: true };
    return base;
  };
  return {
    tasks,
    behaviour,
    kindOf: new Map(specs.map((s, i) => [`t${i}`, s.kind])),
    chunkOf: new Map(tasks.map((t) => [t.id, behaviour(t.id, 2).tokensPerChunk ?? 0])),
  };
}

const scenario = fc.record({
  tasks: fc.array(taskSpec, { minLength: 1, maxLength: 16 }),
  cap: fc.integer({ min: 1, max: 4 }),
  spareWorkers: fc.integer({ min: 0, max: 2 }),
  tokenLimit: fc.option(fc.integer({ min: 1000, max: 20_000 }), { nil: null }),
});

describe("invariants over random DAGs", () => {
  it("respects the cap, conflicts, dependencies and the budget bound; ends every task terminal; its events replay to the same statuses", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ tasks: specs, cap, spareWorkers, tokenLimit }) => {
        const { tasks, behaviour, chunkOf } = build(specs);
        const clock = createVirtualClock();
        const sink = memorySink(clock.now);
        const runner = scriptedRunner(clock, behaviour);
        const graph = graphOf(tasks);
        const workers = Array.from({ length: cap + spareWorkers }, (_, i) => `w${i}`);
        const result = await clock.run(
          runGraph(
            graph,
            { runTask: runner.runTask, onEvent: sink.onEvent, clock },
            { concurrency: cap, workers, leaseMs: 1000, retry: { baseDelayMs: 50 }, budget: { timeMs: null, tokens: tokenLimit, usd: null } },
          ),
        );
        if (!result.ok) throw new Error(result.error.message);
        const report = result.value;
        const byId = new Map(tasks.map((t) => [t.id, t]));

        // The cap holds at every instant.
        expect(maxOverlap(runner.attempts)).toBeLessThanOrEqual(cap);
        // No two conflicting tasks run at the same time.
        for (const a of runner.attempts) {
          for (const b of runner.attempts) {
            if (a.taskId < b.taskId && tasksConflict(byId.get(a.taskId) as Task, byId.get(b.taskId) as Task))
              expect(overlaps(a, b), `${a.taskId} / ${b.taskId}`).toBe(false);
          }
        }
        // An attempt starts only after each dependency succeeded.
        for (const a of runner.attempts) {
          for (const dep of byId.get(a.taskId)?.dependencies ?? []) {
            const done = runner.attempts.find((d) => d.taskId === dep && d.outcome === "succeeded");
            expect(done?.end, `${a.taskId} waits for ${dep}`).toBeLessThanOrEqual(a.start);
          }
        }
        // Nothing done is dispatched again; attempts stay within maxRetries + 1.
        const doneAt = new Map(sink.ofType("task_succeeded").map((e) => [e.data.taskId, e.seq]));
        for (const d of sink.ofType("task_dispatched")) expect(d.seq).toBeLessThan(doneAt.get(d.data.taskId) ?? Number.POSITIVE_INFINITY);
        for (const t of report.tasks) expect(t.attempts).toBeLessThanOrEqual((byId.get(t.id)?.maxRetries ?? 0) + 1);
        // A written-off worker gets nothing more: a hung task is retried on another worker.
        const deadSince = new Map<string, number>();
        for (const e of sink.events) {
          if (e.type === "task_worker_dead") deadSince.set(e.data.worker, e.seq);
          if (e.type === "task_dispatched") expect(deadSince.has(e.data.worker), `${e.data.taskId} sent to dead ${e.data.worker}`).toBe(false);
        }
        // Budget: spent ≤ (limit − reserve) + the overshoot of the reports that crossed a reservation.
        const reported = runner.reports.reduce((sum, r) => sum + r.tokens, 0);
        expect(report.spent.tokens).toBe(reported);
        if (tokenLimit !== null) {
          const crossing = sink.ofType("task_budget_breached").reduce((sum, e) => sum + (chunkOf.get(e.data.taskId) ?? 0), 0);
          expect(reported).toBeLessThanOrEqual(tokenLimit * 0.9 + crossing);
          // And the ledger invariant behind it: at each dispatch, what ended attempts spent plus every live reservation fits the pool.
          let settled = 0;
          const live = new Map<string, number>();
          for (const e of sink.events) {
            if (e.type === "task_dispatched") {
              live.set(e.data.taskId, e.data.reservation.tokens);
              expect(settled + [...live.values()].reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(tokenLimit * 0.9);
            } else if (e.type === "task_succeeded" || e.type === "task_failed") {
              live.delete(e.data.taskId);
              settled += e.data.usage.tokens;
            }
          }
        }
        // Every task ends terminal, unless the run stopped for budget or for lack of workers.
        expect(["completed", "needs_more_budget", "failed_infra"]).toContain(report.outcome);
        const open = report.tasks.filter((t) => !["done", "failed", "blocked"].includes(t.status));
        if (report.outcome === "completed") expect(open).toEqual([]);
        expect(open.every((t) => t.status === "pending")).toBe(true);
        // needs_more_budget: a task refused, or one over its cap with too little left for another attempt (back to pending).
        if (report.outcome === "needs_more_budget")
          expect(
            sink.ofType("task_budget_refused").length +
              sink.ofType("task_budget_breached").filter((b) => sink.ofType("task_interrupted").some((i) => i.data.taskId === b.data.taskId)).length,
          ).toBeGreaterThan(0);
        if (report.outcome === "failed_infra") expect(report.deadWorkers).toHaveLength(workers.length);
        // The goal's reducer accepts every event and folds the same statuses.
        expect(replayedStatuses(graph, sink.events)).toEqual(Object.fromEntries(report.tasks.map((t) => [t.id, t.status])));
      }),
      { numRuns: 300 },
    );
  });

  it("a run recovered from its log cut at any event ends with the statuses of the uninterrupted run, and never reruns what was done", async () => {
    // Tasks behave the same on every attempt (or fail once with a retry left), so the crash alone decides nothing.
    const stable = taskSpec.filter((s) => s.kind === "ok" || s.kind === "fail_always" || (s.kind === "fail_once" && s.maxRetries > 0));
    const recoveryScenario = fc.record({ tasks: fc.array(stable, { minLength: 1, maxLength: 10 }), cap: fc.integer({ min: 1, max: 3 }), cut: fc.nat() });
    await fc.assert(
      fc.asyncProperty(recoveryScenario, async ({ tasks: specs, cap, cut }) => {
        const { tasks, behaviour } = build(specs);
        const graph = graphOf(tasks);
        const options = { concurrency: cap, retry: { baseDelayMs: 50 } };

        const clock1 = createVirtualClock();
        const sink1 = memorySink(clock1.now);
        const full = await clock1.run(runGraph(graph, { runTask: scriptedRunner(clock1, behaviour).runTask, onEvent: sink1.onEvent, clock: clock1 }, options));
        if (!full.ok) throw new Error(full.error.message);
        const expected = Object.fromEntries(full.value.tasks.map((t) => [t.id, t.status]));

        // The controller dies after event k: only the first k events reached the log.
        const k = cut % (sink1.events.length + 1);
        const prefix: GoalEvent[] = goalLog(graph, sink1.events.slice(0, k));
        const recovered = recoverRun(prefix);
        if (!recovered.ok) throw new Error(recovered.error.message);
        const clock2 = createVirtualClock(Date.parse(prefix.at(-1)?.ts as string));
        const sink2 = memorySink(clock2.now);
        const again = await clock2.run(
          resumeGraph(recovered.value, { runTask: scriptedRunner(clock2, behaviour).runTask, onEvent: sink2.onEvent, clock: clock2 }, options),
        );
        if (!again.ok) throw new Error(again.error.message);

        expect(Object.fromEntries(again.value.tasks.map((t) => [t.id, t.status]))).toEqual(expected);
        const doneBefore = new Set(recovered.value.graph.tasks.filter((t) => t.status === "done").map((t) => t.id));
        for (const d of sink2.ofType("task_dispatched")) expect(doneBefore.has(d.data.taskId)).toBe(false);
        expect(
          sink2
            .ofType("task_recovered")
            .map((e) => e.data.taskId)
            .sort(),
        ).toEqual([...recovered.value.lost].sort());
        // The whole log, before and after the crash, folds through the goal's reducer.
        const stitched = [...prefix.slice(2), ...sink2.events];
        expect(replayedStatuses(graph, stitched)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
