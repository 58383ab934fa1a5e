// Crash recovery: a controller process is SIGKILLed mid-run; the run is rebuilt from the goal's event log and
// finished, and its outcome is compared with an uninterrupted run of the same graph.
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type GoalEvent, type GoalStore, openStore, type Task } from "@omk/state";
import { cleanupTempDirs, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { recoverRun, resumeGraph, runGraph } from "../src/index.js";
import { goalLog, graphOf, makeTask, memorySink, realClock, scriptedRunner } from "./helpers/fakes.js";
import { describedTask, runDescribed, storeSink } from "./helpers/process-runners.js";

afterAll(cleanupTempDirs);

const childController = fileURLToPath(new URL("./scripts/run-graph-child.ts", import.meta.url));

// Twelve tasks, 120 ms each, three at a time; "broken" always fails (and stagnates), so "needs-broken" is blocked.
const TASKS: Task[] = [
  describedTask("a", { durationMs: 120 }),
  describedTask("b", { durationMs: 120 }),
  describedTask("c", { durationMs: 120 }),
  describedTask("d", { durationMs: 120 }, { dependencies: ["a"] }),
  describedTask("e", { durationMs: 120 }, { dependencies: ["b"] }),
  describedTask("f", { durationMs: 120 }, { dependencies: ["c"] }),
  describedTask("g", { durationMs: 120 }, { dependencies: ["d", "e"] }),
  describedTask("h", { durationMs: 120 }, { dependencies: ["f"] }),
  describedTask("i", { durationMs: 120 }, { dependencies: ["g"] }),
  describedTask("j", { durationMs: 120 }, { dependencies: ["h", "i"] }),
  describedTask("broken", { durationMs: 60, fail: "always" }),
  describedTask("needs-broken", { durationMs: 60 }, { dependencies: ["broken"] }),
];
const OPTIONS = { concurrency: 3, retry: { baseDelayMs: 20 } };

async function newGoal(store: GoalStore): Promise<string> {
  const created = await store.createGoal({
    text: "recoverable run",
    repoRoot: "/tmp/repo",
    limits: { timeMs: 3_600_000, tokens: 1_000_000, usd: 10 },
    maxAgents: 3,
  });
  if (!created.ok) throw new Error(created.error.message);
  await store.transition(created.value.id, "running");
  await store.setTaskGraph(created.value.id, graphOf(TASKS));
  return created.value.id;
}

const statuses = (tasks: readonly { id: string; status: string }[]) => Object.fromEntries(tasks.map((t) => [t.id, t.status]));

describe("crash recovery", () => {
  it("rebuilds the run from the log after a SIGKILL: done stays done, running tasks run once more, the end matches an uninterrupted run", async () => {
    const stateDir = makeTempDir("omk-sched-crash-");
    const store = openStore({ root: stateDir });
    const ports = (id: string) => ({ runTask: runDescribed, onEvent: storeSink(store, id), readGoal: () => store.readGoal(id) });

    // The reference: the same graph, run without interruption.
    const refId = await newGoal(store);
    const reference = await runGraph(graphOf(TASKS), ports(refId), OPTIONS);
    if (!reference.ok) throw new Error(reference.error.message);
    expect(reference.value.outcome).toBe("completed");

    // A controller in another process, killed once some tasks are done while others run.
    const id = await newGoal(store);
    const child = spawnTsScript(childController, [id], { env: { OMK_STATE_DIR: stateDir } });
    let killedAfter: GoalEvent[] = [];
    // Generous: the child starts through tsx, slow on a busy machine (no speed is judged here).
    const deadline = Date.now() + 150_000;
    for (;;) {
      const events = await store.readEvents(id).catch(() => [] as GoalEvent[]);
      const succeeded = events.filter((e) => e.type === "task_succeeded").length;
      const recovered = recoverRun(events);
      if (succeeded >= 3 && recovered.ok && recovered.value.lost.length > 0) {
        child.kill("SIGKILL");
        killedAfter = events;
        break;
      }
      if (Date.now() > deadline) throw new Error("the child never reached the middle of its run");
      await sleep(5);
    }
    await child;

    // What the log holds now (the child may have appended a little more before the kill landed).
    const log = await store.readEvents(id);
    expect(log.length).toBeGreaterThanOrEqual(killedAfter.length);
    expect(log.some((e) => e.type === "task_run_finished")).toBe(false);
    const recovered = recoverRun(log);
    if (!recovered.ok) throw new Error(recovered.error.message);
    const doneAtCrash = recovered.value.graph.tasks.filter((t) => t.status === "done").map((t) => t.id);
    expect(doneAtCrash.length).toBeGreaterThanOrEqual(3);
    expect(recovered.value.lost.length).toBeGreaterThan(0);

    const resumed = await resumeGraph(recovered.value, ports(id), OPTIONS);
    if (!resumed.ok) throw new Error(resumed.error.message);
    expect(resumed.value.outcome).toBe("completed");
    expect(statuses(resumed.value.tasks)).toEqual(statuses(reference.value.tasks));
    expect(statuses(resumed.value.tasks)).toMatchObject({ j: "done", broken: "failed", "needs-broken": "blocked" });

    const after = (await store.readEvents(id)).slice(log.length);
    // Nothing recorded done runs again; each task that was running is recovered exactly once and dispatched again.
    const dispatchedAfter = after.flatMap((e) => (e.type === "task_dispatched" ? [e.data.taskId] : []));
    for (const taskId of doneAtCrash) expect(dispatchedAfter).not.toContain(taskId);
    const recoveredEvents = after.flatMap((e) => (e.type === "task_recovered" ? [e.data.taskId] : []));
    expect(recoveredEvents.sort()).toEqual([...recovered.value.lost].sort());
    for (const taskId of recovered.value.lost) {
      if (statuses(reference.value.tasks)[taskId] === "done") expect(dispatchedAfter.filter((t) => t === taskId)).toHaveLength(1);
    }
    // The goal's snapshot agrees with both the report and a full replay of the log.
    const goal = await store.readGoal(id);
    expect(statuses(goal.taskGraph?.tasks ?? [])).toEqual(statuses(resumed.value.tasks));
    expect((await store.replay(id)).differences).toEqual([]);
  }, 240_000);

  it("recoverRun carries attempts, failure signatures and backoff over from the log", () => {
    const graph = graphOf([describedTask("a", { durationMs: 1 }, { maxRetries: 3 }), describedTask("b", { durationMs: 1 })]);
    const lease = { worker: "w1", acquiredAt: "2026-03-01T10:00:00.000Z", expiresAt: "2026-03-01T10:01:00.000Z" };
    const reservation = { timeMs: 600_000, tokens: 10_000, usd: 1 };
    const spend = { tokens: 0, usd: 0, usdUnknown: false };
    const e = (type: string, data: object): GoalEvent => ({ v: 1, seq: 0, ts: "2026-03-01T10:00:00.000Z", actor: "scheduler", type, data }) as GoalEvent;
    const log = goalLog(graph, [
      e("task_run_started", { tasks: 2, concurrency: 1, workers: ["w1"], recovered: false }),
      e("task_dispatched", { taskId: "a", attempt: 1, worker: "w1", lease, reservation }),
      e("task_failed", {
        taskId: "a",
        attempt: 1,
        worker: "w1",
        signature: "boom",
        message: "boom",
        retryable: true,
        decision: "retry",
        retryAt: "2026-03-01T10:00:05.000Z",
        usage: spend,
      }),
      e("task_dispatched", { taskId: "b", attempt: 1, worker: "w1", lease, reservation }),
    ]);
    const recovered = recoverRun(log);
    if (!recovered.ok) throw new Error(recovered.error.message);
    expect(recovered.value.lost).toEqual(["b"]);
    expect(recovered.value.runs).toBe(1);
    expect(recovered.value.history["a"]).toEqual({ attempts: 1, signatures: ["boom"], retryAt: Date.parse("2026-03-01T10:00:05.000Z"), worker: "w1" });
    expect(recovered.value.graph.tasks.map((t) => [t.id, t.status, t.retries])).toEqual([
      ["a", "pending", 1],
      ["b", "running", 0],
    ]);
    const noGraph = recoverRun(log.slice(0, 1));
    expect(noGraph.ok).toBe(false);
  });

  it("a task lost to controller kills again and again is run once more each time, never stagnated nor charged a retry", async () => {
    const graph = graphOf([makeTask("a", { maxRetries: 0 })]);
    const lease = { worker: "w1", acquiredAt: "2026-03-01T10:00:00.000Z", expiresAt: "2026-03-01T10:01:00.000Z" };
    const reservation = { timeMs: 600_000, tokens: 10_000, usd: 1 };
    const e = (type: string, data: object): GoalEvent => ({ v: 1, seq: 0, ts: "2026-03-01T10:00:00.000Z", actor: "scheduler", type, data }) as GoalEvent;
    // Killed during attempt 1, recovered, killed again during attempt 2 (two kills of the same task).
    const log = goalLog(graph, [
      e("task_run_started", { tasks: 1, concurrency: 1, workers: ["w1"], recovered: false }),
      e("task_dispatched", { taskId: "a", attempt: 1, worker: "w1", lease, reservation }),
      e("task_run_started", { tasks: 1, concurrency: 1, workers: ["w1"], recovered: true }),
      e("task_recovered", { taskId: "a", attempt: 1, worker: "w1", decision: "retry" }),
      e("task_dispatched", { taskId: "a", attempt: 2, worker: "w1", lease, reservation }),
    ]);
    const recovered = recoverRun(log);
    if (!recovered.ok) throw new Error(recovered.error.message);
    expect(recovered.value.lost).toEqual(["a"]);
    const sink = memorySink(() => Date.now());
    const runner = scriptedRunner(realClock, () => ({ durationMs: 5 }));
    const resumed = await resumeGraph(recovered.value, { runTask: runner.runTask, onEvent: sink.onEvent }, { retry: { baseDelayMs: 1 } });
    if (!resumed.ok) throw new Error(resumed.error.message);
    expect(sink.ofType("task_recovered").map((r) => r.data.decision)).toEqual(["retry"]);
    expect(resumed.value.tasks[0]).toMatchObject({ id: "a", status: "done", retries: 0, stagnated: false });
    expect(runner.attempts.map((a) => a.attempt)).toEqual([3]);
  });
});
