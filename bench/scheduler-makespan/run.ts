// scheduler-makespan: a 200-task random DAG (fixed seed) of fixed-duration fake tasks at concurrency 8,
// run by @omk/scheduler on real timers. Reference, in the same run: the ideal bound
// max(critical path, total work / cap), which no schedule can beat, computed from the durations the
// tasks took in this run (a timer that fires late under load lengthens the task, not the scheduling);
// the bound from the nominal durations is printed too. Also prints the policy alone on a
// virtual clock (chain-rank order, and plain priority-then-id order for comparison), the per-dispatch
// overhead (200 zero-length tasks), and the same run with a real goal store as its event log.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runGraph, type SchedulerEvent, type TaskContext } from "@omk/scheduler";
import { openStore, type Task, TaskSchema } from "@omk/state";
import { createVirtualClock, randomDag } from "@omk/test-fixtures";

// OMK_BENCH_QUICK=1: the short mode (a smoke run, docs/benchmarks/README.md).
const QUICK = process.env["OMK_BENCH_QUICK"] === "1";
const SEED = Number(process.env["OMK_BENCH_SEED"] ?? 7);
const SIZE = QUICK ? 40 : 200;
const CAP = 8;
const TASK_MS = Number(process.env["OMK_BENCH_TASK_MS"] ?? (QUICK ? 10 : 50));
const TARGET = 1.05;

const nodes = randomDag({ seed: SEED, size: SIZE, maxDependencies: 3, window: 24 });
const tasks: Task[] = nodes.map((n) =>
  TaskSchema.parse({ ...n, title: n.id, description: "", role: "implementer", acceptance: [], budget: { timeMs: 60_000, tokens: 1000, usd: 1 } }),
);

/** Longest chain through the DAG, weighting each task by `duration(id)`. */
function criticalPath(duration: (id: string) => number): number {
  const finish = new Map<string, number>();
  for (const t of tasks) finish.set(t.id, Math.max(0, ...t.dependencies.map((d) => finish.get(d) ?? 0)) + duration(t.id));
  return Math.max(...finish.values());
}
const chainLength = criticalPath(() => 1);
const idealMs = Math.max(chainLength * TASK_MS, (SIZE * TASK_MS) / CAP);

const graph = (list: Task[]) => ({ schemaVersion: 1 as const, tasks: list });
const noEvents = (_event: SchedulerEvent) => {};

async function realRun(taskMs: number, sink: { onEvents?: (events: SchedulerEvent[]) => Promise<void> } = {}) {
  const spans = new Map<string, { start: number; end: number }>();
  const runTask = (task: Task, ctx: TaskContext) =>
    new Promise<{ ok: true }>((resolve, reject) => {
      const start = performance.now();
      if (taskMs === 0) {
        spans.set(task.id, { start, end: start });
        resolve({ ok: true });
        return;
      }
      const timer = setTimeout(() => {
        spans.set(task.id, { start, end: performance.now() });
        resolve({ ok: true });
      }, taskMs);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    });
  const t0 = performance.now();
  const result = await runGraph(graph(tasks), { runTask, onEvent: noEvents, ...sink }, { concurrency: CAP });
  const makespan = performance.now() - t0;
  if (!result.ok || result.value.outcome !== "completed") throw new Error("the benchmark run did not complete");
  return { makespan, spans, t0 };
}

async function virtualRun(list: Task[]): Promise<number> {
  const clock = createVirtualClock(0);
  const runTask = async (_task: Task, ctx: TaskContext) => {
    await clock.sleep(TASK_MS, ctx.signal);
    return { ok: true as const };
  };
  const result = await clock.run(runGraph(graph(list), { runTask, onEvent: noEvents, clock }, { concurrency: CAP }));
  if (!result.ok || result.value.outcome !== "completed") throw new Error("the virtual run did not complete");
  return clock.now();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

// Warm up the JIT on throwaway runs.
for (let i = 0; i < (QUICK ? 2 : 10); i++) await realRun(0);

// Per-dispatch overhead: 200 tasks that finish at once, so all the time is the scheduler's
// (graph validation, ordering, conflict checks, leases, events, p-queue), divided by the dispatches.
const OVERHEAD_RUNS = QUICK ? 3 : 21;
const overheadRuns: number[] = [];
for (let i = 0; i < OVERHEAD_RUNS; i++) overheadRuns.push((await realRun(0)).makespan / SIZE);
const overheadUs = median(overheadRuns) * 1000;

// The measured run: real timers, fixed-duration tasks.
const real = await realRun(TASK_MS);
const nominalRatio = real.makespan / idealMs;
// Gaps between a slot freeing and the next task starting there (dispatch latency as the tasks saw it).
const starts = [...real.spans.values()].map((s) => s.start).sort((a, b) => a - b);
const ends = [...real.spans.values()].map((s) => s.end).sort((a, b) => a - b);
const measured = (id: string) => (real.spans.get(id)?.end ?? 0) - (real.spans.get(id)?.start ?? 0);
const measuredBound = Math.max(criticalPath(measured), [...real.spans.values()].reduce((s, x) => s + x.end - x.start, 0) / CAP);
const meanTaskMs = [...real.spans.values()].reduce((s, x) => s + x.end - x.start, 0) / SIZE;

// The policy alone, on a virtual clock: chain-rank order (the scheduler's), and plain priority-then-id order.
const virtualRank = await virtualRun(tasks);
const idOnly = tasks.map((t, i) => ({ ...t, priority: SIZE - i }));
const virtualId = await virtualRun(idOnly);

// The same run with the goal store as the event log, as the controller will bind it: every batch of events
// decided while the previous append was in flight is one append (fsync'd log line batch and snapshot).
const stateDir = mkdtempSync(path.join(os.tmpdir(), "omk-bench-sched-"));
const store = openStore({ root: stateDir });
const created = await store.createGoal({ text: "scheduler-makespan", repoRoot: stateDir, limits: { timeMs: null, tokens: null, usd: null }, maxAgents: CAP });
if (!created.ok) throw new Error(created.error.message);
const goalId = created.value.id;
await store.transition(goalId, "running");
await store.setTaskGraph(goalId, graph(tasks));
let appends = 0;
let appendMs = 0;
let storedEvents = 0;
const stored = await realRun(TASK_MS, {
  onEvents: async (events) => {
    const start = performance.now();
    const r = await store.append(goalId, () => events);
    appendMs += performance.now() - start;
    appends += 1;
    storedEvents += events.length;
    if (!r.ok) throw new Error(r.error.message);
  },
});
rmSync(stateDir, { recursive: true, force: true });

const fmt = (n: number, d = 1) => n.toFixed(d);
const ratio = real.makespan / measuredBound;
process.stdout.write(
  `graph: ${SIZE} tasks (seed ${SEED}), ${tasks.reduce((s, t) => s + t.dependencies.length, 0)} edges, critical path ${chainLength} tasks; cap ${CAP}; ${TASK_MS} ms per task\n`,
);
process.stdout.write(
  `nominal ideal bound: max(critical path ${chainLength * TASK_MS} ms, work/cap ${fmt((SIZE * TASK_MS) / CAP, 0)} ms) = ${fmt(idealMs, 0)} ms\n`,
);
process.stdout.write(`real timers: makespan ${fmt(real.makespan)} ms = ${nominalRatio.toFixed(3)} × the nominal bound\n`);
process.stdout.write(`  the fake tasks took ${fmt(meanTaskMs, 2)} ms on average (their timers fired ${fmt(meanTaskMs - TASK_MS, 2)} ms late)\n`);
process.stdout.write(`  ideal bound from the measured task durations: ${fmt(measuredBound)} ms; makespan = ${ratio.toFixed(3)} × that bound\n`);
process.stdout.write(
  `  first task started ${fmt((starts[0] ?? 0) - real.t0, 2)} ms after runGraph was called; runGraph returned ${fmt(real.t0 + real.makespan - (ends.at(-1) ?? 0), 2)} ms after the last task ended\n`,
);
process.stdout.write(
  `virtual clock (policy only, no timer lateness): ${(virtualRank / idealMs).toFixed(3)} × the bound with chain-rank order; ${(virtualId / idealMs).toFixed(3)} with plain priority-then-id order\n`,
);
process.stdout.write(
  `per-dispatch overhead: ${fmt(overheadUs, 1)} µs (median of ${OVERHEAD_RUNS} runs of ${SIZE} zero-length tasks, events to an in-memory sink)\n`,
);
process.stdout.write(
  `with the goal store as event log: makespan ${fmt(stored.makespan)} ms = ${(stored.makespan / idealMs).toFixed(3)} × the nominal bound; ${storedEvents} events in ${appends} appends of ${fmt(appendMs / appends, 2)} ms on average\n`,
);
process.stdout.write(`scheduler-makespan ratio ${ratio.toFixed(3)} (target ${TARGET})\n`);
