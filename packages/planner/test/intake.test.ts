import type { GoalClass } from "@omk/state";
import { describe, expect, it } from "vitest";
import { EMPTY_INSPECTION, type Intake, intake } from "../src/index.js";
import { TS_REPO } from "./fixtures.js";

function classified(result: Intake) {
  if (result.status !== "classified") throw new Error(`blocked: ${result.questions.join(" | ")}`);
  return result;
}

describe("intake: fixture goals per class", () => {
  const table: Array<[Exclude<GoalClass, "mixed">, string]> = [
    ["feature", "Add a --json flag to the report command"],
    ["feature", "Users can export reports as CSV from the dashboard"],
    ["feature", "Implement pagination for the /api/items endpoint"],
    ["feature", "Support a new output format: YAML for `omk goal show`"],
    ["bugfix", "Fix the crash when `omk report` reads an empty file"],
    ["bugfix", "parseDate returns the wrong month for dates in December"],
    ["bugfix", "The CLI hangs when stdin is closed; it should exit with code 2"],
    ["bugfix", "Login fails with a 500 error when the email has uppercase letters"],
    ["greenfield", "Create a new CLI tool from scratch that converts CSV files to JSON"],
    ["greenfield", "Scaffold a TypeScript library for parsing semver ranges"],
    ["rewrite", "Port the CLI from Python to TypeScript"],
    ["rewrite", "Migrate the test suite from Jest to Vitest"],
    ["rewrite", "Rewrite the config loader in Rust"],
    ["rewrite", "Upgrade React to 18 in the web app"],
    ["refactor", "Refactor the store module into smaller files without changing behaviour"],
    ["refactor", "Extract the retry logic of http.ts into its own module and simplify it"],
    ["refactor", "Add unit tests for the parser"],
    ["hardening", "Sanitize user input in the search endpoint to prevent SQL injection"],
    ["hardening", "Fix CVE-2024-1234 in the upload handler"],
    ["hardening", "Harden the file server against path traversal"],
    ["performance", "Speed up test discovery by 30%"],
    ["performance", "Reduce the startup time of `omk status` below 200 ms"],
    ["performance", "Optimize the JSON parser; it is slow on large files"],
    ["docs", "Document the --json flag in docs/cli.md"],
    ["docs", "Fix typo in README"],
    ["docs", "Write a tutorial for writing custom gates"],
  ];

  it.each(table)("%s: %s", (expected, text) => {
    const r = classified(intake({ text, inspection: TS_REPO }));
    expect(r.goalClass).toBe(expected);
    expect(r.classes).toEqual([expected]);
    expect(r.signals.some((s) => s.class === expected && s.source === "text")).toBe(true);
  });

  it("records the signals that led to the class, with their source and weight", () => {
    const r = classified(intake({ text: "Fix the crash when `omk report` reads an empty file" }));
    expect(r.signals).toEqual([
      { class: "bugfix", source: "text", match: "fix", weight: 1 },
      { class: "bugfix", source: "text", match: "crash", weight: 2 },
    ]);
    expect(r.objects).toEqual(expect.arrayContaining(["`omk report`", "empty", "file"]));
    expect(r.strength).toBe("strong");
  });

  it("normalizes the text (NFC, whitespace) before classifying", () => {
    const r = classified(intake({ text: "  Add a\t--json   flag\nto `report`  " }));
    expect(r.normalizedText).toBe("Add a --json flag to `report`");
    expect(r.text).toBe("  Add a\t--json   flag\nto `report`  ");
  });

  it("classifies a goal with strong signals of several classes as mixed", () => {
    const a = classified(intake({ text: "Refactor the parser and make it 2x faster" }));
    expect([a.goalClass, a.classes]).toEqual(["mixed", ["refactor", "performance"]]);
    const b = classified(intake({ text: "Fix the crash in the importer and document the new --strict flag in docs/import.md" }));
    expect([b.goalClass, b.classes]).toEqual(["mixed", ["bugfix", "docs"]]);
  });

  it("takes a single weak signal when nothing stronger speaks, and says so", () => {
    const r = classified(intake({ text: "Implement OAuth login for the dashboard" }));
    expect([r.goalClass, r.strength]).toEqual(["feature", "weak"]);
  });

  it("uses repository facts: an empty repository is a greenfield signal", () => {
    const r = classified(intake({ text: "A CLI that converts CSV files to JSON", inspection: EMPTY_INSPECTION }));
    expect(r.goalClass).toBe("greenfield");
    expect(r.signals).toContainEqual({ class: "greenfield", source: "repository", match: "the repository has no source file", weight: 2 });
  });

  it("records constraints from the goal and the spec", () => {
    const r = classified(intake({ text: "Add retry support to the HTTP client without new dependencies", constraints: ["keep the public API stable"] }));
    expect(r.constraints).toEqual(["keep the public API stable", "without new dependencies"]);
  });
});

describe("intake: phrase classes (fourth round) and what they must not catch", () => {
  const table: Array<[Exclude<GoalClass, "mixed">, "strong" | "weak", string]> = [
    // Each class's phrasal verbs and synonyms.
    ["rewrite", "strong", "upgrade to react 19"],
    ["rewrite", "strong", "drop request in favour of undici"],
    ["refactor", "strong", "split the payment code out of checkout.ts"],
    ["feature", "strong", "let users pick a theme"],
    ["performance", "strong", "reduce the bundle size below 200kb"],
    ["hardening", "strong", "the webhook signature is never verified"],
    ["bugfix", "strong", "the worker leaks memory since the last release"],
    ["greenfield", "strong", "start a fresh vite project for the landing page"],
    ["docs", "strong", "add a FAQ section to the website"],
    // An expected behaviour with no other word: a bug in what exists, weakly (the engine is asked when configured).
    ["bugfix", "weak", "the --json flag should print [] when there are no results"],
    // Not caught: "switch to the next tab" is not a migration; "turns text into a URL slug" is not a refactor; "no longer exists" is not a regression.
    ["feature", "weak", "add a shortcut to switch to the next tab"],
    ["feature", "weak", "Add a slugify(text) helper to textkit that turns text into a URL slug"],
    ["docs", "strong", "the README mentions a flag that no longer exists; update it"],
  ];
  it.each(table)("%s (%s): %s", (expected, strength, text) => {
    const result = classified(intake({ text, inspection: TS_REPO }));
    expect(result.classes).toEqual([expected]);
    expect(result.strength).toBe(strength);
  });
});

describe("intake: ambiguous goals are blocked with questions, never guessed", () => {
  const table: Array<[string, string, Partial<Parameters<typeof intake>[0]>, RegExp[]]> = [
    ["empty", "   ", {}, [/What should this goal achieve/]],
    ["vague wording", "Make it better", {}, [/What exactly should be different/, /What kind of change is this/]],
    ["vague wording", "improve the code", {}, [/What exactly should be different/]],
    ["vague wording", "Make it faster", {}, [/What exactly should be different/, /Which operation should be faster, by how much/]],
    ["no object", "Fix the crash", {}, [/What input or command reproduces the bug/]],
    ["no object", "Refactor everything", {}, [/Which modules or files should the refactor cover/]],
    ["no signal", "The report command with JSON output", {}, [/What kind of change is this/]],
    [
      "no deps + add a library",
      "Add retry support to the HTTP client with no new dependencies, using the axios-retry library",
      {},
      [/forbids new dependencies .* asks for one .*axios-retry/],
    ],
    [
      "no deps (constraint) + add a library",
      "Add a date picker to the form and install the react-datepicker package",
      { constraints: ["no new dependencies"] },
      [/may a dependency be added/],
    ],
    [
      "fast + don't change code",
      "Make the importer faster but don't change any code",
      {},
      [/performance change but says "don't change any code": which files may change/],
    ],
    ["bugfix + no tests", "Fix the login bug in auth.ts but do not add tests", {}, [/proven by a new test .* may a test be added/]],
    [
      "bugfix + no behaviour change",
      "Fix the wrong totals in report.ts without changing behaviour",
      {},
      [/changes behaviour, but the goal says "without changing behaviour"/],
    ],
    [
      "breaking + no breaking changes",
      "Drop the --legacy flag with no breaking changes",
      {},
      [/breaks existing users, but the goal says "no breaking changes"/],
    ],
    [
      "code goal on an empty repository",
      "Fix the crash in parser.ts when the input is empty",
      { inspection: { ...EMPTY_INSPECTION, files: 1, docsFolders: ["README.md"] } },
      [/no source code: is this the right repository/],
    ],
  ];

  it.each(table)("%s: %s", (_why, text, extra, questions) => {
    const r = intake({ text, ...extra });
    expect(r.status).toBe("blocked_on_human");
    if (r.status !== "blocked_on_human") return;
    expect(r.questions.length).toBeGreaterThan(0);
    for (const q of questions)
      expect(
        r.questions.some((question) => q.test(question)),
        `${q} in ${JSON.stringify(r.questions)}`,
      ).toBe(true);
    expect(r.reasons.every((reason) => reason.message.length > 0)).toBe(true);
  });

  it("keeps the signals and candidate classes of a blocked goal", () => {
    const r = intake({ text: "Make the importer faster but don't change any code" });
    expect(r.status === "blocked_on_human" && r).toMatchObject({
      candidates: ["performance"],
      reasons: [{ code: "contradiction" }],
      signals: expect.arrayContaining([
        { class: "performance", source: "text", match: "faster", weight: 2 },
        { class: null, source: "constraint", match: "don't change any code", weight: 0 },
      ]),
    });
  });
});
