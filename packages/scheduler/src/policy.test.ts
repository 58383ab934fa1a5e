import { type Task, TaskSchema } from "@omk/state";
import { describe, expect, it } from "vitest";
import { dispatchOrder } from "./graph.js";
import { decideFailure, errorSignature, fitsRoom, LOST_SIGNATURE, selectDispatch, type TaskState, tasksToBlock } from "./policy.js";
import { RetryPolicySchema } from "./schemas.js";

const POLICY = RetryPolicySchema.parse({ baseDelayMs: 1000, factor: 2, maxDelayMs: 5000, stagnationThreshold: 2 });
const NO_LIMIT = { tokens: null, usd: null, deadline: null };

function task(id: string, over: Partial<Task> = {}): Task {
  return TaskSchema.parse({
    title: id,
    description: "",
    role: "implementer",
    dependencies: [],
    reads: [],
    writes: [`${id}.ts`],
    acceptance: [],
    budget: { timeMs: 1000, tokens: 100, usd: 1 },
    ...over,
    id,
  });
}

function states(tasks: Task[], over: Record<string, Partial<TaskState>> = {}): TaskState[] {
  return dispatchOrder(tasks).map((t) => ({ task: t, status: "pending", attempts: 0, retries: 0, signatures: [], retryAt: 0, ...over[t.id] }));
}

function plan(list: TaskState[], extra: Partial<Parameters<typeof selectDispatch>[0]> = {}) {
  const byId = new Map(list.map((s) => [s.task.id, s]));
  return selectDispatch({ order: list, isDone: (id) => byId.get(id)?.status === "done", running: [], slots: 10, now: 0, room: NO_LIMIT, ...extra });
}

describe("selectDispatch", () => {
  it("takes ready tasks by priority, then chain length, then id, up to the free slots", () => {
    const list = states([task("z"), task("y", { priority: 1 }), task("x"), task("w", { dependencies: ["x"] }), task("v", { dependencies: ["y"] })]);
    expect(plan(list, { slots: 2 }).dispatch.map((s) => s.task.id)).toEqual(["y", "x"]);
    expect(plan(list).dispatch.map((s) => s.task.id)).toEqual(["y", "x", "z"]);
  });

  it("skips tasks that conflict with running or already chosen ones, but not their neighbours", () => {
    const list = states([
      task("a", { writes: ["src/"] }),
      task("b", { reads: ["src/x.ts"], writes: ["b.ts"] }),
      task("c", { writes: ["lib/"] }),
      task("d", { reads: ["lib/"], writes: ["d.ts"] }),
    ]);
    expect(plan(list).dispatch.map((s) => s.task.id)).toEqual(["a", "c"]);
    expect(plan(list, { running: [task("other", { writes: ["src/x.ts"] })] }).dispatch.map((s) => s.task.id)).toEqual(["c"]);
  });

  it("refuses what does not fit the room, shrinking the room with each choice, and keeps going with smaller tasks", () => {
    const list = states([
      task("big", { priority: 2, budget: { timeMs: 1, tokens: 600, usd: 1 } }),
      task("mid", { priority: 1, budget: { timeMs: 1, tokens: 400, usd: 1 } }),
      task("small", { budget: { timeMs: 1, tokens: 100, usd: 1 } }),
    ]);
    const p = plan(list, { room: { tokens: 900, usd: null, deadline: null } });
    expect(p.dispatch.map((s) => s.task.id)).toEqual(["big", "small"]);
    expect(p.refused.map((r) => [r.state.task.id, r.fit])).toEqual([["mid", { ok: false, dimension: "tokens", needed: 400, available: 300 }]]);
  });

  it("waits for backoff and reports when to wake; ignores tasks that are not pending or whose dependencies are not done", () => {
    const list = states([task("a"), task("b"), task("c", { dependencies: ["d"] }), task("d")], {
      a: { retryAt: 500 },
      b: { retryAt: 300 },
      d: { status: "running" },
    });
    const p = plan(list, { now: 100 });
    expect(p.dispatch).toEqual([]);
    expect(p.wakeAt).toBe(300);
    expect(plan(list, { now: 300 }).dispatch.map((s) => s.task.id)).toEqual(["b"]);
  });
});

describe("fitsRoom", () => {
  it("checks time as a deadline and tokens and USD as amounts", () => {
    const caps = { timeMs: 1000, tokens: 100, usd: 0.5 };
    expect(fitsRoom({ tokens: 100, usd: 0.5, deadline: 2000 }, caps, 1000)).toEqual({ ok: true });
    expect(fitsRoom({ tokens: 100, usd: 0.5, deadline: 1999 }, caps, 1000)).toEqual({ ok: false, dimension: "time", needed: 1000, available: 999 });
    expect(fitsRoom({ tokens: 99, usd: 1, deadline: null }, caps, 0)).toMatchObject({ ok: false, dimension: "tokens" });
    expect(fitsRoom({ tokens: null, usd: -1, deadline: null }, caps, 0)).toEqual({ ok: false, dimension: "usd", needed: 0.5, available: 0 });
  });
});

describe("decideFailure", () => {
  const base = { signatures: [] as string[], retries: 0, task: { maxRetries: 3 } };

  it("retries with exponential backoff capped at maxDelayMs", () => {
    expect(decideFailure(base, { signature: "a", retryable: true }, POLICY, 10)).toEqual({ decision: "retry", retryAt: 1010 });
    expect(decideFailure({ ...base, signatures: ["x"], retries: 1 }, { signature: "a", retryable: true }, POLICY, 10)).toEqual({
      decision: "retry",
      retryAt: 2010,
    });
    expect(
      decideFailure({ ...base, signatures: ["x", "y", "z"], retries: 3, task: { maxRetries: 9 } }, { signature: "a", retryable: true }, POLICY, 0),
    ).toEqual({ decision: "retry", retryAt: 5000 });
  });

  it("stagnates on the same signature twice in a row, ignoring attempts lost to a crash in between", () => {
    expect(decideFailure({ ...base, signatures: ["a"], retries: 1 }, { signature: "a", retryable: true }, POLICY, 0)).toEqual({ decision: "stagnated" });
    expect(decideFailure({ ...base, signatures: ["a", LOST_SIGNATURE], retries: 1 }, { signature: "a", retryable: true }, POLICY, 0)).toEqual({
      decision: "stagnated",
    });
    expect(decideFailure({ ...base, signatures: ["b", "a"], retries: 2 }, { signature: "b", retryable: true }, POLICY, 0).decision).toBe("retry");
  });

  it("gives up when retries are used up or the failure is not retryable", () => {
    expect(decideFailure({ ...base, signatures: ["x", "y", "z"], retries: 3 }, { signature: "a", retryable: true }, POLICY, 0)).toEqual({
      decision: "give_up",
    });
    expect(decideFailure(base, { signature: "a", retryable: false }, POLICY, 0)).toEqual({ decision: "give_up" });
  });

  it("never counts attempts lost to a controller kill: neither towards stagnation nor as a retry", () => {
    expect(
      decideFailure({ ...base, signatures: [LOST_SIGNATURE, LOST_SIGNATURE, LOST_SIGNATURE] }, { signature: "a", retryable: true }, POLICY, 0).decision,
    ).toBe("retry");
    expect(
      decideFailure({ ...base, signatures: [LOST_SIGNATURE, "a", LOST_SIGNATURE, LOST_SIGNATURE] }, { signature: "b", retryable: true }, POLICY, 0).decision,
    ).toBe("retry");
  });
});

describe("errorSignature", () => {
  it("gives the same signature to the same failure with different numbers, ids and whitespace", () => {
    expect(errorSignature("Timeout after 1234 ms  in worker 0x1f\n    at foo (x.js:1:2)")).toBe(errorSignature("timeout after 99 ms in worker 0xabc\n at bar"));
    expect(errorSignature("commit 3f2a9c1d0e not found")).toBe("commit <hex> not found");
    expect(errorSignature("ENOENT: a.ts")).not.toBe(errorSignature("EACCES: a.ts"));
    expect(errorSignature("\n\n")).toBe("unknown_error");
  });
});

describe("tasksToBlock", () => {
  it("blocks every pending task downstream of a failure, naming the dependency that blocks it", () => {
    const list = states(
      [task("a"), task("b", { dependencies: ["a"] }), task("c", { dependencies: ["b", "x"] }), task("x"), task("d", { dependencies: ["x"] })],
      { b: {}, x: { status: "done" } },
    );
    const byId = new Map(list.map((s) => [s.task.id, s]));
    const dependents = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["x", ["c", "d"]],
      ["c", []],
      ["d", []],
    ]);
    expect(tasksToBlock("a", byId, dependents)).toEqual([
      { taskId: "b", blockedBy: ["a"] },
      { taskId: "c", blockedBy: ["b"] },
    ]);
  });
});
