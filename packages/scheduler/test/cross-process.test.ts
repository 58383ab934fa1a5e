// Pause, resume and cancel from another process, through the goal state; tasks are real child processes.
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type GoalEvent, type GoalStore, openStore, type Task } from "@omk/state";
import { cleanupTempDirs, makeTempDir, spawnTsScript } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runGraph, type SchedulerOptions } from "../src/index.js";
import { graphOf, makeTask, realClock } from "./helpers/fakes.js";
import { childProcessRunner, isAlive, storeSink } from "./helpers/process-runners.js";

afterAll(cleanupTempDirs);

const control = fileURLToPath(new URL("./scripts/goal-control.ts", import.meta.url));

async function goalWithGraph(tasks: Task[]): Promise<{ store: GoalStore; stateDir: string; id: string }> {
  const stateDir = makeTempDir("omk-sched-");
  const store = openStore({ root: stateDir });
  const created = await store.createGoal({
    text: "cross-process control",
    repoRoot: stateDir,
    limits: { timeMs: 3_600_000, tokens: 1_000_000, usd: 10 },
    maxAgents: 3,
  });
  if (!created.ok) throw new Error(created.error.message);
  const id = created.value.id;
  await store.transition(id, "running");
  await store.setTaskGraph(id, graphOf(tasks));
  return { store, stateDir, id };
}

function start(store: GoalStore, id: string, tasks: Task[], runTask: ReturnType<typeof childProcessRunner>["runTask"], options: SchedulerOptions = {}) {
  return runGraph(graphOf(tasks), { runTask, onEvent: storeSink(store, id), readGoal: () => store.readGoal(id), clock: realClock }, options);
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Run the control script in its own process; returns the status change it wrote to the log. */
async function fromAnotherProcess(
  stateDir: string,
  store: GoalStore,
  id: string,
  action: "pause" | "resume" | "cancel",
): Promise<GoalEvent & { type: "status_changed" }> {
  const child = await spawnTsScript(control, [action, id], { env: { OMK_STATE_DIR: stateDir } });
  expect(child.exitCode, String(child.stderr)).toBe(0);
  const to = action === "pause" ? "paused" : action === "cancel" ? "cancelled" : "running";
  const change = (await store.readEvents(id))
    .filter((e): e is GoalEvent & { type: "status_changed" } => e.type === "status_changed" && e.data.to === to)
    .at(-1);
  if (change === undefined) throw new Error(`no status change to ${to}`);
  return change;
}

// Three long tasks run at once (a fourth waits for them); each is a real `node` process that never ends by itself.
const TASKS = [makeTask("a"), makeTask("b"), makeTask("c"), makeTask("d", { dependencies: ["a", "b", "c"] })];

describe("control from another process", () => {
  it("cancel: every running task process is stopped (they never end by themselves), nothing new starts, all tasks end cancelled", async () => {
    const { store, stateDir, id } = await goalWithGraph(TASKS);
    const runner = childProcessRunner(() => null);
    const run = start(store, id, TASKS, runner.runTask);
    await until(() => runner.children.length === 3, "three running task processes");

    const cancel = await fromAnotherProcess(stateDir, store, id, "cancel");
    const result = await run;
    const stoppedAt = Date.now();
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("cancelled");

    const cancelledAt = Date.parse(cancel.ts);
    const lastExit = Math.max(...runner.children.map((c) => c.exitedAt ?? Number.POSITIVE_INFINITY));
    // The processes never end by themselves, so a finite exit proves the cancel stopped them. The bound is
    // generous on purpose: under a loaded CI machine a 1 s bound failed (1040 ms); latency is not a test's job.
    expect(lastExit - cancelledAt).toBeLessThan(15_000);
    expect(stoppedAt - cancelledAt).toBeLessThan(15_000);
    expect(runner.children.every((c) => !isAlive(c.pid))).toBe(true);
    const events = await store.readEvents(id);
    expect(events.filter((e) => e.type === "task_dispatched" && e.seq > cancel.seq)).toEqual([]);
    const goal = await store.readGoal(id);
    expect(goal.status).toBe("cancelled");
    expect(goal.taskGraph?.tasks.map((t) => t.status)).toEqual(["cancelled", "cancelled", "cancelled", "cancelled"]);
    expect((await store.replay(id)).differences).toEqual([]);
  });

  it("pause: running tasks are stopped (they never end by themselves) and left resumable; the run ends as paused", async () => {
    const { store, stateDir, id } = await goalWithGraph(TASKS);
    const runner = childProcessRunner(() => null);
    const run = start(store, id, TASKS, runner.runTask);
    await until(() => runner.children.length === 3, "three running task processes");

    const pause = await fromAnotherProcess(stateDir, store, id, "pause");
    const result = await run;
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("paused");
    const lastExit = Math.max(...runner.children.map((c) => c.exitedAt ?? Number.POSITIVE_INFINITY));
    expect(lastExit - Date.parse(pause.ts)).toBeLessThan(15_000);
    expect(runner.children.every((c) => !isAlive(c.pid))).toBe(true);
    const goal = await store.readGoal(id);
    expect(goal.taskGraph?.tasks.map((t) => [t.id, t.status, t.retries])).toEqual([
      ["a", "pending", 0],
      ["b", "pending", 0],
      ["c", "pending", 0],
      ["d", "pending", 0],
    ]);
    const interrupted = (await store.readEvents(id)).filter((e) => e.type === "task_interrupted");
    expect(interrupted.map((e) => e.type === "task_interrupted" && e.data.reason)).toEqual(["paused", "paused", "paused"]);
  });

  it("pause and resume while the run waits: interrupted tasks start again after the resume and the graph completes", async () => {
    const { store, stateDir, id } = await goalWithGraph(TASKS);
    // The first attempt of each task would run for a long time; later attempts take 200 ms.
    const firstAttempts = new Set<string>();
    const runner = childProcessRunner((task) => {
      if (firstAttempts.has(task.id)) return 200;
      firstAttempts.add(task.id);
      return task.id === "d" ? 200 : 60_000;
    });
    const run = start(store, id, TASKS, runner.runTask, { onPause: "wait" });
    await until(() => runner.children.length === 3, "three running task processes");

    const pause = await fromAnotherProcess(stateDir, store, id, "pause");
    await until(async () => (await store.readEvents(id)).filter((e) => e.type === "task_interrupted").length === 3, "three interrupted tasks");
    expect(Math.max(...runner.children.map((c) => c.exitedAt ?? Number.POSITIVE_INFINITY)) - Date.parse(pause.ts)).toBeLessThan(15_000);
    const pausedSeq = (await store.readEvents(id)).at(-1)?.seq ?? 0;
    await sleep(400);
    expect((await store.readEvents(id)).filter((e) => e.seq > pausedSeq && e.type === "task_dispatched")).toEqual([]);

    await fromAnotherProcess(stateDir, store, id, "resume");
    const result = await run;
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("completed");
    expect(result.value.tasks.map((t) => [t.id, t.status, t.attempts, t.retries])).toEqual([
      ["a", "done", 2, 0],
      ["b", "done", 2, 0],
      ["c", "done", 2, 0],
      ["d", "done", 1, 0],
    ]);
    expect((await store.readGoal(id)).taskGraph?.tasks.every((t) => t.status === "done")).toBe(true);
  });
});
