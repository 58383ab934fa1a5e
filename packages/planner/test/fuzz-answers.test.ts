/**
 * Fuzz (issue 14, standing test): whatever a model answers — narration
 * around JSON, fences that never close, stray quotes and braces, JSON that
 * is almost right, plans whose tasks do not fit together, megabytes of
 * text — the answer gives a value or a typed problem, never a throw:
 *   - extractAnswer / parseAnswer: a Result whose problem is one line;
 *   - the engine planner: a plan that passes PlanSchema (so it can be
 *     recorded) or `engine_answers_rejected` with every attempt's errors;
 *   - engine-assisted intake: a decision that passes IntakeDecisionSchema
 *     (the controller records it as `intake_decided`; one that failed the
 *     schema would stop the run with an internal error).
 * The seed of a failure is printed by fast-check; OMK_FUZZ_SEED replays it.
 */
import { IntakeDecisionSchema } from "@omk/state";
import { FUZZ_TIMEOUT_MS, fuzzParams } from "@omk/test-fixtures";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ClassifiedIntake,
  createEnginePlanner,
  decideIntake,
  EnginePlanAnswerSchema,
  extractAnswer,
  intake,
  MAX_ANSWER_CHARS,
  PlanSchema,
  parseAnswer,
  type SessionAnswer,
} from "../src/index.js";
import { GATES, oracleFor, TS_REPO } from "./fixtures.js";

const BUDGET = { timeMs: 600_000, tokens: 200_000, usd: 1 };
const goal = intake({ text: "Fix the crash when `omk report` reads an empty file", inspection: TS_REPO }) as ClassifiedIntake;
const oracle = oracleFor(["bugfix"]);
const input = { intake: goal, inspection: TS_REPO, gates: GATES, oracle };
const CRITERIA = oracle.criteria.map((c) => c.id);

const task = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  title: id,
  description: `do ${id}`,
  role: "implementer",
  dependencies: [],
  reads: ["."],
  writes: [],
  acceptance: [],
  budget: BUDGET,
  ...over,
});
const VALID_PLAN = {
  summary: "Reproduce the crash with a test, then fix the reader.",
  approach: ["write the test", "fix", "review"],
  risks: ["empty vs missing file"],
  decisions: [{ decision: "test first", rationale: "red before green" }],
  tasks: [
    task("regression", { role: "tester", writes: ["test/report.test.ts"], acceptance: ["regression-test"] }),
    task("fix", { dependencies: ["regression"], writes: ["src/report.ts"], acceptance: ["regression-test", "gate-unit", "gate-lint"] }),
    task("review", { role: "reviewer", dependencies: ["fix"], acceptance: ["review"] }),
  ],
};
const VALID_JSON = JSON.stringify(VALID_PLAN, null, 2);

/** What models say around their JSON, and the pieces that trip a scanner. */
const PROSE = [
  "Let me look at the code first.",
  "Sure! Here is my plan:",
  "I read src/report.ts and test/.",
  "Done.",
  'The fix is in `readReport()` — it does `JSON.parse("")`.',
  "```json\n",
  "```\n",
  "```ts\nconst a = { b: 1 };\n```\n",
  "~~~\n",
  "````json\n",
  "{",
  "}",
  "{mostly}",
  '{name"}',
  '"',
  "'",
  "\\",
  "[",
  "]",
  "\n",
  "\n\n",
  "  ",
  '{"status": "classified"}',
  '{"summary": "x", "approach": [], "tasks": []}',
  "null",
  "[1, 2]",
  '"just a string"',
  "\u0000",
  "\uFEFF",
  "\uD800",
  "🙂",
  "\u2028",
];

const jsonish = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.constant(VALID_JSON),
  fc.constant(JSON.stringify({ status: "classified", classes: ["feature"], reason: "new behaviour", acceptance: ["a test shows it"] })),
  fc.constant(JSON.stringify({ status: "needs_human", question: "Which file?", reason: "the goal names none" })),
);

/** A valid plan, cut, with a piece inserted or a brace dropped. */
const almost = fc.record({ at: fc.nat(), cut: fc.nat({ max: 20 }), piece: fc.constantFrom(...PROSE) }).map(({ at, cut, piece }) => {
  const i = at % (VALID_JSON.length + 1);
  return VALID_JSON.slice(0, i) + piece + VALID_JSON.slice(i + cut);
});

/** A plan of random tasks: ids, dependencies and acceptance that may or may not fit (cycles, unknowns, duplicates, conflicts). */
const ID = fc.constantFrom("a", "b", "c", "fix", "review", "../x", "", "A B", "a".repeat(200));
const randomPlan = fc
  .record({
    summary: fc.oneof(fc.string({ maxLength: 20 }), fc.constant("")),
    approach: fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
    tasks: fc.array(
      fc.record(
        {
          id: ID,
          title: fc.string({ maxLength: 10 }),
          description: fc.string({ maxLength: 20 }),
          role: fc.constantFrom("implementer", "tester", "reviewer", "docs", "boss"),
          dependencies: fc.array(ID, { maxLength: 3 }),
          reads: fc.array(fc.constantFrom(".", "src/", "/etc/passwd", "../..", "**"), { maxLength: 2 }),
          writes: fc.array(fc.constantFrom("src/report.ts", "src/", "test/a.ts", "/tmp/x", "../../x", ".git/hooks/post-checkout"), { maxLength: 2 }),
          acceptance: fc.array(fc.oneof(fc.constantFrom(...CRITERIA), fc.string({ maxLength: 6 })), { maxLength: 3 }),
          budget: fc.oneof(fc.constant(BUDGET), fc.record({ timeMs: fc.integer(), tokens: fc.integer(), usd: fc.double() })),
        },
        { requiredKeys: ["id", "title", "description", "role", "dependencies", "acceptance"] },
      ),
      { maxLength: 8 },
    ),
  })
  .map((plan) => JSON.stringify(plan));

/** A rambling answer: prose, JSON and pieces in any order. */
const rambling = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...PROSE) },
      { weight: 1, arbitrary: jsonish },
      { weight: 1, arbitrary: almost },
      { weight: 1, arbitrary: randomPlan },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(""));

/** Sometimes a fenced answer, sometimes the turn's text with a final message after its last tool call. */
const answer: fc.Arbitrary<string | SessionAnswer> = fc.oneof(
  rambling,
  fc.tuple(rambling, fc.oneof(jsonish, randomPlan)).map(([before, json]) => `${before}\n\`\`\`json\n${json}\n\`\`\`\n`),
  fc.record({ text: rambling, final: fc.oneof(rambling, fc.constantFrom("Done.", "", "```json\n{")) }),
);

function oneLine(message: string): void {
  expect(message).not.toMatch(/[\r\n\u2028\u2029]/);
}

const BIG_RUNS = 12;
const PLANNER_RUNS = 600;
const INTAKE_RUNS = 600;

/** Readings the engine is asked about: no signal (blocked), weak signals, and a strong mixed reading. */
const READINGS = [
  "slugify(text) in src/slugify.js: text in, URL slug out",
  "Implement OAuth login for the dashboard",
  "Fix the crash in the parser and document the new flag in the README",
].map((text) => intake({ text, inspection: TS_REPO }));

describe("fuzz: model answers", () => {
  it("extractAnswer and parseAnswer give a value or a one-line problem for any answer, never a throw", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(answer, (a) => {
        const json = extractAnswer(a);
        if (!json.ok) {
          expect(["no_json", "syntax", "too_large"]).toContain(json.error.kind);
          oneLine(json.error.message);
        }
        const parsed = parseAnswer(a, EnginePlanAnswerSchema);
        if (!parsed.ok) {
          expect(parsed.error.length).toBeGreaterThan(0);
          for (const issue of parsed.error) oneLine(issue);
        }
      }),
      { ...fuzzParams("planAnswers"), numRuns: fuzzParams("planAnswers").numRuns - PLANNER_RUNS - INTAKE_RUNS - BIG_RUNS },
    );
  });

  it("the engine planner gives a plan that can be recorded, or a typed rejection with every attempt's errors", { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 3 }), async (answers) => {
        const planner = createEnginePlanner({
          askPlan: async (_prompt, { attempt }) => answers[(attempt - 1) % answers.length] as string | SessionAnswer,
          maxAttempts: answers.length,
        });
        const result = await planner.plan(input);
        if (result.ok) {
          PlanSchema.parse(result.value.plan);
          return;
        }
        const rejected = result.error;
        if (rejected.code !== "engine_answers_rejected") throw new Error(`unexpected ${rejected.code}: ${rejected.message}`);
        oneLine(rejected.message);
        expect(rejected.attempts).toHaveLength(answers.length);
        for (const attempt of rejected.attempts) {
          expect(attempt.errors.length).toBeGreaterThan(0);
          for (const e of attempt.errors) oneLine(e);
        }
      }),
      { ...fuzzParams("planAnswers"), numRuns: PLANNER_RUNS },
    );
  });

  it("engine-assisted intake decides something recordable from any answer", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...READINGS), answer, fc.boolean(), (reading, a, failed) => {
        const decision = decideIntake(
          reading,
          "the keyword reading is unsure",
          failed ? { ok: false, error: typeof a === "string" ? a : a.text } : { ok: true, answer: a },
        );
        IntakeDecisionSchema.parse(decision);
      }),
      { ...fuzzParams("planAnswers"), numRuns: INTAKE_RUNS },
    );
  });

  it("a huge answer (up to past MAX_ANSWER_CHARS, or full of braces that never close) is a typed problem or a value, never a hang or a throw", {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(
        fc.record({
          size: fc.integer({ min: 1000, max: MAX_ANSWER_CHARS + 10 }),
          piece: fc.constantFrom("{", '{"', "```json\n", "x", '"', "{a: "),
          json: fc.boolean(),
        }),
        ({ size, piece, json }) => {
          const filler = piece.repeat(Math.ceil(size / piece.length)).slice(0, size);
          const a = json ? `${filler}\n\`\`\`json\n${VALID_JSON}\n\`\`\`` : filler;
          const r = extractAnswer(a);
          if (!r.ok) oneLine(r.error.message);
        },
      ),
      { ...fuzzParams("planAnswers"), numRuns: BIG_RUNS },
    );
  });
});
