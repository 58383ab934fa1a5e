import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { budgetReport, formatDuration, parseDuration, totalTokens } from "./budget.js";
import { reduce } from "./reduce.js";
import type { BudgetLimits, BudgetUsage } from "./schemas/budget.js";
import type { Goal } from "./schemas/goal.js";

describe("parseDuration", () => {
  it.each<[string | number, number]>([
    ["90s", 90_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["500ms", 500],
    ["2d", 172_800_000],
    ["1m30s", 90_000],
    ["1h0m", 3_600_000],
    ["45", 45_000],
    ["1.5", 1_500],
    [45, 45_000],
    [0.25, 250],
    [" 10M ", 600_000],
    ["1H30M", 5_400_000],
    // Lenient today: units in any order, and repeated, are summed.
    ["30m1h", 5_400_000],
    ["1h1h", 7_200_000],
  ])("parses %j as %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each<string | number>([
    "",
    " ",
    "0",
    "0s",
    "0h0m",
    "-1",
    "-5m",
    "abc",
    "10x",
    "h",
    "ms",
    "NaN",
    "Infinity",
    "1e3",
    ".5h",
    "1h30",
    "1h 30m",
    "10 m",
    "1,5h",
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ])("rejects %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  // A positive duration that rounds to 0 ms is not a usable duration.
  it("never returns 0 for a positive duration under half a millisecond", () => {
    expect(parseDuration("0.4ms")).toBeUndefined();
    expect(parseDuration(0.0004)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each<[number, string]>([
    [1, "1ms"],
    [500, "500ms"],
    [1_000, "1.0s"],
    [1_500, "1.5s"],
    [9_999, "10s"],
    [10_000, "10s"],
    [45_000, "45s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [600_000, "10m"],
    [3_599_000, "59m59s"],
    [3_600_000, "1h"],
    [3_661_000, "1h1m"],
    [5_400_000, "1h30m"],
    [172_800_000, "48h"],
  ])("formats %d ms as %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips through parseDuration within the precision it shows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 * 86_400_000 }), (ms) => {
        const back = parseDuration(formatDuration(ms));
        expect(back).toBeDefined();
        const error = Math.abs((back ?? 0) - ms);
        // hours drop seconds, minutes drop milliseconds, seconds show 0 or 1 decimals.
        const tolerance = ms >= 3_600_000 ? 60_000 : ms >= 60_000 ? 1_000 : ms >= 10_000 ? 500 : ms >= 1_000 ? 50 : 0;
        expect(error).toBeLessThanOrEqual(tolerance);
      }),
    );
  });

  it.each(["1m30s", "10m", "2h", "1h30m", "500ms", "45s", "1.5s"])("formats parseDuration(%j) back to the same (canonical) text", (text) => {
    expect(formatDuration(parseDuration(text) as number)).toBe(text);
  });
});

const T0 = "2026-03-01T10:00:00.000Z";
const ZERO_USAGE: BudgetUsage = { timeMs: 0, tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 0, usdUnknownRecords: 0, records: 0 };

/** A goal as the reducer creates it, with the given limits, usage and open running interval. */
function goalWith(limits: BudgetLimits, usage: Partial<BudgetUsage> = {}, runningSince: string | null = null): Goal {
  const created = reduce(undefined, {
    v: 1,
    seq: 1,
    ts: T0,
    type: "goal_created",
    actor: "user",
    data: {
      goal: {
        id: "g1",
        text: "budget",
        normalizedText: "budget",
        repoRoot: "/repo",
        baseCommit: null,
        constraints: [],
        terminalCriteria: [],
        limits,
        maxAgents: 1,
      },
    },
  });
  if (!created.ok) throw new Error(created.error.message);
  return { ...created.value, status: runningSince === null ? "paused" : "running", usage: { ...ZERO_USAGE, ...usage }, runningSince };
}

const at = (iso: string) => new Date(iso);
const LIMITS: BudgetLimits = { timeMs: 3_600_000, tokens: 100_000, usd: 5 };

describe("budgetReport", () => {
  it("reports the whole budget as remaining before any use", () => {
    const report = budgetReport(goalWith(LIMITS), at(T0));
    expect(report).toEqual({
      limits: LIMITS,
      used: { timeMs: 0, tokens: 0, usd: 0 },
      remaining: { timeMs: 3_600_000, tokens: 100_000, usd: 5 },
      exhausted: [],
      usdUnknownRecords: 0,
    });
  });

  it("counts every kind of token and subtracts per dimension", () => {
    const tokens = { input: 10_000, cacheRead: 20_000, cacheWrite: 5_000, output: 4_000 };
    expect(totalTokens(tokens)).toBe(39_000);
    const report = budgetReport(goalWith(LIMITS, { timeMs: 600_000, tokens, usd: 1.25, usdUnknownRecords: 2, records: 5 }), at(T0));
    expect(report.used).toEqual({ timeMs: 600_000, tokens: 39_000, usd: 1.25 });
    expect(report.remaining).toEqual({ timeMs: 3_000_000, tokens: 61_000, usd: 3.75 });
    expect(report.exhausted).toEqual([]);
    expect(report.usdUnknownRecords).toBe(2);
  });

  it("is exhausted at the limit, not only past it", () => {
    const report = budgetReport(goalWith(LIMITS, { timeMs: 3_600_000 }), at(T0));
    expect(report.exhausted).toEqual(["time"]);
    expect(report.remaining.timeMs).toBe(0);
  });

  it("never reports negative remaining; names every exhausted dimension in order", () => {
    const report = budgetReport(goalWith(LIMITS, { timeMs: 4_000_000, tokens: { input: 200_000, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 7 }), at(T0));
    expect(report.remaining).toEqual({ timeMs: 0, tokens: 0, usd: 0 });
    expect(report.exhausted).toEqual(["time", "tokens", "usd"]);
  });

  it("treats null limits as no cap: remaining null, never exhausted", () => {
    const huge = { timeMs: 1e12, tokens: { input: 1e12, cacheRead: 0, cacheWrite: 0, output: 0 }, usd: 1e9 };
    const report = budgetReport(goalWith({ timeMs: null, tokens: null, usd: null }, huge, T0), at("2030-01-01T00:00:00.000Z"));
    expect(report.remaining).toEqual({ timeMs: null, tokens: null, usd: null });
    expect(report.exhausted).toEqual([]);
    const mixed = budgetReport(goalWith({ timeMs: null, tokens: 10, usd: null }, huge), at(T0));
    expect(mixed.remaining).toEqual({ timeMs: null, tokens: 0, usd: null });
    expect(mixed.exhausted).toEqual(["tokens"]);
  });

  it("counts the open running interval up to now", () => {
    const goal = goalWith(LIMITS, { timeMs: 3_000_000 }, T0);
    const nineMinutes = budgetReport(goal, at("2026-03-01T10:09:00.000Z"));
    expect(nineMinutes.used.timeMs).toBe(3_540_000);
    expect(nineMinutes.remaining.timeMs).toBe(60_000);
    expect(nineMinutes.exhausted).toEqual([]);
    const tenMinutes = budgetReport(goal, at("2026-03-01T10:10:00.000Z"));
    expect(tenMinutes.used.timeMs).toBe(3_600_000);
    expect(tenMinutes.exhausted).toEqual(["time"]);
    // A closed interval (not running) is already in usage.timeMs: nothing more is added.
    expect(budgetReport(goalWith(LIMITS, { timeMs: 3_000_000 }), at("2026-03-01T10:10:00.000Z")).used.timeMs).toBe(3_000_000);
  });

  it("ignores a running start in the future (clock skew) instead of counting negative time", () => {
    const report = budgetReport(goalWith(LIMITS, { timeMs: 1_000 }, "2026-03-01T11:00:00.000Z"), at(T0));
    expect(report.used.timeMs).toBe(1_000);
  });
});
