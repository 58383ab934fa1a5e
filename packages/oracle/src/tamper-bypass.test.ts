// Issue 14: easy ways past the tamper rules (an assertion wrapped in `if`, an early return, a `/* */`
// comment-out, `0.9` → `0.9 - 0.8`, an exact bound replaced by a variable), and the honest refactors
// that look like them. Each case is a real file before and after, diffed by git as the review does.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectTampering } from "./tamper.js";
import type { TamperFinding } from "./tamper-finding.js";

const root = mkdtempSync(path.join(tmpdir(), "omk-tamper-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** git's diff of `file` from `before` to `after`, with the paths as the review's diff names them. */
function gitDiff(file: string, before: string, after: string): string {
  const dir = path.join(root, String(n++));
  for (const side of ["a", "b"]) mkdirSync(path.dirname(path.join(dir, side, file)), { recursive: true });
  writeFileSync(path.join(dir, "a", file), before);
  writeFileSync(path.join(dir, "b", file), after);
  try {
    return execFileSync("git", ["diff", "--no-index", "--no-prefix", "--no-color", "--no-ext-diff", `a/${file}`, `b/${file}`], { cwd: dir, encoding: "utf8" });
  } catch (e) {
    // git diff --no-index exits 1 when the files differ.
    return (e as { stdout: string }).stdout;
  }
}

/** Findings for one test file changed from `before` to `after`: with both sources (as the review reads them), and from the diff alone. */
function check(file: string, before: string, after: string): { withSources: string[]; diffOnly: string[] } {
  const diff = gitDiff(file, before, after);
  const kinds = (fs: readonly TamperFinding[]) => fs.map((f) => `${f.kind} ${f.file}:${f.line ?? "-"}`);
  return {
    withSources: kinds(detectTampering(diff, { sources: (_f, side) => (side === "old" ? before : after) }).findings),
    diffOnly: kinds(detectTampering(diff).findings),
  };
}

const JS_BEFORE = `import assert from "node:assert/strict";
import test from "node:test";
import { score, greet } from "../src/greet.js";

test("greets by name", () => {
  const names = ["Ada", "Alan", "Grace"];
  const out = names.map(greet);
  assert.equal(out.length, 3);
  assert.equal(out[0], "Hello, Ada!");
  assert.ok(score(out) >= 0.9);
});
`;

const TS_BEFORE = `import { describe, expect, it } from "vitest";
import { add, parse } from "../src/math.js";

describe("math", () => {
  it("adds", () => {
    const sum: number = add(40, 2);
    expect(sum).toBe(42);
    expect(add(1, 2)).toBe(3);
  });

  it("parses", async () => {
    const r = await parse("1+2");
    expect(r.ok).toBe(true);
    expect(r.value).toEqual({ op: "+", args: [1, 2] });
  });
});
`;

const PY_BEFORE = `from calc import accuracy, add


def test_add():
    total = add(1, 2)
    assert total == 3
    assert add(2, 2) == 4


def test_accuracy():
    acc = accuracy()
    assert acc >= 0.9
`;

const replace = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`not in the text: ${from}`);
  return text.replace(from, to);
};

describe("bypasses are caught", () => {
  it.each([
    // if-wrapped
    [
      "if (false) before an assertion",
      "test/greet.test.js",
      JS_BEFORE,
      replace(JS_BEFORE, "  assert.ok(score(out) >= 0.9);", "  if (false) assert.ok(score(out) >= 0.9);"),
      ["assertion_guarded test/greet.test.js:10"],
    ],
    [
      "an if (process.env.X) block around assertions, re-indented",
      "test/greet.test.js",
      JS_BEFORE,
      replace(
        JS_BEFORE,
        '  assert.equal(out[0], "Hello, Ada!");\n  assert.ok(score(out) >= 0.9);\n',
        '  if (process.env.STRICT) {\n    assert.equal(out[0], "Hello, Ada!");\n    assert.ok(score(out) >= 0.9);\n  }\n',
      ),
      ["assertion_guarded test/greet.test.js:10", "assertion_guarded test/greet.test.js:11"],
    ],
    [
      "an if block added around assertions without re-indenting them (they stay context lines)",
      "src/math.test.ts",
      TS_BEFORE,
      replace(
        replace(TS_BEFORE, "    expect(sum).toBe(42);\n", "    if (process.env.CI) {\n    expect(sum).toBe(42);\n"),
        "    expect(add(1, 2)).toBe(3);\n",
        "    expect(add(1, 2)).toBe(3);\n    }\n",
      ),
      ["assertion_guarded src/math.test.ts:8", "assertion_guarded src/math.test.ts:9"],
    ],
    [
      "cond && expect(…)",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    process.env.CI && expect(add(1, 2)).toBe(3);"),
      ["assertion_guarded src/math.test.ts:8"],
    ],
    [
      "a try that swallows the failure",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    try { expect(add(1, 2)).toBe(3); } catch {}"),
      ["assertion_guarded src/math.test.ts:8"],
    ],
    [
      "an if (false) whose else merely asserts something true",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    if (false) { expect(add(1, 2)).toBe(3); } else { expect(true).toBe(true); }"),
      ["assertion_guarded src/math.test.ts:8"],
    ],
    [
      "assertions moved into an arrow nothing calls",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    () => {\n      expect(add(1, 2)).toBe(3);\n    };"),
      ["assertion_guarded src/math.test.ts:9"],
    ],
    [
      "assertions moved into a helper nothing calls",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    function later() {\n      expect(add(1, 2)).toBe(3);\n    }"),
      ["assertion_guarded src/math.test.ts:9"],
    ],
    // early return
    [
      "a bare return before the assertions",
      "test/greet.test.js",
      JS_BEFORE,
      replace(JS_BEFORE, "  assert.equal(out.length, 3);", "  return;\n  assert.equal(out.length, 3);"),
      ["assertion_unreachable test/greet.test.js:9", "assertion_unreachable test/greet.test.js:10", "assertion_unreachable test/greet.test.js:11"],
    ],
    [
      "a conditional early return",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(r.ok).toBe(true);", "    if (!r.ok) return;\n    expect(r.ok).toBe(true);"),
      ["assertion_unreachable src/math.test.ts:14", "assertion_unreachable src/math.test.ts:15"],
    ],
    // comment-out
    [
      "a /* */ block around assertions (the assertion lines untouched)",
      "src/math.test.ts",
      TS_BEFORE,
      replace(
        replace(TS_BEFORE, "    expect(r.ok).toBe(true);", "    /*\n    expect(r.ok).toBe(true);"),
        '    expect(r.value).toEqual({ op: "+", args: [1, 2] });',
        '    expect(r.value).toEqual({ op: "+", args: [1, 2] });\n    */',
      ),
      ["assert_commented_out src/math.test.ts:13"],
    ],
    [
      "the matcher commented out inside the statement",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(sum).toBe(42);", "    expect(sum)/*.toBe(42)*/;"),
      ["assert_commented_out src/math.test.ts:7"],
    ],
    [
      "a // comment-out",
      "test/greet.test.js",
      JS_BEFORE,
      replace(JS_BEFORE, "  assert.ok(score(out) >= 0.9);", "  // assert.ok(score(out) >= 0.9);"),
      ["assert_commented_out test/greet.test.js:10", "assertion_removed test/greet.test.js:10"],
    ],
    // arithmetic
    ["0.9 → 0.9 - 0.8", "test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, ">= 0.9", ">= 0.9 - 0.8"), ["threshold_lowered test/greet.test.js:10"]],
    ["0.9 → (0.9 * 0)", "test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, ">= 0.9", ">= (0.9 * 0)"), ["threshold_lowered test/greet.test.js:10"]],
    [
      "toBeLessThan(50) → toBeLessThan(50 * 100)",
      "src/math.test.ts",
      replace(TS_BEFORE, "expect(sum).toBe(42);", "expect(sum).toBeLessThan(50);"),
      replace(TS_BEFORE, "expect(sum).toBe(42);", "expect(sum).toBeLessThan(50 * 100);"),
      ["threshold_lowered src/math.test.ts:7"],
    ],
    // a variable
    [
      "toBe(42) → toBe(expected), expected computed",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(sum).toBe(42);", "    const expected = add(40, 2);\n    expect(sum).toBe(expected);"),
      ["expected_replaced src/math.test.ts:8"],
    ],
    [
      "toBe(42) → toBe(sum) (the subject itself)",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(sum).toBe(42);", "    expect(sum).toBe(sum);"),
      ["expected_replaced src/math.test.ts:7"],
    ],
    [
      "toBe(42) → toBe(EXPECTED) imported from elsewhere",
      "src/math.test.ts",
      TS_BEFORE,
      replace(
        replace(TS_BEFORE, "    expect(sum).toBe(42);", "    expect(sum).toBe(EXPECTED);"),
        'import { add, parse } from "../src/math.js";',
        'import { add, parse, EXPECTED } from "../src/math.js";',
      ),
      ["expected_replaced src/math.test.ts:7"],
    ],
    [
      ">= 0.9 → >= min, min a lower constant",
      "test/greet.test.js",
      JS_BEFORE,
      replace(replace(JS_BEFORE, ">= 0.9", ">= min"), 'test("greets', 'const min = 0.1;\n\ntest("greets'),
      ["threshold_lowered test/greet.test.js:12"],
    ],
    [
      ">= 0.9 → >= min, min reassigned",
      "test/greet.test.js",
      JS_BEFORE,
      replace(replace(JS_BEFORE, ">= 0.9", ">= min"), "  const out", "  let min = 0.9;\n  min = 0;\n  const out"),
      ["expected_replaced test/greet.test.js:12"],
    ],
    // Python
    [
      "python: an if around an assert",
      "tests/test_calc.py",
      PY_BEFORE,
      replace(PY_BEFORE, "    assert total == 3", "    if False:\n        assert total == 3"),
      ["assertion_guarded tests/test_calc.py:7"],
    ],
    [
      "python: an early return",
      "tests/test_calc.py",
      PY_BEFORE,
      replace(PY_BEFORE, "    acc = accuracy()", "    acc = accuracy()\n    return"),
      ["assertion_unreachable tests/test_calc.py:13"],
    ],
    [
      "python: a docstring around asserts",
      "tests/test_calc.py",
      PY_BEFORE,
      replace(PY_BEFORE, "    assert total == 3\n    assert add(2, 2) == 4\n", '    """\n    assert total == 3\n    assert add(2, 2) == 4\n    """\n'),
      ["assert_commented_out tests/test_calc.py:6"],
    ],
    ["python: 0.9 → 0.9 - 0.8", "tests/test_calc.py", PY_BEFORE, replace(PY_BEFORE, ">= 0.9", ">= 0.9 - 0.8"), ["threshold_lowered tests/test_calc.py:12"]],
    [
      "python: == 3 → == expected, computed",
      "tests/test_calc.py",
      PY_BEFORE,
      replace(PY_BEFORE, "    assert total == 3", "    expected = add(1, 2)\n    assert total == expected"),
      ["expected_replaced tests/test_calc.py:7"],
    ],
  ])("%s", (_name, file, before, after, expected) => {
    const { withSources } = check(file, before, after);
    expect(withSources).toEqual(expected);
  });

  it("catches the one-line forms from the diff alone (no sources)", () => {
    expect(
      check("test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, "  assert.ok(score(out) >= 0.9);", "  if (false) assert.ok(score(out) >= 0.9);")).diffOnly,
    ).toEqual(["assertion_guarded test/greet.test.js:10"]);
    expect(
      check("test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, "  assert.equal(out.length, 3);", "  return;\n  assert.equal(out.length, 3);")).diffOnly,
    ).toContain("assertion_unreachable test/greet.test.js:9");
    expect(check("test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, ">= 0.9", ">= 0.9 - 0.8")).diffOnly).toEqual(["threshold_lowered test/greet.test.js:10"]);
  });

  it("names the replaced value and why it does not resolve", () => {
    const after = replace(TS_BEFORE, "    expect(sum).toBe(42);", "    const expected = add(40, 2);\n    expect(sum).toBe(expected);");
    const [finding] = detectTampering(gitDiff("src/math.test.ts", TS_BEFORE, after), { sources: (_f, side) => (side === "old" ? TS_BEFORE : after) }).findings;
    expect(finding?.message).toBe(
      "the expected value 42 was replaced by `expected`, which does not resolve to a constant: expected is defined as `add(40, 2)`, not as a literal",
    );
  });
});

describe("honest refactors are not findings", () => {
  it.each([
    [
      "a new test with an if and an early return",
      "test/greet.test.js",
      JS_BEFORE,
      `${JS_BEFORE}\ntest("windows paths", () => {\n  if (process.platform !== "win32") return;\n  if (process.env.CI) {\n    assert.equal(greet("C:"), "Hello, C:!");\n  }\n});\n`,
    ],
    [
      "a new assertion with the same text as an old one, under an if, in a new test",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "\n});\n", '\n\n  it("adds in CI", () => {\n    if (process.env.CI) expect(add(1, 2)).toBe(3);\n  });\n});\n'),
    ],
    [
      "an if that narrows, with an else that fails",
      "src/math.test.ts",
      TS_BEFORE,
      replace(
        TS_BEFORE,
        '    expect(r.value).toEqual({ op: "+", args: [1, 2] });',
        '    if (r.ok) {\n      expect(r.value).toEqual({ op: "+", args: [1, 2] });\n    } else {\n      throw new Error("parse failed");\n    }',
      ),
    ],
    [
      "a guard thrown, not returned",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(r.ok).toBe(true);", "    if (!r.ok) throw new Error(r.error);\n    expect(r.ok).toBe(true);"),
    ],
    [
      "assertions re-indented into a describe",
      "test/greet.test.js",
      JS_BEFORE,
      replace(JS_BEFORE, 'test("greets by name", () => {', 'test("greets by name", () => {\n  {').replace(
        "  assert.ok(score(out) >= 0.9);\n});",
        "  assert.ok(score(out) >= 0.9);\n  }\n});",
      ),
    ],
    [
      "a test moved below another",
      "src/math.test.ts",
      TS_BEFORE,
      TS_BEFORE.replace(
        / {2}it\("adds"[\s\S]*?\n {2}\}\);\n\n( {2}it\("parses"[\s\S]*?\n {2}\}\);\n)/u,
        (_m, parses: string) =>
          `${parses}\n  it("adds", () => {\n    const sum: number = add(40, 2);\n    expect(sum).toBe(42);\n    expect(add(1, 2)).toBe(3);\n  });\n`,
      ),
    ],
    [
      "assertions extracted into a helper the test calls",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    check();\n    function check() {\n      expect(add(1, 2)).toBe(3);\n    }"),
    ],
    [
      "assertions moved into a callback",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(add(1, 2)).toBe(3);", "    [1].forEach(() => {\n      expect(add(1, 2)).toBe(3);\n    });"),
    ],
    [
      "a constant extracted with the same value",
      "src/math.test.ts",
      TS_BEFORE,
      replace(replace(TS_BEFORE, "    expect(sum).toBe(42);", "    expect(sum).toBe(ANSWER);"), 'describe("math"', 'const ANSWER = 42;\n\ndescribe("math"'),
    ],
    [
      "a bound made stricter through a constant",
      "test/greet.test.js",
      JS_BEFORE,
      replace(replace(JS_BEFORE, ">= 0.9", ">= MIN"), 'test("greets', 'const MIN = 0.95;\n\ntest("greets'),
    ],
    ["a bound written as arithmetic with the same value", "test/greet.test.js", JS_BEFORE, replace(JS_BEFORE, ">= 0.9", ">= 9 / 10")],
    [
      "a changed expected literal (the existing policy)",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "expect(add(1, 2)).toBe(3);", "expect(add(1, 2)).toBe(4 - 1);"),
    ],
    [
      "prose about assertions in a comment",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(sum).toBe(42);", "    // No timing assertion here; the sum is what it should be.\n    expect(sum).toBe(42);"),
    ],
    [
      "a comment added next to an assertion",
      "src/math.test.ts",
      TS_BEFORE,
      replace(TS_BEFORE, "    expect(sum).toBe(42);", "    // the answer\n    expect(sum).toBe(42); /* see the spec */"),
    ],
    [
      "an existing if kept, its body re-indented",
      "src/math.test.ts",
      replace(TS_BEFORE, "    expect(r.ok).toBe(true);", "    if (r) {\n    expect(r.ok).toBe(true);\n    }"),
      replace(TS_BEFORE, "    expect(r.ok).toBe(true);", "    if (r) {\n      expect(r.ok).toBe(true);\n    }"),
    ],
    [
      "python: a new test with an if",
      "tests/test_calc.py",
      PY_BEFORE,
      `${PY_BEFORE}\n\ndef test_windows():\n    if sys.platform != "win32":\n        return\n    assert add(1, 2) == 3\n`,
    ],
    [
      "python: a constant extracted with the same value",
      "tests/test_calc.py",
      PY_BEFORE,
      replace(replace(PY_BEFORE, ">= 0.9", ">= MIN_ACCURACY"), "from calc import accuracy, add\n", "from calc import accuracy, add\n\nMIN_ACCURACY = 0.9\n"),
    ],
  ])("%s", (_name, file, before, after) => {
    const { withSources, diffOnly } = check(file, before, after);
    expect(withSources).toEqual([]);
    expect(diffOnly).toEqual([]);
  });

  it("resolves a constant defined outside the changed lines from the whole file (the diff alone cannot, and blocks)", () => {
    const before = `const MIN_SCORE = 0.9;\n\n\n\n\n${JS_BEFORE}`;
    const { withSources, diffOnly } = check("test/greet.test.js", before, replace(before, ">= 0.9", ">= MIN_SCORE"));
    expect(withSources).toEqual([]);
    expect(diffOnly).toEqual(["expected_replaced test/greet.test.js:15"]);
  });
});
