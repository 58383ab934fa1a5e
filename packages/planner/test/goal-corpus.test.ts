/**
 * The goal-wording corpus (test/goal-corpus.yaml): every goal through
 * `intake`, its class or block compared with the expected one; every miss
 * is printed with what intake said. The parts tuned against (tuning,
 * second_round, third_round, fourth_round, fifth_round) must together be at least 95 %
 * right, and each part too. The `fresh` part was written before the
 * fourth-round rules and is never tuned against: it measures how the
 * reading generalises to unseen wording. Its score is printed and must stay
 * at or above what was measured after the fifth round (27/40), so
 * a change that makes unseen wording worse fails. Unsure goals (blocked
 * with no class signal, or weakly classified, or mixed) are the ones the
 * engine is asked about when one is configured (engine-intake.ts); the
 * count is printed.
 */
import { readFileSync } from "node:fs";
import { GOAL_CLASSES } from "@omk/state";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { EMPTY_INSPECTION, intake, intakeDoubt } from "../src/index.js";
import { TS_REPO } from "./fixtures.js";

const EntrySchema = z.object({ goal: z.string(), expect: z.enum([...GOAL_CLASSES, "block"]), repo: z.literal("empty").optional() }).strict();
const PARTS = ["tuning", "second_round", "third_round", "fourth_round", "fifth_round", "fresh"] as const;
const CorpusSchema = z
  .object(Object.fromEntries(PARTS.map((p) => [p, z.array(EntrySchema)])) as Record<(typeof PARTS)[number], z.ZodArray<typeof EntrySchema>>)
  .strict();
const corpus = CorpusSchema.parse(parse(readFileSync(new URL("./goal-corpus.yaml", import.meta.url), "utf8")));

type Entry = z.infer<typeof EntrySchema>;

function judge(entry: Entry): { got: string; detail: string; unsure: boolean } {
  const result = intake({ text: entry.goal, inspection: entry.repo === "empty" ? EMPTY_INSPECTION : TS_REPO });
  const unsure = intakeDoubt(result) !== undefined;
  if (result.status === "classified") {
    const got = result.goalClass === "mixed" ? "mixed" : result.goalClass;
    return {
      got,
      unsure,
      detail: `${result.classes.join("+")} from ${result.signals
        .filter((s) => s.class !== null)
        .map((s) => `"${s.match}"`)
        .join(", ")}`,
    };
  }
  return { got: "block", unsure, detail: result.reasons.map((r) => r.message).join("; ") };
}

function score(name: string, entries: readonly Entry[]): { right: number; misses: string[]; unsure: number; unsureMisses: number } {
  const misses: string[] = [];
  let unsure = 0;
  let unsureMisses = 0;
  for (const entry of entries) {
    const judged = judge(entry);
    if (judged.unsure) unsure++;
    if (judged.got !== entry.expect) {
      if (judged.unsure) unsureMisses++;
      misses.push(
        `[${name}] expected ${entry.expect}, got ${judged.got}${judged.unsure ? " (unsure: the engine would be asked)" : ""}: "${entry.goal}" (${judged.detail})`,
      );
    }
  }
  return { right: entries.length - misses.length, misses, unsure, unsureMisses };
}

function report(name: string, entries: readonly Entry[]): number {
  const { right, misses, unsure, unsureMisses } = score(name, entries);
  const pct = (100 * right) / entries.length;
  process.stdout.write(
    `goal corpus ${name}: ${right}/${entries.length} right (${pct.toFixed(1)} %); ${unsure} unsure (engine asked), ${unsureMisses} of the ${misses.length} misses among them\n${misses.map((m) => `  miss ${m}\n`).join("")}`,
  );
  return right;
}

const TUNED = ["tuning", "second_round", "third_round", "fourth_round", "fifth_round"] as const;
/** The never-tuned part's score after the fifth round (docs/decisions/planner.md, choice 14): a floor. */
const FRESH_FLOOR = 27;

describe("goal-wording corpus", () => {
  it("covers every goal class and blocked goals, with at least 80 goals", () => {
    const all = PARTS.flatMap((p) => corpus[p]);
    expect(all.length).toBeGreaterThanOrEqual(80);
    expect(corpus.fresh.length).toBeGreaterThanOrEqual(30);
    for (const c of [...GOAL_CLASSES, "block"])
      expect(
        all.some((e) => e.expect === c),
        c,
      ).toBe(true);
  });

  for (const name of TUNED) {
    it(`classifies at least 95 % of the ${name} goals right (every miss printed)`, () => {
      const right = report(name, corpus[name]);
      expect((100 * right) / corpus[name].length).toBeGreaterThanOrEqual(95);
    });
  }

  it("classifies at least 95 % of all the goals outside the never-tuned part right", () => {
    const tuned = TUNED.flatMap((p) => corpus[p]);
    const { right, misses } = score("tuned", tuned);
    process.stdout.write(`goal corpus, all tuned parts: ${right}/${tuned.length} right (${((100 * right) / tuned.length).toFixed(1)} %)\n`);
    expect((100 * right) / tuned.length, misses.join("\n")).toBeGreaterThanOrEqual(95);
  });

  it(`classifies at least ${FRESH_FLOOR} of the never-tuned (fresh) goals right, its measurement (every miss printed)`, () => {
    const right = report("fresh", corpus.fresh);
    expect(right).toBeGreaterThanOrEqual(FRESH_FLOOR);
  });

  it("reports how right the sure readings (the engine is not asked) are, and holds them to 95 % on the tuned parts", () => {
    const judged = (parts: readonly (typeof PARTS)[number][]) =>
      parts
        .flatMap((p) => corpus[p])
        .map((e) => ({ e, j: judge(e) }))
        .filter(({ j }) => !j.unsure);
    const line = (label: string, sure: ReturnType<typeof judged>) => {
      const wrong = sure.filter(({ e, j }) => j.got !== e.expect).map(({ e, j }) => `expected ${e.expect}, got ${j.got}: "${e.goal}" (${j.detail})`);
      process.stdout.write(
        `goal corpus, sure readings (${label}): ${sure.length - wrong.length}/${sure.length} right\n${wrong.map((w) => `  sure but wrong: ${w}\n`).join("")}`,
      );
      return { pct: (100 * (sure.length - wrong.length)) / Math.max(1, sure.length), wrong };
    };
    const tuned = line("tuned parts", judged(TUNED));
    line("fresh", judged(["fresh"]));
    expect(tuned.pct, tuned.wrong.join("\n")).toBeGreaterThanOrEqual(95);
  });
});
