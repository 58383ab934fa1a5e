// The demo's example project and script book, checked piece by piece with the real packages:
// the book parses, the planner accepts its plan, the oracle's criteria match the tests' tags,
// and the project's tests pass with the round-2 code and fail with the round-1 bug.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadScriptBook } from "@omk/sessions";
import { gateDescriptors } from "@omk/proof";
import { parseReviewAnswer } from "@omk/review";
import { buildOracle, testTag } from "@omk/oracle";
import { type ClassifiedIntake, createEnginePlanner, inspectRepository, intake, testCommandFor } from "@omk/planner";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import type { Scenario } from "@omk/wire";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_GOAL } from "../src/commands/demo.js";

afterAll(cleanupTempDirs);

const DEMO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "examples", "demo");
const REPO = path.join(DEMO_DIR, "repo");

/** The book as the controller loads it (script book schema: every session a wire scenario). */
function book(): Record<string, Scenario> {
  const loaded = loadScriptBook(path.join(DEMO_DIR, "script.yaml"));
  if (!loaded.ok) throw new Error(loaded.error.message);
  return loaded.value.sessions;
}

/** The text of every agent message in a session. */
function messages(scenario: Scenario): string {
  return scenario.turns.flatMap((t) => t.steps.flatMap((s) => ("message" in s ? [s.message] : []))).join("");
}

/** The files a session writes, in order (a later write of the same path wins). */
function writes(scenario: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const step of scenario.turns.flatMap((t) => t.steps)) if ("write" in step) out[step.write.path] = step.write.content;
  return out;
}

function planInput() {
  const inspection = inspectRepository(REPO);
  const classified = intake({ text: DEMO_GOAL, inspection });
  if (classified.status !== "classified") throw new Error(`the demo goal is not classified: ${JSON.stringify(classified.reasons)}`);
  const described = gateDescriptors(REPO);
  if (!described.ok) throw new Error(described.error.message);
  const gates = described.value;
  const built = buildOracle({
    goalClass: classified.goalClass,
    goalText: classified.normalizedText,
    gates,
    testCommand: testCommandFor({ inspection, gates, goalText: classified.normalizedText }),
  });
  if (built.status !== "formed") throw new Error(`the demo oracle is blocked: ${built.questions.join("; ")}`);
  return { intake: classified as ClassifiedIntake, inspection, gates, oracle: built.oracle };
}

/** A copy of the example project with the given files written over it; returns the exit code of its test command. */
async function testsWith(files: Record<string, string>): Promise<{ exitCode: number; output: string }> {
  const dir = makeTempDir("omk-demo-book-");
  cpSync(REPO, dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  const r = await execa("node", ["--test"], { cwd: dir, reject: false, env: { ...process.env, NODE_OPTIONS: "" } });
  return { exitCode: r.exitCode ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

describe("omk demo: the script book and the example project", () => {
  it("every session of the book is a valid wire scenario, with usage to show", () => {
    const sessions = book();
    expect(Object.keys(sessions).sort()).toEqual([
      "plan",
      "review:reviewer",
      "review:security-reviewer",
      "task:docs",
      "task:fix-r2",
      "task:slugify",
      "task:title-case",
    ]);
    for (const [key, scenario] of Object.entries(sessions)) {
      expect(scenario.turns.length, key).toBe(1);
      expect(
        scenario.turns[0]?.steps.some((s) => "usage" in s),
        key,
      ).toBe(true);
    }
    // Both review passes answer in the review JSON shape, and pass.
    for (const key of ["review:reviewer", "review:security-reviewer"]) {
      const answer = parseReviewAnswer(messages(sessions[key] as Scenario));
      expect(answer.ok && answer.value.verdict, key).toBe("passed");
    }
  });

  it("the demo goal is a feature with acceptance tests, the test gate and a review, and every new test carries the criterion's tag", () => {
    const { intake: classified, oracle } = planInput();
    expect(classified.classes).toEqual(["feature"]);
    expect(oracle.criteria.map((c) => [c.id, c.kind])).toEqual([
      ["acceptance-tests", "test_case"],
      ["gate-test", "gate"],
      ["review", "review"],
    ]);
    const sessions = book();
    const tests = { ...writes(sessions["task:slugify"] as Scenario), ...writes(sessions["task:title-case"] as Scenario) };
    const testFiles = Object.entries(tests).filter(([file]) => file.startsWith("test/"));
    expect(testFiles.map(([file]) => file)).toEqual(["test/slugify.test.js", "test/title-case.test.js"]);
    for (const [, content] of testFiles) expect(content.match(/test\("([^"]+)"/g)?.every((t) => t.includes(testTag("acceptance-tests")))).toBe(true);
  });

  it("the engine planner accepts the plan session's answer: slugify and title-case in parallel, then docs, then review", async () => {
    const input = planInput();
    const scenario = book()["plan"] as Scenario;
    const prompts: string[] = [];
    const planner = createEnginePlanner({
      maxAttempts: 1,
      askPlan: async (prompt) => {
        prompts.push(prompt);
        return messages(scenario);
      },
    });
    const r = await planner.plan(input);
    if (!r.ok) throw new Error(r.error.message);
    // The scenario's prompt expectation holds for the prompt the planner really sends.
    expect(prompts[0]).toContain(scenario.turns[0]?.expect ?? "");
    const tasks = r.value.plan.graph.tasks;
    expect(tasks.map((t) => [t.id, t.role, t.dependencies])).toEqual([
      ["slugify", "implementer", []],
      ["title-case", "implementer", []],
      ["docs", "docs", ["slugify", "title-case"]],
      ["review", "reviewer", ["docs"]],
    ]);
  });

  it("the project's tests pass on the base, fail with round 1's title-case bug and pass after fix-r2", async () => {
    const sessions = book();
    const round1 = {
      ...writes(sessions["task:slugify"] as Scenario),
      ...writes(sessions["task:title-case"] as Scenario),
      ...writes(sessions["task:docs"] as Scenario),
    };
    const round2 = { ...round1, ...writes(sessions["task:fix-r2"] as Scenario) };
    expect(Object.keys(writes(sessions["task:fix-r2"] as Scenario))).toEqual(["src/title-case.js"]);

    const base = await testsWith({});
    expect(base.exitCode, base.output).toBe(0);
    const buggy = await testsWith(round1);
    expect(buggy.exitCode, buggy.output).toBe(1);
    expect(buggy.output).toContain("titleCase keeps small words lowercase inside the title");
    expect(buggy.output).toMatch(/# fail 1\b/);
    const fixed = await testsWith(round2);
    expect(fixed.exitCode, fixed.output).toBe(0);
    expect(fixed.output).toMatch(/# pass 6\b/);
    // Red on the base: the new tests run against the base's code fail case by case (the module is missing), not at load.
    const red = await testsWith(Object.fromEntries(Object.entries(round2).filter(([file]) => file.startsWith("test/"))));
    expect(red.exitCode).toBe(1);
    expect(red.output).toMatch(/# fail 4\b/);
  });
});
