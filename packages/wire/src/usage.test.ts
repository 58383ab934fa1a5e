import { writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { UsageMeter } from "./internal/usage-meter.js";
import { addUsage, costOf, loadPriceTable, mergePriceTables, normalizeUsage, priceFor } from "./usage.js";

afterAll(() => cleanupTempDirs());

describe("usage normalization", () => {
  it("clamps a huge count to a safe integer, so the store can record it (Qwen's _meta.usage of 1e17 tokens)", () => {
    const max = Number.MAX_SAFE_INTEGER;
    const huge = normalizeUsage({ inputTokens: 1e17, outputTokens: 1e17, thoughtTokens: 1e17 });
    expect(huge).toEqual({ inputUncached: max, cacheRead: 0, cacheWrite: 0, output: max });
    expect(normalizeUsage({ prompt_tokens: 1e300, completion_tokens: 3 })).toEqual({ inputUncached: max, cacheRead: 0, cacheWrite: 0, output: 3 });
    const sum = addUsage(huge ?? { inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 }, { inputUncached: 10, cacheRead: 0, cacheWrite: 0, output: 10 });
    expect(Number.isSafeInteger(sum.inputUncached) && Number.isSafeInteger(sum.output)).toBe(true);
  });
  it("reads ACP, Anthropic, OpenAI and Kimi shapes", () => {
    expect(normalizeUsage({ inputTokens: 10, outputTokens: 5, cachedReadTokens: 3, cachedWriteTokens: 2, totalTokens: 20 })).toEqual({
      inputUncached: 10,
      cacheRead: 3,
      cacheWrite: 2,
      output: 5,
    });
    // thought tokens counted separately in the total are output
    expect(normalizeUsage({ inputTokens: 10, outputTokens: 5, thoughtTokens: 4, totalTokens: 19 })).toEqual({
      inputUncached: 10,
      cacheRead: 0,
      cacheWrite: 0,
      output: 9,
    });
    // Qwen Code's `_meta.usage` (OpenAI provider): prompt tokens include the cached ones, completion includes reasoning
    expect(normalizeUsage({ inputTokens: 1000, outputTokens: 20, totalTokens: 1020, thoughtTokens: 5, cachedReadTokens: 300 })).toEqual({
      inputUncached: 700,
      cacheRead: 300,
      cacheWrite: 0,
      output: 20,
    });
    expect(normalizeUsage({ inputTokens: 1000, outputTokens: 20, totalTokens: 1020, cachedReadTokens: 0 })).toEqual({
      inputUncached: 1000,
      cacheRead: 0,
      cacheWrite: 0,
      output: 20,
    });
    // Gemini-style counts: cached inside the prompt, thoughts beside the candidates
    expect(normalizeUsage({ inputTokens: 1000, outputTokens: 20, thoughtTokens: 7, totalTokens: 1027, cachedReadTokens: 300 })).toEqual({
      inputUncached: 700,
      cacheRead: 300,
      cacheWrite: 0,
      output: 27,
    });
    expect(normalizeUsage({ input_tokens: 7, output_tokens: 1, cache_read_input_tokens: 100, cache_creation_input_tokens: 9 })).toEqual({
      inputUncached: 7,
      cacheRead: 100,
      cacheWrite: 9,
      output: 1,
    });
    expect(normalizeUsage({ prompt_tokens: 50, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 20 } })).toEqual({
      inputUncached: 30,
      cacheRead: 20,
      cacheWrite: 0,
      output: 5,
    });
    expect(normalizeUsage({ inputOther: 1, output: 2, inputCacheRead: 3, inputCacheCreation: 4 })).toEqual({
      inputUncached: 1,
      cacheRead: 3,
      cacheWrite: 4,
      output: 2,
    });
    expect(normalizeUsage({ input_other: 1, output: 2, input_cache_read: 3, input_cache_creation: 4 })).toEqual({
      inputUncached: 1,
      cacheRead: 3,
      cacheWrite: 4,
      output: 2,
    });
    expect(normalizeUsage({ something: 1 })).toBeUndefined();
    expect(normalizeUsage(null)).toBeUndefined();
  });

  it("a meter with no report says unknown, never zero", () => {
    const meter = new UsageMeter("gemini", "m", undefined);
    meter.startTurn();
    expect(meter.usage()).toBe("unknown");
    expect(meter.cost()).toBe("unknown");
  });

  it("a cumulative session cost becomes each turn's share", () => {
    const meter = new UsageMeter("claude", undefined, undefined);
    meter.startTurn();
    meter.setSessionCost(0.25);
    expect(meter.cost()).toEqual({ usd: 0.25, source: "reported" });
    meter.startTurn();
    meter.setSessionCost(0.4);
    expect(meter.cost()).toEqual({ usd: 0.15, source: "reported" });
  });

  it("prices tokens from a table file, overridable per model", () => {
    const dir = makeTempDir();
    const file = path.join(dir, "prices.yaml");
    writeFileSync(
      file,
      "prices:\n  kimi:\n    '*': {inputUncached: 0.6, cacheRead: 0.15, cacheWrite: 0.6, output: 2.5}\n    kimi-k2-turbo: {inputUncached: 2.4, cacheRead: 0.6, cacheWrite: 2.4, output: 10}\n",
    );
    const table = loadPriceTable(file);
    if (!table.ok) throw table.error;
    const usage = { inputUncached: 1_000_000, cacheRead: 1_000_000, cacheWrite: 0, output: 1_000_000 };
    expect(costOf(usage, priceFor(table.value, "kimi", "other") as never)).toBeCloseTo(3.25);
    expect(costOf(usage, priceFor(table.value, "kimi", "kimi-k2-turbo") as never)).toBeCloseTo(13);
    const merged = mergePriceTables(table.value, { version: 1, prices: { kimi: { "*": { inputUncached: 1, cacheRead: 1, cacheWrite: 1, output: 1 } } } });
    expect(costOf(usage, priceFor(merged, "kimi", "other") as never)).toBeCloseTo(3);
    expect(priceFor(table.value, "gemini", undefined)).toBeUndefined();
    writeFileSync(file, "prices: {kimi: {'*': {inputUncached: -1}}}\n");
    const bad = loadPriceTable(file);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe("OMK_WIRE_CONFIG");
  });
});
