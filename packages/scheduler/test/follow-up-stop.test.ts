// A follow-up validation that never answers must not hold up a stop: real runs on the system clock.
import type { Task } from "@omk/state";
import { describe, expect, it } from "vitest";
import { type FollowUpValidator, runGraph, type SchedulerPorts } from "../src/index.js";
import { graphOf, makeTask, memorySink } from "./helpers/fakes.js";

/** A validator that answers only when told to; records the signal it was given. */
function hangingValidator() {
  const seen: Array<AbortSignal | undefined> = [];
  let answer: (tasks: Task[]) => void = () => {};
  const validate: FollowUpValidator = (input) => {
    seen.push(input.signal);
    return new Promise((resolve) => {
      answer = (tasks) => resolve({ ok: true, value: tasks });
    });
  };
  return { validate, seen, answerLate: (tasks: Task[]) => answer(tasks) };
}

/**
 * The run's result, or "hung" when it has not returned 45 s after it began: a hang then fails with the events
 * seen so far, before the test's own timeout (60 s). No speed is judged: what would be waited for never ends
 * (a validation that never answers) or lasts 10 minutes (a running task).
 */
function beforeTheHang<T>(run: Promise<T>): Promise<T | "hung"> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), 45_000);
  });
  return Promise.race([run, hung]).finally(() => clearTimeout(timer));
}

/** Abort `controller` once task `id` has succeeded (its follow-ups are then under validation). */
function abortAfterSuccess(sink: ReturnType<typeof memorySink>, id: string, controller: AbortController, at: { ms: number }): SchedulerPorts["onEvent"] {
  return (event) => {
    sink.onEvent(event);
    if (event.type === "task_succeeded" && event.data.taskId === id) {
      setTimeout(() => {
        at.ms = Date.now();
        controller.abort(new Error("user cancel"));
      }, 100);
    }
  };
}

describe("follow-up validation and stopping", () => {
  it("returns when the run is aborted while a validation hangs, and ignores the late answer", async () => {
    const sink = memorySink(() => Date.now());
    const controller = new AbortController();
    const at = { ms: 0 };
    const validator = hangingValidator();
    const ports: SchedulerPorts = {
      runTask: async () => ({ ok: true, evidence: [], followUps: [{ title: "more" }] }),
      onEvent: abortAfterSuccess(sink, "a", controller, at),
      validateFollowUps: validator.validate,
    };
    const result = await beforeTheHang(runGraph(graphOf([makeTask("a")]), ports, { signal: controller.signal }));
    if (result === "hung") throw new Error(`runGraph has not returned; events: ${sink.events.map((e) => e.type).join(", ")}`);
    // The validation never answers: returning at all shows the run did not wait for it.
    expect(at.ms).toBeGreaterThan(0);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("interrupted");
    expect(result.value.tasks.map((t) => t.id)).toEqual(["a"]);
    expect(sink.ofType("task_followups_rejected").map((e) => e.data)).toEqual([{ proposedBy: "a", count: 1, reason: "the run is stopping" }]);
    expect(validator.seen).toHaveLength(1);
    expect(validator.seen[0]?.aborted).toBe(true);

    const eventsAtReturn = sink.events.length;
    validator.answerLate([makeTask("late", { dependencies: ["a"] })]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.events.length).toBe(eventsAtReturn);
    expect(sink.ofType("task_graph_mutated")).toHaveLength(0);
    expect(sink.events.at(-1)?.type).toBe("task_run_finished");
  });

  it("returns when aborted while a validation hangs and another task is still running", async () => {
    const sink = memorySink(() => Date.now());
    const controller = new AbortController();
    const at = { ms: 0 };
    const validator = hangingValidator();
    const ports: SchedulerPorts = {
      runTask: async (task, context) => {
        if (task.id === "a") return { ok: true, evidence: [], followUps: [{ title: "more" }] };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 600_000);
          context.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return { ok: false, message: "aborted", retryable: true };
      },
      onEvent: abortAfterSuccess(sink, "a", controller, at),
      validateFollowUps: validator.validate,
    };
    const result = await beforeTheHang(runGraph(graphOf([makeTask("a"), makeTask("b")]), ports, { concurrency: 2, signal: controller.signal }));
    if (result === "hung") throw new Error(`runGraph has not returned; events: ${sink.events.map((e) => e.type).join(", ")}`);
    expect(at.ms).toBeGreaterThan(0);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.outcome).toBe("interrupted");
    expect(result.value.tasks.map((t) => [t.id, t.status])).toEqual([
      ["a", "done"],
      ["b", "pending"],
    ]);
    expect(sink.ofType("task_followups_rejected").map((e) => e.data.reason)).toEqual(["the run is stopping"]);
    expect(validator.seen[0]?.aborted).toBe(true);
  });
});
