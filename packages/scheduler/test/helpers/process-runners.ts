// Runners used across processes: tasks whose behaviour is written in their description, and tasks that are real child processes.
import { spawn } from "node:child_process";
import type { GoalStore, Task } from "@omk/state";
import type { SchedulerEvent, TaskContext, TaskResult } from "../../src/index.js";
import { makeTask, realClock } from "./fakes.js";

/** How a described task behaves; kept in its description so another process runs it the same way. */
export type Described = { durationMs: number; fail?: "always" };

export function describedTask(id: string, behaviour: Described, over: Partial<Omit<Task, "id">> = {}): Task {
  return makeTask(id, { ...over, description: JSON.stringify(behaviour) });
}

/** Runs a described task on real time: sleeps in 25 ms steps (each a heartbeat), then succeeds or fails. */
export async function runDescribed(task: Task, ctx: TaskContext): Promise<TaskResult> {
  const behaviour = JSON.parse(task.description) as Described;
  for (let left = behaviour.durationMs; left > 0; left -= 25) {
    await realClock.sleep(Math.min(25, left), ctx.signal);
    ctx.heartbeat();
  }
  return behaviour.fail === "always" ? { ok: false, message: `task ${task.id} is broken`, retryable: true } : { ok: true };
}

/** The controller's binding of events to a real goal log. */
export function storeSink(store: GoalStore, goalId: string) {
  return async (event: SchedulerEvent): Promise<void> => {
    const r = await store.append(goalId, () => [event]);
    if (!r.ok) throw new Error(`${event.type}: ${r.error.message}`);
  };
}

type ChildRecord = { taskId: string; attempt: number; pid: number; startedAt: number; exitedAt: number | undefined };

/**
 * Each attempt is a real child process (a node process that runs for
 * `lifetimeMs`, or forever). An abort kills it (SIGTERM); the attempt ends
 * when the process has exited.
 */
export function childProcessRunner(lifetimeMs: (task: Task) => number | null) {
  const children: ChildRecord[] = [];
  const runTask = (task: Task, ctx: TaskContext): Promise<TaskResult> =>
    new Promise<TaskResult>((resolve, reject) => {
      const life = lifetimeMs(task);
      const code = life === null ? "setInterval(() => {}, 1000)" : `setTimeout(() => {}, ${life})`;
      const child = spawn(process.execPath, ["-e", code], { stdio: "ignore" });
      const record: ChildRecord = { taskId: task.id, attempt: ctx.attempt, pid: child.pid ?? -1, startedAt: Date.now(), exitedAt: undefined };
      children.push(record);
      const beat = setInterval(() => ctx.heartbeat(), 100);
      const onAbort = () => child.kill("SIGTERM");
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      child.on("exit", (exitCode, signal) => {
        record.exitedAt = Date.now();
        clearInterval(beat);
        ctx.signal.removeEventListener("abort", onAbort);
        if (ctx.signal.aborted) reject(ctx.signal.reason);
        else if (exitCode === 0) resolve({ ok: true });
        else resolve({ ok: false, message: `child exited with ${exitCode ?? signal}` });
      });
    });
  return { runTask, children };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
