// The oracle against real temporary git repositories: real commits, real test runs, real diffs.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Criterion, type FrozenOracle, openStore } from "@omk/state";
import { checkoutWorktree, cleanupTempDirs, commitFiles, gitDiff, initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOracle, detectTampering, type EvidenceSetInput, evaluate, freeze, oracleEvent, revise } from "../src/index.js";
import { runCommand, runGate, runNodeTests } from "./run-checks.js";

afterAll(cleanupTempDirs);

const BUGGY = "export function add(a, b) {\n  return a - b;\n}\n";
const FIXED = "export function add(a, b) {\n  return a + b;\n}\n";
const EXISTING_TEST = `import { test } from "node:test";
import assert from "node:assert/strict";
import { add } from "../src/add.mjs";

test("add keeps zero", () => {
  assert.equal(add(0, 0), 0);
});
`;
// The regression test the bug fix adds: red on base (2 - 3 = -1), green on head.
// The second test is tagged for a red → green criterion but passes on base too: it was never red.
const NEW_TEST = `import { test } from "node:test";
import assert from "node:assert/strict";
import { add } from "../src/add.mjs";

test("add sums two numbers [oracle:regression-test]", () => {
  assert.equal(add(2, 3), 5);
});

test("add of zeros stays zero [oracle:already-green]", () => {
  assert.equal(add(0, 0), 0);
});
`;

const TEST_FILES = ["test/existing.test.mjs", "test/add.test.mjs"];
const TEST_COMMAND = [process.execPath, "--test", "--test-reporter=junit", ...TEST_FILES];
const ECHO_OK = ["sh", "-c", "echo ok"];

type Repo = { dir: string; base: string; head: string; baseOnly: string; baseTree: string };
let repo: Repo;

beforeAll(async () => {
  const dir = makeTempDir("omk-oracle-repo-");
  const first = await initGitRepo(dir, { "README.md": "# adder\n", "package.json": '{ "type": "module" }\n' });
  const base = await commitFiles(dir, { "src/add.mjs": BUGGY, "test/existing.test.mjs": EXISTING_TEST }, "adder with a bug");
  expect(base).not.toBe(first);
  const head = await commitFiles(dir, { "src/add.mjs": FIXED, "test/add.test.mjs": NEW_TEST }, "fix add, with a regression test");
  // The base as it is, and a base checkout with the head's tests copied in: red → green runs the new tests against the old code.
  const baseOnly = await checkoutWorktree(dir, base, path.join(makeTempDir("omk-oracle-base-"), "tree"));
  const baseTree = await checkoutWorktree(dir, base, path.join(makeTempDir("omk-oracle-base-"), "tree"));
  mkdirSync(path.join(baseTree, "test"), { recursive: true });
  copyFileSync(path.join(dir, "test/add.test.mjs"), path.join(baseTree, "test/add.test.mjs"));
  repo = { dir, base, head, baseOnly, baseTree };
  // The real runs (node --test and the gate, on base and head) once, here, with their own timeout: the tests
  // below reuse them (collect's `once`), so no test pays for the processes on a busy machine.
  const every = bugfixOracle([alreadyGreen, echoOk]);
  collect(every, "base");
  collect(every, "head");
}, 180_000);

function bugfixOracle(extra: Criterion[]): FrozenOracle {
  const built = buildOracle({
    goalClass: "bugfix",
    goalText: "Fix add(): it subtracts instead of adding",
    testCommand: TEST_COMMAND,
    gates: [{ name: "unit", kind: "test", required: true, command: TEST_COMMAND }],
  });
  if (built.status !== "formed") throw new Error(JSON.stringify(built));
  const frozen = freeze({ ...built.oracle, criteria: [...built.oracle.criteria, ...extra] });
  if (!frozen.ok) throw new Error(frozen.error.message);
  return frozen.value;
}

const runs = new Map<string, unknown>();

/** Runs once per side and check, then reused: the checks and the code do not change between tests. */
function once<T>(key: string, make: () => T): T {
  if (!runs.has(key)) runs.set(key, make());
  return runs.get(key) as T;
}

/** What a controller would record for one commit: real runs of every criterion's check, bound to the oracle's hash. */
function collect(oracle: FrozenOracle, side: "base" | "head"): EvidenceSetInput {
  const cwd = side === "base" ? repo.baseTree : repo.dir;
  const commit = side === "base" ? repo.base : repo.head;
  const commands = oracle.oracle.criteria.flatMap((c) => (c.kind === "command" ? [once(`${side}:${c.id}`, () => runCommand(c.id, c.run.command, cwd))] : []));
  // The commit's own tests on its own code; on base also the head's tests against the base's code (red → green).
  const own = once(`${side}:junit`, () => runNodeTests(side === "base" ? repo.baseOnly : cwd, side === "base" ? ["test/existing.test.mjs"] : TEST_FILES));
  const headTests = side === "base" ? { headTests: once("base:head-tests", () => runNodeTests(cwd, TEST_FILES)).cases } : {};
  const gate = once(`${side}:gate`, () => runGate("unit", TEST_COMMAND, cwd, commit));
  const reviews = side === "head" ? [{ criterionId: "review", verdict: "passed" as const, record: "reviews/review.json" }] : [];
  return { oracleHash: oracle.hash, commit, commands, junit: own.cases, ...headTests, gates: [gate], reviews };
}

const alreadyGreen: Criterion = {
  id: "already-green",
  kind: "test_case",
  description: "a second regression test",
  mustFailOnBase: true,
  run: { command: TEST_COMMAND, case: { name: "[oracle:already-green]", match: "contains" } },
};
const echoOk: Criterion = { id: "echo-ok", kind: "command", description: "prints ok", mustFailOnBase: false, run: { command: ECHO_OK, cwd: "." } };

describe("evaluation on a real repository", () => {
  it("passes a regression test that is red on base and green on head, and reports one already green on base as vacuous", () => {
    const oracle = bugfixOracle([alreadyGreen]);
    const result = evaluate(oracle, { base: collect(oracle, "base"), head: collect(oracle, "head"), expect: { baseCommit: repo.base, headCommit: repo.head } });
    if (!result.ok) throw new Error(result.error.message);
    const byId = Object.fromEntries(result.value.criteria.map((c) => [c.id, c]));
    expect(byId["regression-test"]).toMatchObject({ verdict: "passed" });
    expect(byId["regression-test"]?.evidence.join("\n")).toMatch(/base [0-9a-f]{7}: case .*\[oracle:regression-test\].* failed/);
    expect(byId["already-green"]).toMatchObject({ verdict: "vacuous", reason: expect.stringContaining("never red") });
    expect(byId["already-green"]?.evidence.join("\n")).toMatch(/base [0-9a-f]{7}: case .*\[oracle:already-green\].* passed/);
    expect(byId["gate-unit"]).toMatchObject({ verdict: "passed" });
    expect(byId["review"]).toMatchObject({ verdict: "passed" });
    expect(result.value.ready).toBe(false);
    expect(result.value.counts).toEqual({ passed: 3, failed: 0, not_run: 0, vacuous: 1 });
  });

  it("reports an `echo ok` criterion as vacuous although it really exits 0 on head", () => {
    const oracle = bugfixOracle([echoOk]);
    const head = collect(oracle, "head");
    expect(head.commands?.find((c) => c.criterionId === "echo-ok")).toMatchObject({ exitCode: 0, stdout: "ok\n" });
    const result = evaluate(oracle, { base: collect(oracle, "base"), head });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.criteria.find((c) => c.id === "echo-ok")).toMatchObject({ verdict: "vacuous", reason: expect.stringContaining("cannot fail") });
    expect(result.value.ready).toBe(false);
  });

  it("is ready when every criterion passed, and not ready when the head fails", async () => {
    const oracle = bugfixOracle([]);
    const good = evaluate(oracle, { base: collect(oracle, "base"), head: collect(oracle, "head") });
    expect(good.ok && good.value).toMatchObject({ ready: true, counts: { passed: 3, failed: 0, not_run: 0, vacuous: 0 } });
    // Without base evidence, red → green is unproven.
    const noBase = evaluate(oracle, { base: null, head: collect(oracle, "head") });
    expect(noBase.ok && noBase.value.criteria.find((c) => c.id === "regression-test")?.verdict).toBe("not_run");
    // A head that did not fix the bug (the base code with the new tests): the regression test fails there.
    const { headTests, ...base } = collect(oracle, "base");
    const baseAsHead = { ...base, junit: headTests ?? [] };
    const bad = evaluate(oracle, { base: null, head: baseAsHead });
    expect(bad.ok && bad.value.criteria.find((c) => c.id === "regression-test")?.verdict).toBe("failed");
    expect(bad.ok && bad.value.criteria.find((c) => c.id === "gate-unit")?.verdict).toBe("failed");
  });

  it("refuses evidence bound to an old oracle hash, also as recorded in the goal's event log", async () => {
    const first = bugfixOracle([echoOk]);
    const evidence = { base: collect(first, "base"), head: collect(first, "head") };
    const second = revise(first, { ...first.oracle, criteria: first.oracle.criteria.filter((c) => c.id !== "echo-ok") }, "drop a check that cannot fail");
    if (!second.ok) throw new Error(second.error.message);

    const store = openStore({ root: makeTempDir("omk-oracle-state-") });
    const goal = await store.createGoal({ text: "Fix add()", repoRoot: repo.dir, limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!goal.ok) throw new Error(goal.error.message);
    expect((await store.append(goal.value.id, () => [oracleEvent(first)])).ok).toBe(true);
    const revised = await store.append(goal.value.id, () => [oracleEvent(second.value)]);
    expect(revised.ok && revised.value.oracle).toMatchObject({ revision: 2, hash: second.value.hash });

    const refused = evaluate(second.value, evidence);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatchObject({ code: "evidence_refused", side: "head", expected: second.value.hash, got: first.hash });
      expect(refused.error.message).toContain("revision 2");
    }
    // Re-running the checks against the revision in force is accepted.
    const fresh = evaluate(second.value, { base: collect(second.value, "base"), head: collect(second.value, "head") });
    expect(fresh.ok && fresh.value.ready).toBe(true);
    // Evidence from another commit than the integrated head is refused too.
    const wrongCommit = evaluate(second.value, { base: null, head: collect(second.value, "head"), expect: { headCommit: repo.base } });
    expect(!wrongCommit.ok && wrongCommit.error).toMatchObject({ code: "evidence_refused", side: "head", expected: repo.base, got: repo.head });
  });
});

describe("tamper detection on a real diff", () => {
  it("flags a deleted test file and a skipped test, with file, line and evidence", async () => {
    const tampered = await commitFiles(
      repo.dir,
      { "test/existing.test.mjs": null, "test/add.test.mjs": NEW_TEST.replace('test("add sums', 'test.skip("add sums') },
      "make the tests pass",
    );
    const diff = await gitDiff(repo.dir, repo.head, tampered);
    const report = detectTampering(diff);
    expect(report.files).toBe(2);
    expect(report.findings).toEqual([
      {
        kind: "test_skipped",
        file: "test/add.test.mjs",
        line: 5,
        side: "new",
        evidence: 'test.skip("add sums two numbers [oracle:regression-test]", () => {',
        message: "a test was skipped or marked as todo",
      },
      {
        kind: "test_deleted",
        file: "test/existing.test.mjs",
        line: 1,
        side: "old",
        evidence: "deleted with its tests: add keeps zero",
        message: "the test file test/existing.test.mjs was deleted",
      },
    ]);
    // The honest change from base to head (a fix plus a new test) has no finding.
    expect(detectTampering(await gitDiff(repo.dir, repo.base, repo.head)).findings).toEqual([]);
  });
});
