import { describe, expect, it } from "vitest";
import { reduce } from "./reduce.js";
import type { GoalEvent } from "./schemas/event.js";
import type { Goal } from "./schemas/goal.js";
import { GOAL_STATUSES, type GoalStatus, PHASES, type Phase } from "./schemas/status.js";
import { allPhasePairs, allStatusPairs, PHASE_TRANSITIONS, STATUS_TRANSITIONS } from "./transitions.js";

const T0 = "2026-01-01T00:00:00.000Z";

function created(): Goal {
  const event: GoalEvent = {
    v: 1,
    seq: 1,
    ts: T0,
    actor: "user",
    type: "goal_created",
    data: {
      goal: {
        id: "01test",
        text: "Add a flag",
        normalizedText: "Add a flag",
        repoRoot: "/repo",
        baseCommit: null,
        constraints: [],
        terminalCriteria: [],
        limits: { timeMs: 3_600_000, tokens: 1000, usd: 5 },
        maxAgents: 2,
      },
    },
  };
  const r = reduce(undefined, event);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function inStatus(status: GoalStatus, flags: Partial<Goal["flags"]> = {}, phase: Phase | null = null): Goal {
  return { ...created(), status, phase, flags: { budgetExtendedSinceExhausted: false, amendedSinceBlocked: false, ...flags } };
}

function statusEvent(goal: Goal, to: GoalStatus, newRun = false): GoalEvent {
  return {
    v: 1,
    seq: goal.lastSeq + 1,
    ts: "2026-01-01T00:00:01.000Z",
    actor: "user",
    type: "status_changed",
    data: { from: goal.status, to, ...(newRun ? { newRun: true } : {}) },
  };
}

describe("status transition table", () => {
  it("covers every status as a source", () => {
    expect(Object.keys(STATUS_TRANSITIONS).sort()).toEqual([...GOAL_STATUSES].sort());
  });

  // Every (from, to) pair: legal ones change the status, illegal ones are error values.
  for (const [from, to] of allStatusPairs()) {
    const rule = STATUS_TRANSITIONS[from][to];
    const label = rule === undefined ? "illegal" : rule === true ? "legal" : `legal with guard ${rule}`;
    it(`${from} -> ${to}: ${label}`, () => {
      const goal = inStatus(from);
      const result = reduce(goal, statusEvent(goal, to));
      if (rule === undefined) {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe("illegal_transition");
          expect(result.error.fix.length).toBeGreaterThan(0);
        }
        expect(goal.status).toBe(from); // nothing changed
      } else if (rule === true) {
        expect(result.ok && result.value.status).toBe(to);
      } else {
        // Without its guard the move is refused, with it the move is allowed.
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error.code).toBe("guard_failed");
        const flags = rule === "budget_extended" ? { budgetExtendedSinceExhausted: true } : rule === "amended" ? { amendedSinceBlocked: true } : {};
        const guarded = inStatus(from, flags);
        const allowed = reduce(guarded, statusEvent(guarded, to, rule === "new_run"));
        expect(allowed.ok && allowed.value.status).toBe(to);
      }
    });
  }

  it("cancelled is final", () => {
    expect(Object.keys(STATUS_TRANSITIONS.cancelled)).toEqual([]);
  });

  it("refuses an event whose `from` does not match the goal", () => {
    const goal = inStatus("paused");
    const result = reduce(goal, { ...statusEvent(goal, "running"), data: { from: "created", to: "running" } } as GoalEvent);
    expect(result.ok).toBe(false);
  });

  it("counts running time from event timestamps, across intervals", () => {
    let goal = inStatus("created");
    const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
    const moves: Array<[GoalStatus, number]> = [
      ["running", 10],
      ["paused", 25],
      ["running", 100],
      ["paused", 103],
    ];
    for (const [to, s] of moves) {
      const r = reduce(goal, { ...statusEvent(goal, to), ts: at(s) });
      if (!r.ok) throw new Error(r.error.message);
      goal = r.value;
    }
    expect(goal.usage.timeMs).toBe(18_000);
    expect(goal.runningSince).toBeNull();
  });
});

describe("phase transition table", () => {
  for (const [from, to] of allPhasePairs()) {
    const legal = PHASE_TRANSITIONS[from].includes(to);
    it(`${from} -> ${to}: ${legal ? "legal" : "illegal"}`, () => {
      const goal = inStatus("running", {}, from === "none" ? null : from);
      const result = reduce(goal, {
        v: 1,
        seq: goal.lastSeq + 1,
        ts: T0,
        actor: "controller",
        type: "phase_changed",
        data: { from: goal.phase, to },
      });
      expect(result.ok).toBe(legal);
      if (!result.ok) expect(result.error.code).toBe("illegal_phase");
    });
  }

  it("phases move only while running", () => {
    for (const status of GOAL_STATUSES.filter((s) => s !== "running")) {
      const goal = inStatus(status);
      const result = reduce(goal, { v: 1, seq: 2, ts: T0, actor: "c", type: "phase_changed", data: { from: null, to: "intake" } });
      expect(result.ok).toBe(false);
    }
  });

  it("the forward path through every phase is legal", () => {
    const forward: Phase[] = [...PHASES];
    let goal = inStatus("running");
    for (const to of forward) {
      const r = reduce(goal, { v: 1, seq: goal.lastSeq + 1, ts: T0, actor: "c", type: "phase_changed", data: { from: goal.phase, to } });
      expect(r.ok, `${goal.phase} -> ${to}`).toBe(true);
      if (r.ok) goal = r.value;
    }
  });
});

describe("reducer sequencing", () => {
  it("refuses a gap or repeat in seq", () => {
    const goal = inStatus("created");
    for (const seq of [1, 3, 100]) {
      const r = reduce(goal, { ...statusEvent(goal, "running"), seq });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("seq_mismatch");
    }
  });

  it("refuses events before goal_created", () => {
    const r = reduce(undefined, { v: 1, seq: 1, ts: T0, actor: "u", type: "status_changed", data: { from: "created", to: "running" } });
    expect(r.ok).toBe(false);
  });
});
