// Reducer cases of the scheduler's task_* events (@omk/scheduler writes them; the goal's task graph keeps the statuses).
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import type { NewEvent } from "./schemas/event.js";
import type { Goal } from "./schemas/goal.js";
import { type TaskGraph, TaskGraphSchema } from "./schemas/task.js";
import { type GoalStore, openStore } from "./store.js";
import { newTask, TASK_BUDGET } from "../test/store-setup.js";

afterAll(cleanupTempDirs);

const LIMITS = { timeMs: 3_600_000, tokens: 100_000, usd: 10 };
const BUDGET = TASK_BUDGET;
const SPEND = { tokens: 10, usd: 0.01, usdUnknown: false };
const LEASE = { worker: "w1", acquiredAt: "2026-03-01T10:00:00.000Z", expiresAt: "2026-03-01T10:01:00.000Z" };

function graph(): TaskGraph {
  const task = (id: string, dependencies: string[] = []) => newTask(id, dependencies, { writes: [`${id}.ts`], acceptance: [] });
  return TaskGraphSchema.parse({ schemaVersion: 1, tasks: [task("a"), task("b", ["a"]), task("c", ["b"])] });
}

async function runningGoalWithGraph(store: GoalStore): Promise<Goal> {
  const created = await store.createGoal({ text: "scheduler events", repoRoot: "/tmp/repo", limits: LIMITS, maxAgents: 2 });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  expect((await store.transition(id, "running")).ok).toBe(true);
  const set = await store.setTaskGraph(id, graph());
  if (!set.ok) throw new Error(set.error.message);
  return set.value;
}

const one = (event: NewEvent) => () => [event];
const statuses = (goal: Goal) => Object.fromEntries((goal.taskGraph?.tasks ?? []).map((t) => [t.id, [t.status, t.retries, t.lease?.worker ?? null]]));

describe("task_* events in the goal's task graph", () => {
  it("keeps statuses, retries, leases and evidence, and a replay of the log gives the same graph", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await runningGoalWithGraph(store);
    const id = goal.id;
    const actor = "scheduler";
    const events: NewEvent[] = [
      { type: "task_run_started", actor, data: { tasks: 3, concurrency: 2, workers: ["w1", "w2"], recovered: false } },
      { type: "task_dispatched", actor, data: { taskId: "a", attempt: 1, worker: "w1", lease: LEASE, reservation: BUDGET } },
      {
        type: "task_failed",
        actor,
        data: {
          taskId: "a",
          attempt: 1,
          worker: "w1",
          signature: "boom",
          message: "boom",
          retryable: true,
          decision: "retry",
          retryAt: LEASE.expiresAt,
          usage: SPEND,
        },
      },
      { type: "task_dispatched", actor, data: { taskId: "a", attempt: 2, worker: "w2", lease: { ...LEASE, worker: "w2" }, reservation: BUDGET } },
      { type: "task_worker_dead", actor, data: { taskId: "a", attempt: 2, worker: "w2", reason: "lease_expired", expiredAt: LEASE.expiresAt } },
      {
        type: "task_failed",
        actor,
        data: { taskId: "a", attempt: 2, worker: "w2", signature: "lease_expired", message: "lease expired", retryable: true, decision: "retry", usage: SPEND },
      },
      { type: "task_dispatched", actor, data: { taskId: "a", attempt: 3, worker: "w1", lease: LEASE, reservation: BUDGET } },
      { type: "task_succeeded", actor, data: { taskId: "a", attempt: 3, worker: "w1", durationMs: 12, usage: SPEND, evidence: ["runs/a/3/diff.patch"] } },
      { type: "task_late_result_ignored", actor, data: { taskId: "a", attempt: 2, worker: "w2", result: "succeeded" } },
      { type: "task_dispatched", actor, data: { taskId: "b", attempt: 1, worker: "w1", lease: LEASE, reservation: BUDGET } },
      { type: "task_budget_breached", actor, data: { taskId: "b", attempt: 1, dimension: "tokens", limit: 1000, used: 1200 } },
      {
        type: "task_failed",
        actor,
        data: {
          taskId: "b",
          attempt: 1,
          worker: "w1",
          signature: "budget_exceeded:tokens",
          message: "over",
          retryable: false,
          decision: "give_up",
          usage: SPEND,
        },
      },
      { type: "task_blocked", actor, data: { taskId: "c", blockedBy: ["b"] } },
      {
        type: "task_run_finished",
        actor,
        data: { outcome: "completed", reason: "every task is terminal", counts: { done: 1, failed: 1, blocked: 1, cancelled: 0, pending: 0 } },
      },
    ];
    let last = goal;
    for (const event of events) {
      const r = await store.append(id, one(event));
      if (!r.ok) throw new Error(`${event.type}: ${r.error.message}`);
      last = r.value;
    }
    expect(statuses(last)).toEqual({ a: ["done", 2, null], b: ["failed", 0, null], c: ["blocked", 0, null] });
    expect(last.taskGraph?.tasks[0]?.evidence).toEqual(["runs/a/3/diff.patch"]);
    const replay = await store.replay(id);
    expect(replay.differences).toEqual([]);
    expect(statuses(replay.goal)).toEqual(statuses(last));
  });

  it("moves running tasks back to pending on interruption and recovery, and cancels the rest", async () => {
    const store = openStore({ root: makeTempDir() });
    const { id } = await runningGoalWithGraph(store);
    const actor = "scheduler";
    const steps: NewEvent[] = [
      { type: "task_dispatched", actor, data: { taskId: "a", attempt: 1, worker: "w1", lease: LEASE, reservation: BUDGET } },
      { type: "task_interrupted", actor, data: { taskId: "a", attempt: 1, worker: "w1", reason: "paused" } },
      { type: "task_dispatched", actor, data: { taskId: "a", attempt: 2, worker: "w1", lease: LEASE, reservation: BUDGET } },
      { type: "task_recovered", actor, data: { taskId: "a", attempt: 2, worker: "w1", decision: "retry" } },
    ];
    for (const event of steps) expect((await store.append(id, one(event))).ok).toBe(true);
    let goal = await store.readGoal(id);
    expect(statuses(goal)["a"]).toEqual(["pending", 0, null]);
    expect(
      (
        await store.append(
          id,
          one({ type: "task_dispatched", actor, data: { taskId: "a", attempt: 3, worker: "w2", lease: { ...LEASE, worker: "w2" }, reservation: BUDGET } }),
        )
      ).ok,
    ).toBe(true);
    expect(statuses(await store.readGoal(id))["a"]).toEqual(["running", 0, "w2"]);
    for (const taskId of ["a", "b", "c"]) {
      const r = await store.append(id, one({ type: "task_cancelled", actor, data: { taskId, attempt: taskId === "a" ? 3 : null, reason: "goal cancelled" } }));
      expect(r.ok).toBe(true);
    }
    goal = await store.readGoal(id);
    expect(statuses(goal)).toEqual({ a: ["cancelled", 0, null], b: ["cancelled", 0, null], c: ["cancelled", 0, null] });
  });

  it("refuses events that do not follow the task's status or name no task, and writes nothing", async () => {
    const store = openStore({ root: makeTempDir() });
    const { id } = await runningGoalWithGraph(store);
    const actor = "scheduler";
    const dispatch = (attempt: number): NewEvent => ({
      type: "task_dispatched",
      actor,
      data: { taskId: "a", attempt, worker: "w1", lease: LEASE, reservation: BUDGET },
    });
    expect((await store.append(id, one(dispatch(1)))).ok).toBe(true);
    expect(
      (
        await store.append(
          id,
          one({ type: "task_succeeded", actor, data: { taskId: "a", attempt: 1, worker: "w1", durationMs: 1, usage: SPEND, evidence: [] } }),
        )
      ).ok,
    ).toBe(true);
    const before = (await store.readEvents(id)).length;

    // Nothing recorded done is dispatched again.
    const again = await store.append(id, one(dispatch(2)));
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error).toMatchObject({ code: "illegal_task_transition", from: "done", to: "task_dispatched" });

    const unknown = await store.append(id, one({ type: "task_blocked", actor, data: { taskId: "zzz", blockedBy: ["a"] } }));
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error.code).toBe("unknown_task");

    const notRunning = await store.append(id, one({ type: "task_interrupted", actor, data: { taskId: "b", attempt: 1, worker: "w1", reason: "paused" } }));
    expect(notRunning.ok).toBe(false);
    expect(await store.readEvents(id)).toHaveLength(before);
  });

  it("refuses task events before a task graph is set", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "no graph yet", repoRoot: "/tmp/repo", limits: LIMITS, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    const r = await store.append(created.value.id, one({ type: "task_blocked", actor: "scheduler", data: { taskId: "a", blockedBy: ["b"] } }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("unknown_task");
  });
});
