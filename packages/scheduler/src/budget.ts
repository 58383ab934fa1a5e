/**
 * Budget by reservation. A dispatch reserves the task's caps from what the
 * goal has left (minus the verification reserve); usage reports during the
 * turn are reconciled against the reservation, and going over it is a
 * breach the executor turns into an abort at once; when the attempt ends,
 * what it did not use goes back.
 *
 * The bound: committed = spent + Σ unused reservations of running attempts.
 * A dispatch needs committed + caps ≤ pool, and a report within its
 * attempt's reservation leaves committed unchanged, so spent ≤ pool holds
 * until a report crosses a reservation. Such a report raises committed by
 * its overshoot (≤ the size of that report) and aborts the attempt. Hence:
 * spent ≤ pool + Σ overshoots of crossing reports (plus anything an aborted
 * runner still reports), where pool = limit − verification reserve − spent
 * before the run. Unknown USD counts as the whole USD reservation.
 */
import { type BudgetDimension, type BudgetLimits, budgetReport, type Goal, type TaskBudget } from "@omk/state";
import type { BudgetRoom } from "./policy.js";
import type { VerificationReserve } from "./schemas.js";

export type Spend = { tokens: number; usd: number; usdUnknown: boolean };
export type Breach = { dimension: BudgetDimension; limit: number; used: number };

type Held = { reserved: TaskBudget; tokens: number; usd: number; usdUnknown: boolean };

/** The caps, what was spent before this run, and when the goal's time runs out (ms since the epoch; null: no cap). */
export type BudgetBase = { limits: BudgetLimits; usedBefore: { tokens: number; usd: number }; deadline: number | null };

export function budgetBaseFromGoal(goal: Goal, now: number): BudgetBase {
  const report = budgetReport(goal, new Date(now));
  return {
    limits: goal.budget.limits,
    usedBefore: { tokens: report.used.tokens, usd: report.used.usd },
    deadline: report.remaining.timeMs === null ? null : now + report.remaining.timeMs,
  };
}

export class BudgetLedger {
  private base: BudgetBase;
  private readonly verification: VerificationReserve;
  /** Spent by attempts that ended, and by reports that arrived after their attempt ended. */
  private settled = { tokens: 0, usd: 0, usdUnknown: false };
  private readonly held = new Map<string, Held>();

  constructor(base: BudgetBase, reserve: VerificationReserve) {
    this.base = base;
    this.verification = reserve;
  }

  /** New caps or deadline (a budget-add or a pause seen on the goal); spending stays as counted. */
  rebase(base: Omit<BudgetBase, "usedBefore">): void {
    this.base = { ...base, usedBefore: this.base.usedBefore };
  }

  /** The verification reserve per dimension: an explicit amount, else the fraction of the limit. */
  reserveOf(dimension: BudgetDimension): number {
    const limit = dimension === "time" ? this.base.limits.timeMs : dimension === "tokens" ? this.base.limits.tokens : this.base.limits.usd;
    const explicit = dimension === "time" ? this.verification.timeMs : dimension === "tokens" ? this.verification.tokens : this.verification.usd;
    if (limit === null) return 0;
    return explicit ?? limit * this.verification.fraction;
  }

  /** What this run may still spend, per dimension, before the verification reserve. */
  pool(): { tokens: number | null; usd: number | null } {
    const l = this.base.limits;
    return {
      tokens: l.tokens === null ? null : l.tokens - this.reserveOf("tokens") - this.base.usedBefore.tokens,
      usd: l.usd === null ? null : l.usd - this.reserveOf("usd") - this.base.usedBefore.usd,
    };
  }

  /** Room for new reservations. */
  room(): BudgetRoom {
    const pool = this.pool();
    const committed = this.committed();
    return {
      tokens: pool.tokens === null ? null : pool.tokens - committed.tokens,
      usd: pool.usd === null ? null : pool.usd - committed.usd,
      deadline: this.base.deadline === null ? null : this.base.deadline - this.reserveOf("time"),
    };
  }

  /** Spent so far plus the unused part of every live reservation. */
  committed(): { tokens: number; usd: number } {
    let tokens = this.settled.tokens;
    let usd = this.settled.usd;
    for (const h of this.held.values()) {
      tokens += Math.max(h.reserved.tokens, h.tokens);
      usd += Math.max(h.reserved.usd, effectiveUsd(h));
    }
    return { tokens, usd };
  }

  /** Spent during this run (live attempts included). */
  spent(): Spend {
    const out = { ...this.settled };
    for (const h of this.held.values()) {
      out.tokens += h.tokens;
      out.usd += effectiveUsd(h);
      out.usdUnknown ||= h.usdUnknown;
    }
    return out;
  }

  reserve(key: string, caps: TaskBudget): void {
    this.held.set(key, { reserved: caps, tokens: 0, usd: 0, usdUnknown: false });
  }

  /** Add a usage increment. For a live reservation, returns the breach when it went over its caps. */
  report(key: string, usage: { tokens: number; usd: number | undefined }): Breach | undefined {
    const h = this.held.get(key);
    if (h === undefined) {
      this.settled.tokens += usage.tokens;
      if (usage.usd === undefined) this.settled.usdUnknown = true;
      else this.settled.usd += usage.usd;
      return undefined;
    }
    h.tokens += usage.tokens;
    if (usage.usd === undefined) h.usdUnknown = true;
    else h.usd += usage.usd;
    if (h.tokens > h.reserved.tokens) return { dimension: "tokens", limit: h.reserved.tokens, used: h.tokens };
    if (h.usd > h.reserved.usd) return { dimension: "usd", limit: h.reserved.usd, used: h.usd };
    return undefined;
  }

  /** What a live reservation has spent so far. */
  spendOf(key: string): Spend {
    const h = this.held.get(key);
    return h === undefined ? { tokens: 0, usd: 0, usdUnknown: false } : { tokens: h.tokens, usd: h.usd, usdUnknown: h.usdUnknown };
  }

  /** End a reservation: its spend stays counted (unknown USD as the whole USD cap), the rest is free again. */
  release(key: string): Spend {
    const h = this.held.get(key);
    if (h === undefined) return { tokens: 0, usd: 0, usdUnknown: false };
    this.held.delete(key);
    this.settled.tokens += h.tokens;
    this.settled.usd += effectiveUsd(h);
    this.settled.usdUnknown ||= h.usdUnknown;
    return { tokens: h.tokens, usd: h.usd, usdUnknown: h.usdUnknown };
  }
}

/** A reservation whose cost was not reported in full counts as having used its whole USD cap. */
function effectiveUsd(h: Held): number {
  return h.usdUnknown ? Math.max(h.usd, h.reserved.usd) : h.usd;
}
