// The end-to-end fixtures checked against the real packages, without the controller: the repository's
// tests behave as the scenarios assume, every book's sessions are valid wire scenarios, and the
// deterministic planner and the oracle give the task ids, write sets and tags the books are written for.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ScriptBookSchema } from "@omk/sessions";
import { gateDescriptors } from "@omk/proof";
import { buildOracle, testTag } from "@omk/oracle";
import { inspectRepository, intake, planDeterministic, testCommandFor } from "@omk/planner";
import { pathInScope } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { ScenarioSchema } from "@omk/wire";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  ACCEPTANCE,
  ACCEPTANCE_TAG,
  AMBIGUOUS_GOAL,
  bigSpenderBook,
  claimsDoneBook,
  DELETED_TEST,
  deletedTestBook,
  FAREWELL_BROKEN,
  FAREWELL_SOURCE,
  FAREWELL_TEST,
  FEATURE_GOAL,
  featureBook,
  OUTSIDE_FILE,
  outsideWriteBook,
  sleepStep,
  TINY_BUDGET_TOKENS,
  writeBook,
} from "./e2e/books.js";
import { greeterFiles, greeterRepo, TEST_COMMAND, TEST_GATE } from "./e2e/repo.js";

afterAll(cleanupTempDirs);

type Case = { name: string; status: "passed" | "failed" };

/** Runs the fixture's test command in `dir` and reads the JUnit report it writes. */
async function runTests(dir: string): Promise<{ exitCode: number; cases: Case[] }> {
  const [command, ...args] = TEST_COMMAND as [string, ...string[]];
  const run = await execa(command, args, { cwd: dir, reject: false });
  const xml = readFileSync(path.join(dir, "junit.xml"), "utf8");
  const cases: Case[] = [];
  for (const m of xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/gu)) {
    cases.push({ name: m[1] ?? "", status: /<failure\b/u.test(m[3] ?? "") ? "failed" : "passed" });
  }
  return { exitCode: run.exitCode ?? -1, cases };
}

function copyWith(overrides: Record<string, string | null>): string {
  const dir = makeTempDir("omk-e2e-fixture-");
  const files: Record<string, string | null> = { ...greeterFiles(), ...overrides };
  for (const [name, content] of Object.entries(files)) {
    if (content === null) continue;
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe("the e2e fixture repository", () => {
  it("passes its test gate on the base; the acceptance test is red there and green with farewell(); the broken farewell fails it", async () => {
    const base = await runTests(copyWith({}));
    expect(base.exitCode).toBe(0);
    expect(base.cases).toEqual([{ name: "greet says hello by name", status: "passed" }]);

    const red = await runTests(copyWith({ "test/farewell.test.js": FAREWELL_TEST }));
    expect(red.exitCode).not.toBe(0);
    expect(red.cases.find((c) => c.name.includes(ACCEPTANCE_TAG))?.status).toBe("failed");

    const green = await runTests(copyWith({ "test/farewell.test.js": FAREWELL_TEST, "src/greet.js": FAREWELL_SOURCE }));
    expect(green.exitCode).toBe(0);
    expect(green.cases.map((c) => c.status)).toEqual(["passed", "passed"]);

    const broken = await runTests(copyWith({ "test/farewell.test.js": FAREWELL_TEST, "src/greet.js": FAREWELL_BROKEN }));
    expect(broken.exitCode).not.toBe(0);

    // The deleted-test scenario: the suite still passes without the old test.
    const tampered = await runTests(copyWith({ "test/farewell.test.js": FAREWELL_TEST, "src/greet.js": FAREWELL_SOURCE, [DELETED_TEST]: null }));
    expect(tampered.exitCode).toBe(0);
    expect(tampered.cases).toHaveLength(1);
  });

  it("plans the feature goal write-tests → implement → review, with the criteria, tags and write sets the books assume", async () => {
    const { repo } = await greeterRepo();
    const described = gateDescriptors(repo);
    if (!described.ok) throw new Error(described.error.message);
    const gates = described.value;
    expect(gates).toEqual([{ name: TEST_GATE, kind: "test", required: true, command: TEST_COMMAND }]);
    const inspection = inspectRepository(repo);
    const classified = intake({ text: FEATURE_GOAL, inspection });
    if (classified.status !== "classified") throw new Error(`the feature goal is blocked: ${JSON.stringify(classified.reasons)}`);
    expect(classified.goalClass).toBe("feature");

    const testCommand = testCommandFor({ inspection, gates, goalText: FEATURE_GOAL });
    expect(testCommand).toEqual(TEST_COMMAND);
    const built = buildOracle({ goalClass: "feature", goalText: FEATURE_GOAL, gates, testCommand, buildCommand: null });
    if (built.status !== "formed") throw new Error(`oracle blocked: ${built.questions.join("; ")}`);
    expect(built.oracle.criteria.map((c) => [c.id, c.kind])).toEqual([
      [ACCEPTANCE, "test_case"],
      [`gate-${TEST_GATE}`, "gate"],
      ["review", "review"],
    ]);
    expect(testTag(ACCEPTANCE)).toBe(ACCEPTANCE_TAG);

    const plan = planDeterministic({ intake: classified, inspection, gates, oracle: built.oracle });
    if (!plan.ok) throw new Error(plan.error.message);
    const tasks = plan.value.graph.tasks;
    expect(tasks.map((t) => [t.id, t.role, t.dependencies])).toEqual([
      ["write-tests", "tester", []],
      ["implement", "implementer", ["write-tests"]],
      ["review", "reviewer", ["implement"]],
    ]);
    const writes = Object.fromEntries(tasks.map((t) => [t.id, t.writes]));
    expect(pathInScope("test/farewell.test.js", writes["write-tests"] ?? [])).toBe(true);
    expect(pathInScope(DELETED_TEST, writes["write-tests"] ?? [])).toBe(true);
    expect(pathInScope("src/greet.js", writes["implement"] ?? [])).toBe(true);
    for (const task of tasks) expect(pathInScope(OUTSIDE_FILE, task.writes), `${task.id} writes ${task.writes.join(", ")}`).toBe(false);
    // The budget scenario: the tester's caps fit a goal of TINY_BUDGET_TOKENS (less the scheduler's 10% verification
    // reserve); once it has spent 600k, the implementer's caps no longer do.
    expect(tasks[0]?.budget.tokens ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(TINY_BUDGET_TOKENS * 0.9);
    expect(tasks[1]?.budget.tokens ?? 0).toBeGreaterThan(TINY_BUDGET_TOKENS * 0.9 - 600_000);
    // The tester's prompt carries the tag (the feature book's write-tests turn expects it).
    expect(tasks[0]?.description).toContain(ACCEPTANCE_TAG);
  });

  it("blocks the ambiguous goal at intake with questions", () => {
    const blocked = intake({ text: AMBIGUOUS_GOAL, inspection: null });
    expect(blocked.status).toBe("blocked_on_human");
    if (blocked.status === "blocked_on_human") expect(blocked.questions.length).toBeGreaterThan(0);
  });

  it("writes books that are valid script books, every session a valid wire scenario", () => {
    const dir = makeTempDir("omk-e2e-books-");
    const books = {
      feature: featureBook(),
      featureSlow: featureBook({ implementFirst: [sleepStep(3_000)] }),
      claimsDone: claimsDoneBook(),
      outsideFs: outsideWriteBook("fs"),
      outsideDirect: outsideWriteBook("direct"),
      deletedTest: deletedTestBook(),
      bigSpender: bigSpenderBook(),
    };
    for (const [name, book] of Object.entries(books)) {
      const file = writeBook(dir, name, book);
      const data = parse(readFileSync(file, "utf8")) as { version: number; sessions: Record<string, unknown> };
      expect(data.version).toBe(1);
      const asBook = ScriptBookSchema.safeParse(data);
      expect(asBook.success, `${name}: ${asBook.success ? "" : asBook.error.message}`).toBe(true);
      expect(Object.keys(data.sessions)).toEqual(expect.arrayContaining(["task:write-tests", "task:implement", "review:reviewer", "review:security-reviewer"]));
      for (const [key, scenario] of Object.entries(data.sessions)) {
        const parsed = ScenarioSchema.safeParse(scenario);
        expect(parsed.success, `${name} ${key}: ${parsed.success ? "" : parsed.error.message}`).toBe(true);
      }
    }
  });
});
