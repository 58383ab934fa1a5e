// Reducer cases of the controller's task-runner events (issue 8), through the real store.
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { EventSchema } from "./schemas/event.js";
import { type GoalStore, openStore } from "./store.js";

afterAll(cleanupTempDirs);

const SHA = "a".repeat(40);

async function newGoal(store: GoalStore) {
  const r = await store.createGoal({ text: "Add a greeting", repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.id;
}

describe("attempt_captured and scope_violation_recorded", () => {
  it("are kept in the log, leave the goal as it was (but lastSeq), and replay to the same snapshot", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const before = await store.readGoal(id);
    const r = await store.append(id, () => [
      {
        type: "attempt_captured",
        actor: "worker-1",
        data: { taskId: "implement", attempt: 1, round: 1, branch: `omk/${id}/implement`, commit: SHA, changedFiles: ["src/a.ts"] },
      },
      {
        type: "scope_violation_recorded",
        actor: "worker-1",
        data: {
          taskId: "implement",
          attempt: 1,
          path: "README.md",
          kind: "outside_write_set",
          atWrite: true,
          message: "writes README.md, which no entry of the write set covers",
        },
      },
      {
        type: "attempt_captured",
        actor: "worker-1",
        data: {
          taskId: "implement",
          attempt: 2,
          round: 1,
          branch: `omk/${id}/implement`,
          commit: SHA,
          changedFiles: [],
          keptRef: `refs/omk/attempts/${id}/implement/1`,
        },
      },
    ]);
    expect(r.ok).toBe(true);
    const after = await store.readGoal(id);
    const { lastSeq: _a, updatedAt: _b, logBytes: _e, chainHead: _g, ...restAfter } = after;
    const { lastSeq: _c, updatedAt: _d, logBytes: _f, chainHead: _h, ...restBefore } = before;
    expect(after.lastSeq).toBe(before.lastSeq + 3);
    expect(restAfter).toEqual(restBefore);
    const events = await store.readEvents(id);
    expect(events.map((e) => e.type).slice(-3)).toEqual(["attempt_captured", "scope_violation_recorded", "attempt_captured"]);
    expect((await store.replay(id)).differences).toEqual([]);
  });

  it("refuses malformed payloads: a commit that is not a full sha, an attempt of 0", () => {
    const envelope = { v: 1, seq: 2, ts: "2026-03-01T10:00:00.000Z", actor: "worker-1" } as const;
    const bad = EventSchema.safeParse({
      ...envelope,
      type: "attempt_captured",
      data: { taskId: "implement", attempt: 1, round: 1, branch: "omk/g/implement", commit: "abc", changedFiles: [] },
    });
    expect(bad.success).toBe(false);
    const zero = EventSchema.safeParse({
      ...envelope,
      type: "scope_violation_recorded",
      data: { taskId: "implement", attempt: 0, path: "x", kind: "outside_write_set", atWrite: false, message: "m" },
    });
    expect(zero.success).toBe(false);
  });
});
