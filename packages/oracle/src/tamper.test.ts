import { describe, expect, it } from "vitest";
import { isTestFile } from "./index.js";
import { detectTampering } from "./tamper.js";
import type { TamperFinding } from "./tamper-finding.js";

/** A one-file unified diff: `-`, `+` and ` ` lines, the way git prints them. */
function diff(file: string, lines: string[], mode: "modify" | "delete" | "add" = "modify", start = 1): string {
  const removed = lines.filter((l) => !l.startsWith("+")).length;
  const added = lines.filter((l) => !l.startsWith("-")).length;
  const head = [`diff --git a/${file} b/${file}`];
  if (mode === "delete") head.push("deleted file mode 100644", "index 1111111..0000000", `--- a/${file}`, "+++ /dev/null");
  else if (mode === "add") head.push("new file mode 100644", "index 0000000..1111111", "--- /dev/null", `+++ b/${file}`);
  else head.push("index 1111111..2222222 100644", `--- a/${file}`, `+++ b/${file}`);
  const oldRange = mode === "add" ? "0,0" : `${start},${removed}`;
  const newRange = mode === "delete" ? "0,0" : `${start},${added}`;
  return `${[...head, `@@ -${oldRange} +${newRange} @@`, ...lines].join("\n")}\n`;
}

const kinds = (findings: readonly TamperFinding[]) => findings.map((f) => `${f.kind} ${f.file}:${f.line ?? "-"}`);

describe("detectTampering: each kind", () => {
  it.each([
    [
      "a deleted test file",
      diff("src/a.test.ts", ['-it("adds", () => {', "-  expect(add(1, 2)).toBe(3);", "-});"], "delete"),
      ["test_deleted src/a.test.ts:1"],
    ],
    [
      "a removed test",
      diff("test/a.test.ts", [
        ' it("adds", () => {',
        "   expect(add(1, 2)).toBe(3);",
        " });",
        '-it("subtracts", () => {',
        "-  expect(sub(2, 1)).toBe(1);",
        "-});",
      ]),
      ["test_removed test/a.test.ts:4", "assertion_removed test/a.test.ts:5"],
    ],
    ["it.skip", diff("src/a.test.ts", ['-it("adds", () => {', '+it.skip("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    [".only", diff("src/a.spec.js", ['-describe("math", () => {', '+describe.only("math", () => {']), ["test_focused src/a.spec.js:1"]],
    ["xit", diff("src/a.test.ts", ['-it("adds", () => {', '+xit("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    ["xdescribe", diff("src/a.test.ts", ['-describe("math", () => {', '+xdescribe("math", () => {']), ["test_skipped src/a.test.ts:1"]],
    [
      "a skipped tape test in a root test.js (tape's one-file convention)",
      diff("test.js", ["-test('cork', function (t) {", "+test.skip('cork', function (t) {"]),
      ["test_skipped test.js:1"],
    ],
    ["it.concurrent.skip", diff("src/a.test.ts", ['-it.concurrent("adds", () => {', '+it.concurrent.skip("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    ["test.runIf(false)", diff("src/a.test.ts", ['-test("adds", () => {', '+test.runIf(false)("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    ["it.fails (passes when the test fails)", diff("src/a.test.ts", ['-it("adds", () => {', '+it.fails("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    [
      "describe.concurrent.only",
      diff("src/a.test.ts", ['-describe.concurrent("math", () => {', '+describe.concurrent.only("math", () => {']),
      ["test_focused src/a.test.ts:1"],
    ],
    ["it.todo", diff("src/a.test.ts", ['+it.todo("handles overflow");']), ["test_skipped src/a.test.ts:1"]],
    ["node:test skip option", diff("test/a.test.mjs", ['-test("adds", () => {', '+test("adds", { skip: true }, () => {']), ["test_skipped test/a.test.mjs:1"]],
    ["@pytest.mark.skip", diff("tests/test_math.py", ["+@pytest.mark.skip(reason='flaky')", " def test_add():"]), ["test_skipped tests/test_math.py:1"]],
    ["@unittest.skip", diff("tests/test_math.py", ["+    @unittest.skip('later')", "     def test_add(self):"]), ["test_skipped tests/test_math.py:1"]],
    ["t.Skip()", diff("math_test.go", [" func TestAdd(t *testing.T) {", '+\tt.Skip("later")']), ["test_skipped math_test.go:2"]],
    ["#[ignore]", diff("src/lib.rs", ["     #[test]", "+    #[ignore]", "     fn adds() {"]), ["test_skipped src/lib.rs:2"]],
    [
      "a commented-out assert",
      diff("src/a.test.ts", ["-  expect(add(1, 2)).toBe(3);", "+  // expect(add(1, 2)).toBe(3);"]),
      ["assert_commented_out src/a.test.ts:1", "assertion_removed src/a.test.ts:1"],
    ],
    [
      "a commented-out python assert",
      diff("tests/test_math.py", ["-    assert add(1, 2) == 3", "+    # assert add(1, 2) == 3"]),
      ["assert_commented_out tests/test_math.py:1", "assertion_removed tests/test_math.py:1"],
    ],
    [
      "a snapshot update",
      diff("src/__snapshots__/report.test.ts.snap", ['-exports[`report 1`] = `"total: 3"`;', '+exports[`report 1`] = `"total: 4"`;']),
      ["snapshot_updated src/__snapshots__/report.test.ts.snap:1"],
    ],
    [
      "a lowered coverage threshold",
      diff("vitest.config.ts", ["     thresholds: {", "-      lines: 90,", "+      lines: 60,"], "modify", 10),
      ["threshold_lowered vitest.config.ts:11", "gate_config_edited vitest.config.ts:11"],
    ],
    [
      "a lowered camelCase threshold",
      diff("jest.config.js", ["-  coverageThreshold: { global: { branches: 80 } },", "+  coverageThreshold: { global: { branches: 50 } },"]),
      ["threshold_lowered jest.config.js:1", "gate_config_edited jest.config.js:1"],
    ],
    [
      "a lowered fail_under",
      diff("pyproject.toml", [" [tool.coverage.report]", "-fail_under = 85", "+fail_under = 50"]),
      ["threshold_lowered pyproject.toml:2"],
    ],
    [
      "raised max warnings",
      diff("package.json", ['-    "lint:ci": "eslint . --max-warnings 0",', '+    "lint:ci": "eslint . --max-warnings 25",']),
      ["threshold_lowered package.json:1", "gate_config_edited package.json:1"],
    ],
    ["a changed test script", diff("package.json", ['-    "test": "vitest run",', '+    "test": "echo ok",']), ["gate_config_edited package.json:1"]],
    ["the gate config", diff(".omk/gates.yaml", ["-  - name: lint", "-    command: npm run lint"]), ["gate_config_edited .omk/gates.yaml:1"]],
    [
      "a CI workflow",
      diff(".github/workflows/ci.yml", ["       - run: npm test", "+        continue-on-error: true"]),
      ["gate_config_edited .github/workflows/ci.yml:2"],
    ],
    ["the .ci folder", diff(".ci/run", ["-set -e", "+set +e"]), ["gate_config_edited .ci/run:1"]],
    ["a jest config", diff("jest.config.js", ['+  testPathIgnorePatterns: ["slow"],']), ["gate_config_edited jest.config.js:1"]],
    ["lockfile churn", diff("pnpm-lock.yaml", ["-  /left-pad@1.3.0:", "+  /left-pad@1.1.0:"]), ["lockfile_churn pnpm-lock.yaml:1"]],
  ])("%s", (_name, text, expected) => {
    expect(kinds(detectTampering(text).findings)).toEqual(expected);
  });

  it("types each finding with file, line, side and evidence", () => {
    const [finding] = detectTampering(diff("src/a.test.ts", ['-it("adds", () => {', '+it.skip("adds", () => {'], "modify", 7)).findings;
    expect(finding).toEqual({
      kind: "test_skipped",
      file: "src/a.test.ts",
      line: 7,
      side: "new",
      evidence: 'it.skip("adds", () => {',
      message: "a test was skipped or marked as todo",
    });
  });
});

describe("detectTampering: checks made weaker inside test files", () => {
  it.each([
    [
      "a lowered >= bound",
      diff("test/score.test.js", ["-  assert.ok(score >= 0.9);", "+  assert.ok(score >= 0.1);"]),
      ["threshold_lowered test/score.test.js:1"],
    ],
    [
      "a lowered toBeGreaterThan",
      diff("src/rate.test.ts", ["-  expect(rate).toBeGreaterThan(100);", "+  expect(rate).toBeGreaterThan(1);"]),
      ["threshold_lowered src/rate.test.ts:1"],
    ],
    [
      "a raised < bound",
      diff("src/perf.test.ts", ["-  expect(elapsed < 50).toBe(true);", "+  expect(elapsed < 5000).toBe(true);"]),
      ["threshold_lowered src/perf.test.ts:1"],
    ],
    [
      "a raised toBeLessThanOrEqual",
      diff("src/size.spec.ts", ["-  expect(bytes).toBeLessThanOrEqual(1024);", "+  expect(bytes).toBeLessThanOrEqual(4096);"]),
      ["threshold_lowered src/size.spec.ts:1"],
    ],
    [
      "a lowered bound on the left (0.9 <= x)",
      diff("tests/test_model.py", ["-    assert 0.9 <= accuracy", "+    assert 0.5 <= accuracy"]),
      ["threshold_lowered tests/test_model.py:1"],
    ],
    [
      "a lowered assertGreaterEqual",
      diff("tests/test_model.py", ["-        self.assertGreaterEqual(acc, 0.95)", "+        self.assertGreaterEqual(acc, 0.5)"]),
      ["threshold_lowered tests/test_model.py:1"],
    ],
    [
      "strictEqual to equal",
      diff("test/a.test.js", ["-  assert.strictEqual(add(1, 2), 3);", "+  assert.equal(add(1, 2), 3);"]),
      ["assertion_loosened test/a.test.js:1"],
    ],
    [
      "deepStrictEqual to deepEqual",
      diff("test/a.test.js", ["-  assert.deepStrictEqual(parse(s), { a: 1 });", "+  assert.deepEqual(parse(s), { a: 1 });"]),
      ["assertion_loosened test/a.test.js:1"],
    ],
    [
      "toStrictEqual to toEqual",
      diff("src/a.test.ts", ["-  expect(parse(s)).toStrictEqual({ a: 1 });", "+  expect(parse(s)).toEqual({ a: 1 });"]),
      ["assertion_loosened src/a.test.ts:1"],
    ],
    ["=== to ==", diff("test/a.test.js", ["-  assert.ok(count() === 3);", "+  assert.ok(count() == 3);"]), ["assertion_loosened test/a.test.js:1"]],
    [
      "node:assert/strict to node:assert",
      diff("test/a.test.js", ['-import assert from "node:assert/strict";', '+import assert from "node:assert";']),
      ["assertion_loosened test/a.test.js:1"],
    ],
    [
      "toBe(5) to toBeGreaterThan(0)",
      diff("src/a.test.ts", ["-  expect(items.length).toBe(5);", "+  expect(items.length).toBeGreaterThan(0);"]),
      ["assertion_loosened src/a.test.ts:1"],
    ],
    [
      "toBe(0.3) to toBeCloseTo",
      diff("src/a.test.ts", ["-  expect(sum(0.1, 0.2)).toBe(0.3);", "+  expect(sum(0.1, 0.2)).toBeCloseTo(0.3, 0);"]),
      ["assertion_loosened src/a.test.ts:1"],
    ],
    [
      "assert.equal to assert.ok(x > 0)",
      diff("test/a.test.js", ["-  assert.equal(out.length, 5);", "+  assert.ok(out.length > 0);"]),
      ["assertion_loosened test/a.test.js:1"],
    ],
    [
      "assertEqual to assertTrue",
      diff("tests/test_a.py", ["-        self.assertEqual(len(rows), 5)", "+        self.assertTrue(len(rows))"]),
      ["assertion_loosened tests/test_a.py:1"],
    ],
    [
      "a raised test timeout option",
      diff("src/a.test.ts", ['-it("syncs", { timeout: 2000 }, async () => {', '+it("syncs", { timeout: 60000 }, async () => {']),
      ["timeout_weakened src/a.test.ts:1"],
    ],
    ["a raised trailing timeout", diff("src/a.test.ts", ["   await sync();", "-}, 5000);", "+}, 120000);"]), ["timeout_weakened src/a.test.ts:2"]],
    ["a timeout turned off", diff("test/a.spec.js", ["-  this.timeout(2000);", "+  this.timeout(0);"]), ["timeout_weakened test/a.spec.js:1"]],
    ["a raised jest.setTimeout", diff("src/a.test.ts", ["-jest.setTimeout(5000);", "+jest.setTimeout(100000);"]), ["timeout_weakened src/a.test.ts:1"]],
    ["a raised pytest timeout", diff("tests/test_a.py", ["-@pytest.mark.timeout(5)", "+@pytest.mark.timeout(500)"]), ["timeout_weakened tests/test_a.py:1"]],
    ["a removed trailing timeout", diff("src/a.test.ts", ["   await sync();", "-}, 5000);", "+});"]), ["timeout_weakened src/a.test.ts:2"]],
    [
      "a removed timeout option",
      diff("src/a.test.ts", ['-it("syncs", { timeout: 2000 }, async () => {', '+it("syncs", async () => {']),
      ["timeout_weakened src/a.test.ts:1"],
    ],
  ])("%s", (_name, text, expected) => {
    expect(kinds(detectTampering(text).findings)).toEqual(expected);
  });

  it("each is typed with both lines as evidence and blocks through the review (not waivable)", () => {
    const [finding] = detectTampering(diff("test/score.test.js", ["-  assert.ok(score >= 0.9);", "+  assert.ok(score >= 0.1);"], "modify", 12)).findings;
    expect(finding).toEqual({
      kind: "threshold_lowered",
      file: "test/score.test.js",
      line: 12,
      side: "new",
      evidence: "assert.ok(score >= 0.9); → assert.ok(score >= 0.1);",
      message: "a bound in a test was loosened from 0.9 to 0.1",
    });
  });

  it.each([
    ["a raised >= bound", diff("test/score.test.js", ["-  assert.ok(score >= 0.1);", "+  assert.ok(score >= 0.9);"])],
    ["a lowered toBeLessThan", diff("src/perf.test.ts", ["-  expect(elapsed).toBeLessThan(5000);", "+  expect(elapsed).toBeLessThan(50);"])],
    ["equal to strictEqual", diff("test/a.test.js", ["-  assert.equal(add(1, 2), 3);", "+  assert.strictEqual(add(1, 2), 3);"])],
    ["a range made exact", diff("src/a.test.ts", ["-  expect(items.length).toBeGreaterThan(0);", "+  expect(items.length).toBe(5);"])],
    [
      "a new test with bounds and a timeout",
      diff(
        "src/b.test.ts",
        ['+it("is fast", { timeout: 1000 }, () => {', "+  expect(rate).toBeGreaterThan(100);", "+  expect(x == 1).toBe(true);", "+});"],
        "add",
      ),
    ],
    ["a lowered timeout", diff("src/a.test.ts", ['-it("syncs", { timeout: 60000 }, async () => {', '+it("syncs", { timeout: 2000 }, async () => {'])],
    ["a changed expected value", diff("src/a.test.ts", ["-  expect(add(1, 2)).toBe(4);", "+  expect(add(1, 2)).toBe(3);"])],
    [
      "a changed input number that bounds nothing",
      diff("src/a.test.ts", ["-  expect(clamp(150, 0, 100)).toBe(100);", "+  expect(clamp(250, 0, 100)).toBe(100);"]),
    ],
    ["a bound lowered in source code (not a test)", diff("src/limits.js", ["-  if (score >= 0.9) return true;", "+  if (score >= 0.1) return true;"])],
    ["a timer in test code moved", diff("src/a.test.ts", ["-  await sleep(100);", "+  await sleep(200);"])],
  ])("%s is not a finding", (_name, text) => {
    expect(kinds(detectTampering(text).findings)).toEqual([]);
  });
});

describe("detectTampering: honest changes", () => {
  it.each([
    ["a new test file", diff("src/b.test.ts", ['+it("multiplies", () => {', "+  expect(mul(2, 3)).toBe(6);", "+});"], "add")],
    [
      "a moved test",
      diff("src/a.test.ts", [
        '-it("adds", () => {',
        "-  expect(add(1, 2)).toBe(3);",
        "-});",
        ' it("subtracts", () => {',
        " });",
        '+it("adds", () => {',
        "+  expect(add(1, 2)).toBe(3);",
        "+});",
      ]),
    ],
    ["a changed expectation", diff("src/a.test.ts", ["-  expect(add(1, 2)).toBe(4);", "+  expect(add(1, 2)).toBe(3);"])],
    ["a new snapshot file", diff("src/__snapshots__/new.test.ts.snap", ["+exports[`new 1`] = `1`;"], "add")],
    ["a raised coverage threshold", diff("coverage.json", ['-  "lines": 60,', '+  "lines": 90,'])],
    ["a lowered number in code", diff("src/limits.ts", ["-export const limit = 100;", "+export const limit = 50;"])],
    ["`.skip` outside tests", diff("src/stream.ts", ["+  stream.skip(3);"])],
    ["a lockfile with its manifest", diff("package.json", ['+    "left-pad": "^1.3.0",']) + diff("pnpm-lock.yaml", ["+  /left-pad@1.3.0:"])],
    ["a nested lockfile with its manifest", diff("tools/gen/package.json", ['+    "x": "1",']) + diff("tools/gen/package-lock.json", ['+    "x": "1",'])],
    ["a source fix", diff("src/add.ts", ["-  return a - b;", "+  return a + b;"])],
    ["a dependency whose name holds a keyword", diff("package.json", ['-    "minimist": "^1.2.8",', '+    "minimist": "^1.2.6",'])],
    ["a number inside a name", diff("config/build.json", ['-  "target": "es2022",', '+  "target": "es2020",'])],
  ])("%s has no finding", (_name, text) => {
    expect(detectTampering(text).findings).toEqual([]);
  });

  it("flags a lockfile whose manifest changed in another package", () => {
    const text = diff("tools/gen/package.json", ['+    "x": "1",']) + diff("package-lock.json", ['+    "y": "1",']) + diff("Cargo.lock", ['+name = "z"']);
    expect(kinds(detectTampering(text).findings)).toEqual(["lockfile_churn Cargo.lock:1"]);
  });

  it("reads an empty diff as no change", () => {
    expect(detectTampering("")).toEqual({ files: 0, findings: [] });
  });
});

describe("isTestFile", () => {
  it("knows a root test.js/tests.js as a test file (tape's and node's convention), and only at the root", () => {
    for (const file of ["test.js", "tests.js", "test.mjs", "test.ts", "test/a.js", "src/a.test.ts"]) expect(isTestFile(file), file).toBe(true);
    for (const file of ["lib/test.js", "contest.js", "src/testing.js", "index.js"]) expect(isTestFile(file), file).toBe(false);
  });
});
