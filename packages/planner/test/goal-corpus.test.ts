/**
 * The goal-wording corpus (test/goal-corpus.yaml): every goal through
 * `intake`, its class or block compared with the expected one. At least 95 %
 * must be right, in each part; every miss is printed with what intake said.
 */
import { readFileSync } from "node:fs";
import { GOAL_CLASSES } from "@omk/state";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { EMPTY_INSPECTION, intake } from "../src/index.js";
import { TS_REPO } from "./fixtures.js";

const EntrySchema = z.object({ goal: z.string(), expect: z.enum([...GOAL_CLASSES, "block"]), repo: z.literal("empty").optional() }).strict();
const CorpusSchema = z.object({ tuning: z.array(EntrySchema), second_round: z.array(EntrySchema), held_out: z.array(EntrySchema) }).strict();
const corpus = CorpusSchema.parse(parse(readFileSync(new URL("./goal-corpus.yaml", import.meta.url), "utf8")));

type Entry = z.infer<typeof EntrySchema>;

function judge(entry: Entry): { got: string; detail: string } {
  const result = intake({ text: entry.goal, inspection: entry.repo === "empty" ? EMPTY_INSPECTION : TS_REPO });
  if (result.status === "classified") {
    const got = result.goalClass === "mixed" ? "mixed" : result.goalClass;
    return { got, detail: `${result.classes.join("+")} from ${result.signals.filter((s) => s.class !== null).map((s) => `"${s.match}"`).join(", ")}` };
  }
  return { got: "block", detail: result.reasons.map((r) => r.message).join("; ") };
}

function score(name: string, entries: readonly Entry[]): { right: number; misses: string[] } {
  const misses: string[] = [];
  for (const entry of entries) {
    const { got, detail } = judge(entry);
    if (got !== entry.expect) misses.push(`[${name}] expected ${entry.expect}, got ${got}: "${entry.goal}" (${detail})`);
  }
  return { right: entries.length - misses.length, misses };
}

describe("goal-wording corpus", () => {
  it("covers every goal class and blocked goals, with at least 80 goals", () => {
    const all = [...corpus.tuning, ...corpus.second_round, ...corpus.held_out];
    expect(all.length).toBeGreaterThanOrEqual(80);
    for (const c of [...GOAL_CLASSES, "block"]) expect(all.some((e) => e.expect === c), c).toBe(true);
  });

  for (const [name, entries] of [
    ["tuning", corpus.tuning],
    ["second_round", corpus.second_round],
    ["held_out", corpus.held_out],
  ] as const) {
    it(`classifies at least 95 % of the ${name} goals right (every miss printed)`, () => {
      const { right, misses } = score(name, entries);
      const pct = (100 * right) / entries.length;
      process.stdout.write(`goal corpus ${name}: ${right}/${entries.length} right (${pct.toFixed(1)} %)\n${misses.map((m) => `  miss ${m}\n`).join("")}`);
      expect(pct, misses.join("\n")).toBeGreaterThanOrEqual(95);
    });
  }
});
