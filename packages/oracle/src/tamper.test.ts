import { describe, expect, it } from "vitest";
import { isTestFile } from "./index.js";
import { detectTampering, type TamperFinding } from "./tamper.js";

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
    ["a deleted test file", diff("src/a.test.ts", ['-it("adds", () => {', "-  expect(add(1, 2)).toBe(3);", "-});"], "delete"), ["test_deleted src/a.test.ts:1"]],
    ["a removed test", diff("test/a.test.ts", [' it("adds", () => {', "   expect(add(1, 2)).toBe(3);", " });", '-it("subtracts", () => {', "-  expect(sub(2, 1)).toBe(1);", "-});"]), ["test_removed test/a.test.ts:4", "assertion_removed test/a.test.ts:5"]],
    ["it.skip", diff("src/a.test.ts", ['-it("adds", () => {', '+it.skip("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    [".only", diff("src/a.spec.js", ['-describe("math", () => {', '+describe.only("math", () => {']), ["test_focused src/a.spec.js:1"]],
    ["xit", diff("src/a.test.ts", ['-it("adds", () => {', '+xit("adds", () => {']), ["test_skipped src/a.test.ts:1"]],
    ["xdescribe", diff("src/a.test.ts", ['-describe("math", () => {', '+xdescribe("math", () => {']), ["test_skipped src/a.test.ts:1"]],
    ["a skipped tape test in a root test.js (tape's one-file convention)", diff("test.js", ["-test('cork', function (t) {", "+test.skip('cork', function (t) {"]), ["test_skipped test.js:1"]],
    ["it.todo", diff("src/a.test.ts", ['+it.todo("handles overflow");']), ["test_skipped src/a.test.ts:1"]],
    ["node:test skip option", diff("test/a.test.mjs", ['-test("adds", () => {', '+test("adds", { skip: true }, () => {']), ["test_skipped test/a.test.mjs:1"]],
    ["@pytest.mark.skip", diff("tests/test_math.py", ["+@pytest.mark.skip(reason='flaky')", " def test_add():"]), ["test_skipped tests/test_math.py:1"]],
    ["@unittest.skip", diff("tests/test_math.py", ["+    @unittest.skip('later')", "     def test_add(self):"]), ["test_skipped tests/test_math.py:1"]],
    ["t.Skip()", diff("math_test.go", [" func TestAdd(t *testing.T) {", '+\tt.Skip("later")']), ["test_skipped math_test.go:2"]],
    ["#[ignore]", diff("src/lib.rs", ["     #[test]", "+    #[ignore]", "     fn adds() {"]), ["test_skipped src/lib.rs:2"]],
    ["a commented-out assert", diff("src/a.test.ts", ["-  expect(add(1, 2)).toBe(3);", "+  // expect(add(1, 2)).toBe(3);"]), ["assert_commented_out src/a.test.ts:1", "assertion_removed src/a.test.ts:1"]],
    ["a commented-out python assert", diff("tests/test_math.py", ["-    assert add(1, 2) == 3", "+    # assert add(1, 2) == 3"]), ["assert_commented_out tests/test_math.py:1", "assertion_removed tests/test_math.py:1"]],
    ["a snapshot update", diff("src/__snapshots__/report.test.ts.snap", ['-exports[`report 1`] = `"total: 3"`;', '+exports[`report 1`] = `"total: 4"`;']), ["snapshot_updated src/__snapshots__/report.test.ts.snap:1"]],
    ["a lowered coverage threshold", diff("vitest.config.ts", ["     thresholds: {", "-      lines: 90,", "+      lines: 60,"], "modify", 10), ["threshold_lowered vitest.config.ts:11", "gate_config_edited vitest.config.ts:11"]],
    ["a lowered camelCase threshold", diff("jest.config.js", ["-  coverageThreshold: { global: { branches: 80 } },", "+  coverageThreshold: { global: { branches: 50 } },"]), ["threshold_lowered jest.config.js:1", "gate_config_edited jest.config.js:1"]],
    ["a lowered fail_under", diff("pyproject.toml", [" [tool.coverage.report]", "-fail_under = 85", "+fail_under = 50"]), ["threshold_lowered pyproject.toml:2"]],
    ["raised max warnings", diff("package.json", ['-    "lint:ci": "eslint . --max-warnings 0",', '+    "lint:ci": "eslint . --max-warnings 25",']), ["threshold_lowered package.json:1", "gate_config_edited package.json:1"]],
    ["a changed test script", diff("package.json", ['-    "test": "vitest run",', '+    "test": "echo ok",']), ["gate_config_edited package.json:1"]],
    ["the gate config", diff(".omk/gates.yaml", ["-  - name: lint", "-    command: npm run lint"]), ["gate_config_edited .omk/gates.yaml:1"]],
    ["a CI workflow", diff(".github/workflows/ci.yml", ["       - run: npm test", "+        continue-on-error: true"]), ["gate_config_edited .github/workflows/ci.yml:2"]],
    ["the .ci folder", diff(".ci/run", ["-set -e", "+set +e"]), ["gate_config_edited .ci/run:1"]],
    ["a jest config", diff("jest.config.js", ['+  testPathIgnorePatterns: ["slow"],']), ["gate_config_edited jest.config.js:1"]],
    ["lockfile churn", diff("pnpm-lock.yaml", ["-  /left-pad@1.3.0:", "+  /left-pad@1.1.0:"]), ["lockfile_churn pnpm-lock.yaml:1"]],
  ])("%s", (_name, text, expected) => {
    expect(kinds(detectTampering(text).findings)).toEqual(expected);
  });

  it("types each finding with file, line, side and evidence", () => {
    const [finding] = detectTampering(diff("src/a.test.ts", ['-it("adds", () => {', '+it.skip("adds", () => {'], "modify", 7)).findings;
    expect(finding).toEqual({ kind: "test_skipped", file: "src/a.test.ts", line: 7, side: "new", evidence: 'it.skip("adds", () => {', message: "a test was skipped or marked as todo" });
  });
});

describe("detectTampering: honest changes", () => {
  it.each([
    ["a new test file", diff("src/b.test.ts", ['+it("multiplies", () => {', "+  expect(mul(2, 3)).toBe(6);", "+});"], "add")],
    ["a moved test", diff("src/a.test.ts", ['-it("adds", () => {', "-  expect(add(1, 2)).toBe(3);", "-});", ' it("subtracts", () => {', " });", '+it("adds", () => {', "+  expect(add(1, 2)).toBe(3);", "+});"])],
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
    const text = diff("tools/gen/package.json", ['+    "x": "1",']) + diff("package-lock.json", ['+    "y": "1",']) + diff("Cargo.lock", ["+name = \"z\""]);
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
