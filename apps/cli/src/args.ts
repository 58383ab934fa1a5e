import { type BudgetExtension, type BudgetLimits, parseDuration } from "@omk/state";
import { UsageError } from "./errors.js";

/** Parsing of argv values at the edge: budgets, counts, formats. */

const UNLIMITED = new Set(["none", "unlimited"]);

export function parseTimeOption(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive duration`, `use e.g. ${flag} 90s, 30m, 2h or 1h30m`);
  return ms;
}

function parseTokensOption(flag: string, value: string): number {
  const n = Number(value.replaceAll("_", ""));
  if (!/^\d[\d_]*$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive whole number of tokens`, `use e.g. ${flag} 500000`);
  }
  return n;
}

function parseUsdOption(flag: string, value: string): number {
  const n = Number(value.replace(/^\$/, ""));
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a positive amount of USD`, `use e.g. ${flag} 5 or ${flag} 2.50`);
  }
  return n;
}

export function parseMaxAgents(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 64) {
    throw new UsageError(`--max-agents ${JSON.stringify(value)} must be a whole number from 1 to 64`, "use e.g. --max-agents 4");
  }
  return n;
}

/** Defaults when a flag is not given: budgets are hard, so none is unlimited unless asked ("none"). */
export const DEFAULT_LIMITS: BudgetLimits = { timeMs: 2 * 3_600_000, tokens: 2_000_000, usd: 10 };
export const DEFAULT_MAX_AGENTS = 4;

export function parseLimits(opts: { budgetTime?: string; budgetTokens?: string; budgetUsd?: string }): BudgetLimits {
  const pick = <T>(value: string | undefined, fallback: T | null, parse: (v: string) => T): T | null =>
    value === undefined ? fallback : UNLIMITED.has(value.trim().toLowerCase()) ? null : parse(value);
  return {
    timeMs: pick(opts.budgetTime, DEFAULT_LIMITS.timeMs, (v) => parseTimeOption("--budget-time", v)),
    tokens: pick(opts.budgetTokens, DEFAULT_LIMITS.tokens, (v) => parseTokensOption("--budget-tokens", v)),
    usd: pick(opts.budgetUsd, DEFAULT_LIMITS.usd, (v) => parseUsdOption("--budget-usd", v)),
  };
}

export function parseExtension(opts: { time?: string; tokens?: string; usd?: string }): BudgetExtension {
  const add: BudgetExtension = {
    ...(opts.time === undefined ? {} : { timeMs: parseTimeOption("--time", opts.time) }),
    ...(opts.tokens === undefined ? {} : { tokens: parseTokensOption("--tokens", opts.tokens) }),
    ...(opts.usd === undefined ? {} : { usd: parseUsdOption("--usd", opts.usd) }),
  };
  if (add.timeMs === undefined && add.tokens === undefined && add.usd === undefined) {
    throw new UsageError("budget-add needs an amount", "pass --time 30m, --tokens N or --usd X (any of them)");
  }
  return add;
}

export type ShowFormat = "text" | "json" | "md";

export function parseFormat(value: string): ShowFormat {
  if (value === "text" || value === "json" || value === "md") return value;
  throw new UsageError(`--format ${JSON.stringify(value)} is not a format`, "use --format text, json or md");
}
