/**
 * Fuzz (issue 14, standing test): whatever a script book holds, loading it
 * gives a book or a typed problem (`script_book_invalid`, one line, a fix),
 * never a throw; and a book that loads plays: the scenario each session gets
 * is written to scenario.json and reads back as a valid scenario. Inputs:
 * random books (real and odd session keys, steps of every kind with odd
 * values), a valid book mutated, YAML token soup, aliases and alias bombs,
 * deep nesting, and raw bytes from a file. The seed of a failure is printed
 * by fast-check; OMK_FUZZ_SEED replays it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, FUZZ_TIMEOUT_MS, fuzzParams, makeTempDir } from "@omk/test-fixtures";
import { ScenarioSchema } from "@omk/wire";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadScriptBook, parseScriptBook, type ScriptBook, scriptBookProviderOf } from "../src/script-book.js";
import type { SessionPurpose } from "../src/types.js";

afterAll(cleanupTempDirs);

const VALID = stringify({
  version: 1,
  sessions: {
    plan: {
      name: "plan",
      turns: [
        {
          expect: "acceptance-tests",
          steps: [{ thought: "two tasks" }, { usage: { inputUncached: 2400, output: 900 } }, { message: '```json\n{"summary": "x"}\n```' }],
        },
      ],
    },
    "task:*": {
      turns: [
        {
          steps: [{ write: { path: "src/a.js", content: "export const a = 1;\n" } }, { command: { command: "node", args: ["-e", "0"] } }, { message: "done" }],
        },
      ],
    },
    "task:fix#2": { turns: [{ steps: [{ permission: { title: "edit", paths: ["src/a.js"] } }, { sleep: 5 }], stop: "end_turn" }] },
    "review:reviewer": { turns: [{ steps: [{ message: '{"verdict": "approve", "findings": []}' }] }] },
    "review:*": { auth: "none", turns: [{ steps: [{ crash: { midLine: true, exitCode: 3 } }] }] },
  },
});

const KEYS = [
  "intake",
  "plan",
  "plan#2",
  "followups",
  "followups#3",
  "task:*",
  "task:implement",
  "task:implement#2",
  "review:*",
  "review:reviewer",
  "review:break-it#1",
  "review:security-reviewer",
];
const ODD_KEYS = [
  "tasks:implement",
  "task:",
  "task:#1",
  "plan#0",
  "review:other",
  "",
  "task:../../etc",
  "task:a b",
  "__proto__",
  "constructor",
  "plan\n",
  "🙂",
];

const oddScalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1, 0, 2 ** 53 + 1, "../../etc/passwd", "/etc/passwd", "{{cwd}}/x", "\u0000"),
);
const oddValue = fc.oneof(
  { weight: 4, arbitrary: oddScalar },
  { weight: 1, arbitrary: fc.array(oddScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), oddScalar, { maxKeys: 3 }) },
);

const STEP_KINDS = [
  "message",
  "thought",
  "plan",
  "write",
  "read",
  "command",
  "permission",
  "usage",
  "usage_update",
  "update",
  "sleep",
  "stderr",
  "raw",
  "hang",
  "crash",
  "garbage",
  "oversized",
  "unknownUpdate",
  "exit",
  "fail",
  "mesage",
];

/** A step: a real kind with a fitting value now and then, else odd values and extra keys. */
const step = fc.oneof(
  fc.record({ message: fc.string({ maxLength: 40 }) }),
  fc.record({ write: fc.record({ path: fc.string({ maxLength: 10 }), content: fc.string({ maxLength: 20 }) }) }),
  fc.record({ usage: fc.record({ inputUncached: fc.nat(), output: fc.nat() }) }),
  fc.record({ sleep: fc.oneof(fc.nat({ max: 10 }), fc.integer()) }),
  fc.dictionary(fc.constantFrom(...STEP_KINDS), oddValue, { minKeys: 1, maxKeys: 2 }),
);
const scenario = fc.record(
  {
    name: fc.string({ maxLength: 10 }),
    turns: fc.array(
      fc.record(
        { steps: fc.array(step, { maxLength: 4 }), stop: fc.constantFrom("end_turn", "cancelled", "max_tokens", "refusal", "bogus") },
        { requiredKeys: ["steps"] },
      ),
      { maxLength: 3 },
    ),
    startDelayMs: oddValue,
    auth: fc.constantFrom("none", "session_new", "prompt", "bogus"),
    models: oddValue,
  },
  { requiredKeys: ["turns"] },
);

/** A book: real and odd keys; the same scenario object under two keys becomes an anchor and an alias. */
const structured = fc
  .record({
    version: fc.oneof(fc.constant(1), oddScalar),
    sessions: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.constantFrom(...ODD_KEYS)), scenario, { maxKeys: 4 }),
    share: fc.boolean(),
  })
  .map(({ version, sessions, share }) => {
    const first = Object.values(sessions)[0];
    const shared = share && first !== undefined ? { ...sessions, "task:shared": first } : sessions;
    return stringify({ version, sessions: shared }, { aliasDuplicateObjects: true });
  });

const TOKENS = [
  "version: 1",
  "sessions:",
  "- ",
  "  ",
  "\n",
  "\n",
  ": ",
  "{",
  "}",
  "[",
  "]",
  "plan:",
  "task:*:",
  "turns:",
  "steps:",
  "message: hi",
  "&a ",
  "*a",
  "*b",
  "<<: *a",
  "!!binary ",
  "!!js/regexp ",
  "|",
  ">",
  "'",
  '"',
  "#",
  "---",
  "...",
  "1e999",
  ".nan",
  "~",
  "\t",
  "\r\n",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "🙂",
];
const fragment = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }));
const tokenSoup = fc.array(fragment, { maxLength: 50 }).map((parts) => parts.join(""));

const mutated = fc
  .array(fc.record({ at: fc.nat(), len: fc.nat({ max: 30 }), op: fc.constantFrom("insert", "delete", "repeat"), what: fragment }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((edits) => {
    let text = VALID;
    for (const { at, len, op, what } of edits) {
      const i = at % (text.length + 1);
      if (op === "insert") text = text.slice(0, i) + what + text.slice(i);
      else if (op === "delete") text = text.slice(0, i) + text.slice(i + len);
      else text = text.slice(0, i + len) + text.slice(i, i + len) + text.slice(i + len);
    }
    return text;
  });

const aliasBomb = fc.record({ depth: fc.integer({ min: 1, max: 10 }), width: fc.integer({ min: 2, max: 10 }) }).map(({ depth, width }) => {
  const lines = ['s0: &s0 {turns: [{steps: [{message: "lol"}]}]}'];
  for (let d = 1; d <= depth; d++) lines.push(`s${d}: &s${d} [${Array.from({ length: width }, () => `*s${d - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\nversion: 1\nsessions: {plan: *s${depth}}\n`;
});

const deep = fc
  .record({ depth: fc.integer({ min: 50, max: 3000 }), open: fc.constantFrom("[", "{a: ") })
  .map(({ depth, open }) => `version: 1\nsessions: ${open.repeat(depth)}\n`);

const anyBook = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 3, arbitrary: mutated },
  { weight: 2, arbitrary: tokenSoup },
  { weight: 1, arbitrary: aliasBomb },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
);

const PURPOSES: SessionPurpose[] = [
  { kind: "intake" },
  { kind: "plan", round: 1 },
  { kind: "followups", round: 2 },
  { kind: "task", taskId: "implement", attempt: 2, round: 1 },
  { kind: "review", reviewer: "reviewer", round: 1 },
  { kind: "review", reviewer: "break-it", round: 1 },
];

const runDir = () => makeTempDir("book-fuzz-run-");
let played = 0;

/** A loaded book plays: each purpose it offers writes a scenario.json that reads back as a scenario. */
function plays(book: ScriptBook): void {
  const provider = scriptBookProviderOf(book, "book.yaml");
  for (const purpose of PURPOSES) {
    if (!provider.offers(purpose)) continue;
    const dir = runDir();
    const spec = provider.specFor(purpose, dir);
    expect(spec.ok).toBe(true);
    ScenarioSchema.parse(JSON.parse(readFileSync(path.join(dir, "scenario.json"), "utf8")));
    played++;
  }
}

/** The property: a book or a typed one-line problem with a fix; never a throw. */
function check(text: string, playIt: boolean): void {
  const parsed = parseScriptBook(text, "book.yaml");
  if (parsed.ok) {
    if (playIt) plays(parsed.value);
    return;
  }
  expect(parsed.error.code).toBe("script_book_invalid");
  expect(parsed.error.message).not.toMatch(/[\r\n\u2028\u2029]/);
  expect(parsed.error.message.startsWith("book.yaml is not")).toBe(true);
  expect(parsed.error.fix).toMatch(/^fix /);
}

const DEEP_RUNS = 30;
const FILE_RUNS = 200;

describe("fuzz: script books", () => {
  it("a book or a typed one-line problem for any text; a book that loads plays", { timeout: FUZZ_TIMEOUT_MS }, () => {
    let n = 0;
    fc.assert(
      // Playing writes files: the first case that loads is played, then every 8th case (that loads).
      fc.property(anyBook, (text) => check(text, played === 0 || n++ % 8 === 0)),
      { ...fuzzParams("scriptBook"), numRuns: fuzzParams("scriptBook").numRuns - DEEP_RUNS - FILE_RUNS },
    );
  });

  it("refuses nesting thousands deep with a typed problem, never a stack overflow", { timeout: FUZZ_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(deep, (text) => check(text, false)),
      { ...fuzzParams("scriptBook"), numRuns: DEEP_RUNS },
    );
  });

  it("loads any bytes from a file the same way (non-UTF-8, NUL, BOM)", { timeout: FUZZ_TIMEOUT_MS }, () => {
    const file = path.join(makeTempDir("book-fuzz-"), "book.yaml");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          mutated.map((t) => Buffer.from(t)),
          fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.constant(VALID)).map(([b, t]) => Buffer.concat([b, Buffer.from(t)])),
        ),
        (bytes) => {
          writeFileSync(file, bytes);
          const loaded = loadScriptBook(file);
          if (!loaded.ok) {
            expect(loaded.error.code).toBe("script_book_invalid");
            expect(loaded.error.message).not.toMatch(/[\r\n]/);
          }
        },
      ),
      { ...fuzzParams("scriptBook"), numRuns: FILE_RUNS },
    );
  });

  it("the cases reached books that load and play (the fuzzer is not only writing garbage)", () => {
    expect(parseScriptBook(VALID).ok).toBe(true);
    expect(played).toBeGreaterThan(0);
  });
});
