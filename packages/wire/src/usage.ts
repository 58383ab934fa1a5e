import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { WireConfigError } from "./errors.js";
import { err, ok, type Result } from "@omk/core";
import { type ModelPrice, type PriceTable, PriceTableSchema, type Usage } from "./schemas/usage.js";

export const ZERO_USAGE: Usage = { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 };

/** A sum of counts, kept a safe integer (see `num`). */
const safe = (n: number): number => Math.min(n, Number.MAX_SAFE_INTEGER);

export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputUncached: safe(a.inputUncached + b.inputUncached),
    cacheRead: safe(a.cacheRead + b.cacheRead),
    cacheWrite: safe(a.cacheWrite + b.cacheWrite),
    output: safe(a.output + b.output),
  };
  if (a.reportedUsd !== undefined || b.reportedUsd !== undefined) sum.reportedUsd = (a.reportedUsd ?? 0) + (b.reportedUsd ?? 0);
  return sum;
}

export function totalTokens(usage: Usage): number {
  return usage.inputUncached + usage.cacheRead + usage.cacheWrite + usage.output;
}

/**
 * A token count as reported: a finite, non-negative number, rounded, and
 * clamped to Number.MAX_SAFE_INTEGER (a larger figure is no count the goal's
 * log can hold; clamped, it still exhausts any budget instead of being lost).
 */
const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.min(Math.round(value), Number.MAX_SAFE_INTEGER) : undefined;

/**
 * Reads one usage object in any of the shapes engines use and returns it
 * normalized, or undefined when it holds no token counts:
 * - ACP (`inputTokens`, `outputTokens`, `cachedReadTokens`, `cachedWriteTokens`, `thoughtTokens`, `totalTokens`):
 *   `totalTokens` tells whether cached tokens are inside `inputTokens` (then
 *   subtracted) or beside it, and whether thought tokens are inside
 *   `outputTokens` or to be added; without it, both are taken as beside;
 * - Anthropic (`input_tokens`, `output_tokens`, `cache_read_input_tokens`, `cache_creation_input_tokens`);
 * - OpenAI (`prompt_tokens` incl. `prompt_tokens_details.cached_tokens`, `completion_tokens`);
 * - Kimi (`inputOther`/`input_other`, `output`, `inputCacheRead`/`input_cache_read`, `inputCacheCreation`/`input_cache_creation`).
 */
export function normalizeUsage(raw: unknown): Usage | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  if (num(r["inputTokens"]) !== undefined || num(r["outputTokens"]) !== undefined) {
    const input = num(r["inputTokens"]) ?? 0;
    const output = num(r["outputTokens"]) ?? 0;
    const cacheRead = num(r["cachedReadTokens"]) ?? 0;
    const cacheWrite = num(r["cachedWriteTokens"]) ?? 0;
    const thought = num(r["thoughtTokens"]) ?? 0;
    const total = num(r["totalTokens"]);
    const cache = cacheRead + cacheWrite;
    // totalTokens tells how the parts were counted: cache inside inputTokens or
    // beside it (Qwen Code sends Gemini-style prompt counts that include cached
    // tokens; claude-agent-acp sends them beside), thoughts inside outputTokens
    // or beside them. Without a total: beside, beside.
    const layouts: Array<{ cacheInside: boolean; thoughtInside: boolean }> = [
      { cacheInside: false, thoughtInside: true },
      { cacheInside: false, thoughtInside: false },
      { cacheInside: true, thoughtInside: true },
      { cacheInside: true, thoughtInside: false },
    ];
    const sumOf = (l: { cacheInside: boolean; thoughtInside: boolean }) => input + output + (l.cacheInside ? 0 : cache) + (l.thoughtInside ? 0 : thought);
    const layout = (total === undefined ? undefined : layouts.find((l) => sumOf(l) === total)) ?? { cacheInside: false, thoughtInside: thought === 0 };
    return {
      inputUncached: layout.cacheInside ? Math.max(0, input - cache) : input,
      cacheRead,
      cacheWrite,
      output: safe(output + (layout.thoughtInside ? 0 : thought)),
    };
  }
  if (num(r["input_tokens"]) !== undefined || num(r["output_tokens"]) !== undefined) {
    return {
      inputUncached: num(r["input_tokens"]) ?? 0,
      cacheRead: num(r["cache_read_input_tokens"]) ?? 0,
      cacheWrite: num(r["cache_creation_input_tokens"]) ?? 0,
      output: num(r["output_tokens"]) ?? 0,
    };
  }
  if (num(r["prompt_tokens"]) !== undefined || num(r["completion_tokens"]) !== undefined) {
    const details = r["prompt_tokens_details"] as Record<string, unknown> | undefined;
    const cached = num(details?.["cached_tokens"]) ?? 0;
    const prompt = num(r["prompt_tokens"]) ?? 0;
    return { inputUncached: Math.max(0, prompt - cached), cacheRead: cached, cacheWrite: 0, output: num(r["completion_tokens"]) ?? 0 };
  }
  const other = num(r["inputOther"]) ?? num(r["input_other"]);
  if (other !== undefined || num(r["output"]) !== undefined) {
    return {
      inputUncached: other ?? 0,
      cacheRead: num(r["inputCacheRead"]) ?? num(r["input_cache_read"]) ?? 0,
      cacheWrite: num(r["inputCacheCreation"]) ?? num(r["input_cache_creation"]) ?? 0,
      output: num(r["output"]) ?? 0,
    };
  }
  return undefined;
}

/** The price of one engine's model: exact model, then the engine's `*`, then `*`'s model, then `*`/`*`. */
export function priceFor(table: PriceTable | undefined, engine: string, model: string | undefined): ModelPrice | undefined {
  if (table === undefined) return undefined;
  const byEngine = table.prices[engine];
  const any = table.prices["*"];
  return (model === undefined ? undefined : (byEngine?.[model] ?? any?.[model])) ?? byEngine?.["*"] ?? any?.["*"];
}

/** USD for some tokens at a price (USD per million tokens). */
export function costOf(usage: Usage, price: ModelPrice): number {
  const usd =
    (usage.inputUncached * price.inputUncached + usage.cacheRead * price.cacheRead + usage.cacheWrite * price.cacheWrite + usage.output * price.output) /
    1_000_000;
  return Math.round(usd * 1e9) / 1e9;
}

/** Later tables override earlier ones, model by model. */
export function mergePriceTables(...tables: ReadonlyArray<PriceTable | undefined>): PriceTable {
  const prices: PriceTable["prices"] = {};
  for (const table of tables) {
    if (table === undefined) continue;
    for (const [engine, models] of Object.entries(table.prices)) prices[engine] = { ...prices[engine], ...models };
  }
  return { version: 1, prices };
}

/** Reads a price table file (JSON or YAML). */
export function loadPriceTable(file: string): Result<PriceTable, WireConfigError> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    return err(new WireConfigError(`cannot read price table: ${(cause as Error).message}`, { file, cause }));
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    return err(new WireConfigError(`not valid YAML/JSON: ${(cause as Error).message}`, { file, cause }));
  }
  const parsed = PriceTableSchema.safeParse(data);
  if (!parsed.success) return err(new WireConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), { file }));
  return ok(parsed.data);
}

/**
 * Prices OMK knows without a config file. Only the scripted engine is priced
 * here (at a made-up, round rate, so tests and demos show a computed cost);
 * real engines' prices change too often to hard-code and come from the
 * user's price table file.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  version: 1,
  prices: { scripted: { "*": { inputUncached: 1, cacheRead: 0.1, cacheWrite: 1.25, output: 5 } } },
};
