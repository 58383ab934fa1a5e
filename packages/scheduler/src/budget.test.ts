import { openStore } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { BudgetLedger, budgetBaseFromGoal } from "./budget.js";
import { VerificationReserveSchema } from "./schemas.js";

afterAll(cleanupTempDirs);

const reserve = (over = {}) => VerificationReserveSchema.parse(over);
const caps = (tokens: number, usd = 1) => ({ timeMs: 1000, tokens, usd });

describe("BudgetLedger", () => {
  it("keeps the verification reserve out of the pool, by fraction or explicit amount", () => {
    const base = { limits: { timeMs: 10_000, tokens: 1000, usd: 2 }, usedBefore: { tokens: 100, usd: 0.5 }, deadline: 50_000 };
    const byFraction = new BudgetLedger(base, reserve({ fraction: 0.1 }));
    expect(byFraction.pool()).toEqual({ tokens: 800, usd: 1.3 });
    expect(byFraction.room()).toEqual({ tokens: 800, usd: 1.3, deadline: 49_000 });
    const explicit = new BudgetLedger(base, reserve({ fraction: 0.5, tokens: 0, timeMs: 0 }));
    expect(explicit.room()).toMatchObject({ tokens: 900, deadline: 50_000 });
    const unlimited = new BudgetLedger({ limits: { timeMs: null, tokens: null, usd: null }, usedBefore: { tokens: 5, usd: 5 }, deadline: null }, reserve());
    expect(unlimited.room()).toEqual({ tokens: null, usd: null, deadline: null });
  });

  it("holds whole reservations, reconciles reports against them, flags a breach and frees the unused part on release", () => {
    const ledger = new BudgetLedger(
      { limits: { timeMs: null, tokens: 1000, usd: null }, usedBefore: { tokens: 0, usd: 0 }, deadline: null },
      reserve({ fraction: 0 }),
    );
    ledger.reserve("a#1", caps(400));
    ledger.reserve("b#1", caps(300));
    expect(ledger.room().tokens).toBe(300);
    expect(ledger.report("a#1", { tokens: 350, usd: 0.1 })).toBeUndefined();
    expect(ledger.room().tokens).toBe(300);
    expect(ledger.report("b#1", { tokens: 320, usd: 0 })).toEqual({ dimension: "tokens", limit: 300, used: 320 });
    expect(ledger.room().tokens).toBe(280);
    expect(ledger.release("a#1")).toEqual({ tokens: 350, usd: 0.1, usdUnknown: false });
    expect(ledger.room().tokens).toBe(330);
    ledger.release("b#1");
    // A report after its attempt ended still counts.
    ledger.report("b#1", { tokens: 30, usd: undefined });
    expect(ledger.spent()).toEqual({ tokens: 700, usd: 0.1, usdUnknown: true });
  });

  it("flags a USD breach and counts unknown USD as the whole USD cap", () => {
    const ledger = new BudgetLedger(
      { limits: { timeMs: null, tokens: null, usd: 1 }, usedBefore: { tokens: 0, usd: 0 }, deadline: null },
      reserve({ fraction: 0 }),
    );
    ledger.reserve("a#1", caps(1000, 0.3));
    expect(ledger.report("a#1", { tokens: 1, usd: 0.31 })).toEqual({ dimension: "usd", limit: 0.3, used: 0.31 });
    ledger.reserve("b#1", caps(1000, 0.4));
    ledger.report("b#1", { tokens: 1, usd: undefined });
    ledger.release("b#1");
    expect(ledger.spent().usd).toBeCloseTo(0.71);
  });

  it("takes limits, spend and the time left from a goal, and follows a budget-add", async () => {
    const store = openStore({ root: makeTempDir() });
    const created = await store.createGoal({ text: "ledger", repoRoot: "/tmp", limits: { timeMs: 60_000, tokens: 1000, usd: 1 }, maxAgents: 1 });
    if (!created.ok) throw new Error(created.error.message);
    await store.transition(created.value.id, "running");
    const goal = await store.recordUsage(created.value.id, { source: "x", tokens: { input: 100, cacheRead: 50, cacheWrite: 0, output: 50 }, usd: 0.25 });
    if (!goal.ok) throw new Error(goal.error.message);
    const now = Date.parse(goal.value.runningSince as string) + 10_000;
    const base = budgetBaseFromGoal(goal.value, now);
    expect(base).toEqual({ limits: { timeMs: 60_000, tokens: 1000, usd: 1 }, usedBefore: { tokens: 200, usd: 0.25 }, deadline: now + 50_000 });
    const ledger = new BudgetLedger(base, reserve({ fraction: 0.1 }));
    expect(ledger.room()).toEqual({ tokens: 700, usd: 0.65, deadline: now + 44_000 });
    ledger.rebase({ limits: { timeMs: 60_000, tokens: 2000, usd: 1 }, deadline: now + 50_000 });
    expect(ledger.room().tokens).toBe(1600);
  });
});
