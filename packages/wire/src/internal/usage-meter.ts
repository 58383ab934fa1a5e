import type { Cost, PriceTable, TurnUsage, Usage, UsageQuality } from "../schemas/usage.js";
import { addUsage, costOf, priceFor, ZERO_USAGE } from "../usage.js";

/**
 * A turn's usage as reports arrive: token deltas are summed, a turn total
 * (ACP prompt response) replaces them, a cumulative session cost (ACP
 * usage_update) is turned into this turn's share. Nothing reported stays
 * "unknown"; model calls known to be missing make it "partial".
 */
export class UsageMeter {
  private tokens: Usage | undefined;
  private totalFixed = false;
  private missing: string[] = [];
  private costAtStart: number | undefined;
  private costNow: number | undefined;
  /** The last cumulative session cost seen, carried into the next turn as its baseline. */
  private sessionCost: number | undefined;

  constructor(
    private readonly engine: string,
    private model: string | undefined,
    private readonly prices: PriceTable | undefined,
  ) {}

  setModel(model: string | undefined): void {
    this.model = model;
  }

  startTurn(): void {
    this.tokens = undefined;
    this.totalFixed = false;
    this.missing = [];
    this.costAtStart = this.sessionCost ?? 0;
    this.costNow = undefined;
  }

  /** Tokens of one LLM call (Kimi log, Wire StatusUpdate). Ignored once a turn total was given. */
  addDelta(delta: Usage): void {
    if (this.totalFixed) return;
    this.tokens = addUsage(this.tokens ?? ZERO_USAGE, delta);
  }

  /** The turn's total tokens (ACP prompt response `usage`); returns the part not yet counted. */
  setTotal(total: Usage): Usage {
    const before = this.tokens ?? ZERO_USAGE;
    this.tokens = { ...total, ...(this.tokens?.reportedUsd === undefined ? {} : { reportedUsd: this.tokens.reportedUsd }) };
    this.totalFixed = true;
    return {
      inputUncached: Math.max(0, total.inputUncached - before.inputUncached),
      cacheRead: Math.max(0, total.cacheRead - before.cacheRead),
      cacheWrite: Math.max(0, total.cacheWrite - before.cacheWrite),
      output: Math.max(0, total.output - before.output),
    };
  }

  /** A cumulative session cost in USD (ACP `usage_update.cost`). */
  setSessionCost(usd: number): void {
    this.sessionCost = usd;
    this.costNow = Math.max(0, usd - (this.costAtStart ?? 0));
  }

  /** A cost for this turn alone, reported by the engine. */
  addTurnCost(usd: number): void {
    this.costNow = (this.costNow ?? 0) + usd;
  }

  usage(): TurnUsage {
    if (this.tokens === undefined) return "unknown";
    return this.costNow === undefined ? this.tokens : { ...this.tokens, reportedUsd: round(this.costNow) };
  }

  /** Whether a turn total (prompt response) was given: later per-call reports are then not added. */
  get hasTotal(): boolean {
    return this.totalFixed;
  }

  /** Some model call of this turn is known to be unreported (the reason says which). */
  noteMissing(reason: string): void {
    if (!this.missing.includes(reason)) this.missing.push(reason);
  }

  /** Why the turn's usage is not exact (empty when it is). */
  missingReasons(): readonly string[] {
    return this.missing;
  }

  /** `unknown` when nothing was reported this turn; `partial` when some calls were and others are known to be missing; else `exact`. */
  quality(): UsageQuality {
    if (this.tokens === undefined) return "unknown";
    return this.missing.length > 0 ? "partial" : "exact";
  }

  cost(): Cost {
    if (this.costNow !== undefined) return { usd: round(this.costNow), source: "reported" };
    if (this.tokens === undefined) return "unknown";
    const price = priceFor(this.prices, this.engine, this.model);
    return price === undefined ? "unknown" : { usd: costOf(this.tokens, price), source: "price_table" };
  }
}

const round = (usd: number) => Math.round(usd * 1e9) / 1e9;
