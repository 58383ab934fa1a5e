import type { BudgetDimension, BudgetLimits, TokenUsage } from "./schemas/budget.js";
import type { Goal } from "./schemas/goal.js";

export function totalTokens(t: TokenUsage): number {
  return t.input + t.cacheRead + t.cacheWrite + t.output;
}

export type BudgetReport = {
  limits: BudgetLimits;
  used: { timeMs: number; tokens: number; usd: number };
  remaining: { timeMs: number | null; tokens: number | null; usd: number | null };
  exhausted: BudgetDimension[];
  /** Records whose USD was unknown; `usd` is then a lower bound. */
  usdUnknownRecords: number;
};

/**
 * Used and remaining budget at `now`: running time includes the open running
 * interval. A dimension is exhausted when used ≥ limit. Tokens count input,
 * cache read, cache write and output alike.
 */
export function budgetReport(goal: Goal, now: Date): BudgetReport {
  const openMs = goal.runningSince === null ? 0 : Math.max(0, now.getTime() - Date.parse(goal.runningSince));
  const used = { timeMs: goal.usage.timeMs + openMs, tokens: totalTokens(goal.usage.tokens), usd: goal.usage.usd };
  const l = goal.budget.limits;
  const remaining = {
    timeMs: l.timeMs === null ? null : Math.max(0, l.timeMs - used.timeMs),
    tokens: l.tokens === null ? null : Math.max(0, l.tokens - used.tokens),
    usd: l.usd === null ? null : Math.max(0, l.usd - used.usd),
  };
  const exhausted: BudgetDimension[] = [];
  if (l.timeMs !== null && used.timeMs >= l.timeMs) exhausted.push("time");
  if (l.tokens !== null && used.tokens >= l.tokens) exhausted.push("tokens");
  if (l.usd !== null && used.usd >= l.usd) exhausted.push("usd");
  return { limits: l, used, remaining, exhausted, usdUnknownRecords: goal.usage.usdUnknownRecords };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration from argv or config: "90s", "10m", "2h", "1h30m", "1.5h", or a
 * bare number of seconds. Returns milliseconds, or undefined when it is not
 * a positive finite duration.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") {
    const ms = Math.round(input * 1000);
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  }
  const text = input.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return parseDuration(Number(text));
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) return undefined;
  let ms = 0;
  for (const [, amount, unit] of parts) ms += Number(amount) * (UNITS[unit ?? ""] ?? Number.NaN);
  const rounded = Math.round(ms);
  return Number.isFinite(rounded) && rounded > 0 ? rounded : undefined;
}

export function formatDuration(ms: number): string {
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 9_950) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m > 0 ? `${m}m` : ""}`;
  if (m > 0) return `${m}m${sec > 0 ? `${sec}s` : ""}`;
  return `${sec}s`;
}
