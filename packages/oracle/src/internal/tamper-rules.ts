/** What tamper detection looks for, as data: file classes and line patterns. */
import path from "node:path";

const TEST_PATH = [
  /(^|\/)(__tests__|tests?|specs?)\//u,
  /\.(test|spec)\.[cm]?[jt]sx?$/u,
  // A project's one test file at the root (`tape test.js`, `node test.js`), as the planner's inspection reads it.
  /^tests?\.[cm]?[jt]sx?$/u,
  /(^|\/)test_[^/]*\.py$/u,
  /_test\.py$/u,
  /_test\.go$/u,
  /(Test|Tests|IT)\.(java|kt)$/u,
  /_spec\.rb$/u,
];

export function isTestFile(file: string): boolean {
  return TEST_PATH.some((re) => re.test(file));
}

const SNAPSHOT_PATH = [/(^|\/)__snapshots__\//u, /(^|\/)__image_snapshots__\//u, /\.snap$/u, /\.ambr$/u, /\.golden$/u, /\.approved\.[^/]+$/u];

export function isSnapshotFile(file: string): boolean {
  return SNAPSHOT_PATH.some((re) => re.test(file));
}

/** Files that configure gates, test runners, coverage, linters or CI. */
const GATE_CONFIG_PATH = [
  /^\.omk\//u,
  /^\.github\/(workflows|actions)\//u,
  /^\.ci\//u,
  /(^|\/)\.gitlab-ci\.ya?ml$/u,
  /^\.circleci\//u,
  /^\.buildkite\//u,
  /(^|\/)azure-pipelines\.ya?ml$/u,
  /(^|\/)Jenkinsfile$/u,
  /(^|\/)\.pre-commit-config\.ya?ml$/u,
  /(^|\/)(vitest|vite|jest|karma|playwright|cypress|ava)\.(config|workspace|conf)\.[cm]?[jt]s$/u,
  /(^|\/)vitest\.workspace\.(json|[cm]?[jt]s)$/u,
  /(^|\/)\.mocharc(\.[a-z]+)?$/u,
  /(^|\/)(pytest\.ini|tox\.ini|noxfile\.py|conftest\.py|\.coveragerc)$/u,
  /(^|\/)(codecov|\.codecov)\.ya?ml$/u,
  /(^|\/)\.(nycrc|c8rc)(\.[a-z]+)?$/u,
  /(^|\/)biome\.jsonc?$/u,
  /(^|\/)(\.eslintrc(\.[a-z]+)?|eslint\.config\.[cm]?[jt]s)$/u,
  /(^|\/)\.golangci\.ya?ml$/u,
  /(^|\/)(clippy|\.clippy)\.toml$/u,
  /(^|\/)tsconfig(\.[^/]*)?\.json$/u,
];

export function isGateConfig(file: string): boolean {
  return GATE_CONFIG_PATH.some((re) => re.test(file));
}

/** A package.json script a gate is likely to run. */
export const GATE_SCRIPT_LINE = /^\s*"(test|lint|typecheck|type-check|check|build|ci|coverage|verify)(:[^"]*)?"\s*:/u;

const CONFIG_EXT = new Set([".json", ".jsonc", ".json5", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf"]);

/** Files whose numbers are settings (where a lowered number loosens a check), not code. */
export function isConfigLike(file: string): boolean {
  const base = path.posix.basename(file);
  return (
    CONFIG_EXT.has(path.posix.extname(file)) ||
    isGateConfig(file) ||
    /\.config\.[cm]?[jt]s$/u.test(base) ||
    /^\.[a-z0-9]+rc(\.[a-z]+)?$/u.test(base) ||
    /^(Makefile|justfile|\.coveragerc|setup\.cfg)$/u.test(base)
  );
}

/** The words of a setting's name: `coverageThreshold`, `fail_under`, `--max-warnings` → coverage threshold, fail under, max warnings. */
function words(key: string): Set<string> {
  return new Set(
    key
      .replace(/([a-z])([A-Z])/gu, "$1 $2")
      .toLowerCase()
      .split(/[^a-z]+/u)
      .filter((w) => w !== ""),
  );
}

const LOWER_WORDS = ["threshold", "thresholds", "coverage", "min", "minimum", "lines", "branches", "functions", "statements", "target", "ratio", "under"];

/** A setting where a lower number is a weaker check (coverage, thresholds, minimums). */
export function lowerIsLooser(key: string): boolean {
  const w = words(key);
  return LOWER_WORDS.some((x) => w.has(x));
}

/** A setting where a higher number is a weaker check (allowed warnings, tolerances, retries). */
export function higherIsLooser(key: string): boolean {
  const w = words(key);
  return (
    (w.has("max") && (w.has("warnings") || w.has("errors") || w.has("failures"))) ||
    w.has("tolerance") ||
    w.has("retry") ||
    w.has("retries") ||
    w.has("allowed")
  );
}

export const LOCKFILES: Readonly<Record<string, string>> = {
  "package-lock.json": "npm",
  "npm-shrinkwrap.json": "npm",
  "pnpm-lock.yaml": "npm",
  "yarn.lock": "npm",
  "bun.lock": "npm",
  "bun.lockb": "npm",
  "Cargo.lock": "cargo",
  "poetry.lock": "python",
  "uv.lock": "python",
  "Pipfile.lock": "python",
  "pdm.lock": "python",
  "go.sum": "go",
  "Gemfile.lock": "ruby",
  "composer.lock": "php",
  "mix.lock": "elixir",
  "Package.resolved": "swift",
  "gradle.lockfile": "gradle",
};

const MANIFESTS: ReadonlyArray<[RegExp, string]> = [
  [/^(package\.json|pnpm-workspace\.yaml|\.npmrc|\.yarnrc\.yml)$/u, "npm"],
  [/^Cargo\.toml$/u, "cargo"],
  [/^(pyproject\.toml|Pipfile|setup\.py|setup\.cfg|requirements[^/]*\.(txt|in))$/u, "python"],
  [/^go\.mod$/u, "go"],
  [/^(Gemfile|[^/]+\.gemspec)$/u, "ruby"],
  [/^composer\.json$/u, "php"],
  [/^mix\.exs$/u, "elixir"],
  [/^Package\.swift$/u, "swift"],
  [/^build\.gradle(\.kts)?$/u, "gradle"],
];

export function manifestEcosystem(file: string): string | undefined {
  const base = path.posix.basename(file);
  return MANIFESTS.find(([re]) => re.test(base))?.[1];
}

export type SkipRule = { readonly pattern: RegExp; readonly kind: "test_skipped" | "test_focused"; readonly files: (file: string) => boolean };

const jsTest = (file: string) => isTestFile(file) && /\.[cm]?[jt]sx?$/u.test(file);
const py = (file: string) => file.endsWith(".py");
const goTest = (file: string) => file.endsWith("_test.go");
const rust = (file: string) => file.endsWith(".rs");
const jvm = (file: string) => /\.(java|kt)$/u.test(file);
const rubySpec = (file: string) => isTestFile(file) && file.endsWith(".rb");

export const SKIP_RULES: readonly SkipRule[] = [
  // Chained modifiers too (`it.concurrent.skip`), vitest's `runIf(false)` and `fails` (passes when the test fails).
  { pattern: /\b(it|test|describe|suite|context|specify|bench)(\.\w+)*\.(skip|todo|skipIf|runIf|fails)\b/u, kind: "test_skipped", files: jsTest },
  { pattern: /\b(xit|xtest|xdescribe|xcontext|xspecify)\s*\(/u, kind: "test_skipped", files: jsTest },
  { pattern: /\b(skip|todo)\s*:\s*(true|["'`])/u, kind: "test_skipped", files: jsTest },
  { pattern: /\b(this|t|ctx|context)\.skip\s*\(/u, kind: "test_skipped", files: jsTest },
  { pattern: /\b(it|test|describe|suite|context)(\.\w+)*\.only\b/u, kind: "test_focused", files: jsTest },
  { pattern: /\b(fit|fdescribe)\s*\(/u, kind: "test_focused", files: jsTest },
  { pattern: /@pytest\.mark\.(skip|skipif|xfail)\b/u, kind: "test_skipped", files: py },
  { pattern: /@unittest\.(skip|skipIf|skipUnless|expectedFailure)\b/u, kind: "test_skipped", files: py },
  { pattern: /\b(pytest\.skip|self\.skipTest)\s*\(/u, kind: "test_skipped", files: py },
  { pattern: /\b[tb]\.(Skip|Skipf|SkipNow)\s*\(/u, kind: "test_skipped", files: goTest },
  { pattern: /#\[ignore\b/u, kind: "test_skipped", files: rust },
  { pattern: /@(Disabled|Ignore)\b/u, kind: "test_skipped", files: jvm },
  { pattern: /^\s*(xit|skip|pending)\b/u, kind: "test_skipped", files: rubySpec },
];

/** A line that declares a test; the test's name is its last group (Rust's `#[test]` has none: counted). */
const TEST_DECLARATIONS: ReadonlyArray<[RegExp, (file: string) => boolean]> = [
  [/\b(?:[xf]?it|x?test|x?specify)(?:\.\w+(?:\([^()]*\))?)*\s*\(\s*(["'`])(.+?)\1/u, jsTest],
  [/^\s*(?:async\s+)?def\s+(test_\w+)\s*\(/u, py],
  [/^\s*func\s+(Test\w+)\s*\(/u, goTest],
  [/^\s*#\[(?:tokio::)?(test)\]/u, rust],
  [/^\s*@(Test)\b/u, jvm],
];

export function testName(line: string, file: string): string | undefined {
  for (const [re, applies] of TEST_DECLARATIONS) {
    if (!applies(file)) continue;
    const m = re.exec(line);
    if (m !== null) return m[m.length - 1];
  }
  return undefined;
}

export const ASSERTION =
  /\b(expect\s*\(|assert(_eq|_ne)?!?\s*[(\w]|assert\b|t\.(Error|Errorf|Fatal|Fatalf)\s*\(|require\.\w+\s*\(|self\.assert\w*\s*\(|should\b)/u;
/**
 * A comment's text that is code asserting something, not prose about assertions: it starts with the
 * assertion (`expect(`, `assert.equal(`, `assert x`, `self.assertEqual(`, `t.Fatal(`, `x.should`).
 * "No timing assertion here" or "as it should be" is prose.
 */
export const COMMENTED_ASSERTION =
  /^(?:await\s+)?(?:expect\s*\(|assert(?:_eq|_ne)?!?\s*\(|assert(?:\.\w+)+\s*\(|assert\s+\S|self\.assert\w*\s*\(|t\.(?:Error|Errorf|Fatal|Fatalf)\s*\(|require\.\w+\s*\(|[\w$.()[\]]+\.should\b)/u;
/** A comment line (a Rust attribute `#[...]` or a shebang is not one). */
export const COMMENTED = /^\s*(\/\/+|#+(?![[!])|\/\*+|\*+|--)\s*/u;

/**
 * How a number in a test line bounds the check, read from what is around it:
 * `x >= 0.9`, `toBeGreaterThan(100)`, `0.9 <= x` (a lower number lets more
 * through), `x < 50`, `toBeLessThan(50)` (a higher one does), or a test
 * timeout (`timeout: 5000`, `this.timeout(2000)`, `jest.setTimeout(5000)`,
 * `}, 5000);` after a test's body, `@pytest.mark.timeout(5)`): a higher one,
 * or 0 (no timeout), lets a slow or hanging test through.
 */
export type NumberBound = "lower_is_looser" | "higher_is_looser" | "timeout";

const TIMEOUT_BEFORE = [
  /timeout\w*["']?\s*[:=]\s*$/iu,
  /\b(jest|vi|this|t|ctx|mocha|test|it|describe|suite)\.(setTimeout|timeout)\(\s*$/u,
  /@pytest\.mark\.timeout\(\s*(timeout\s*=\s*)?$/u,
  /\bwithTimeout\(\s*$/u,
];
/** A test's per-test timeout as the last argument after its body: `}, 5000);`. */
const TRAILING_TIMEOUT = /^\s*\}\s*\)?\s*,\s*$/u;

export function numberBound(line: string, at: number, length: number): NumberBound | undefined {
  const before = line.slice(0, at);
  const after = line.slice(at + length);
  if (TIMEOUT_BEFORE.some((re) => re.test(before))) return "timeout";
  if (TRAILING_TIMEOUT.test(before) && /^\s*\)\s*;?\s*$/u.test(after)) return "timeout";
  if (
    /\b(toBeGreaterThan(OrEqual)?|isAbove|isAtLeast|above|least|gte?)\(\s*$/u.test(before) ||
    /\bassertGreater(Equal)?\([^,()]*,\s*$/u.test(before) ||
    /(?<![<>=!])>=?\s*$/u.test(before)
  )
    return "lower_is_looser";
  if (
    /\b(toBeLessThan(OrEqual)?|isBelow|isAtMost|below|most|lte?)\(\s*$/u.test(before) ||
    /\bassertLess(Equal)?\([^,()]*,\s*$/u.test(before) ||
    /(?<![<>=!])<=?\s*$/u.test(before)
  )
    return "higher_is_looser";
  if (/^\s*<=?(?![<=])/u.test(after)) return "lower_is_looser";
  if (/^\s*>=?(?![>=])/u.test(after)) return "higher_is_looser";
  return undefined;
}

/** Strict forms of an assertion and their loose twins (the loose one lets `1 == "1"` or a prototype mismatch through). */
const STRICT_TO_LOOSE: ReadonlyArray<[RegExp, string]> = [
  [/\bnotDeepStrictEqual\b/gu, "notDeepEqual"],
  [/\bdeepStrictEqual\b/gu, "deepEqual"],
  [/\bnotStrictEqual\b/gu, "notEqual"],
  [/\bstrictEqual\b/gu, "equal"],
  [/\btoStrictEqual\b/gu, "toEqual"],
  [/===/gu, "=="],
  [/!==/gu, "!="],
  [/(["'`])(node:)?assert\/strict\1/gu, "$1$2assert$1"],
  [/\bassert\.strict\b/gu, "assert"],
];

/** `line` with every strict form made loose, and how many it had. */
export function loosened(line: string): { text: string; strict: number } {
  let text = line;
  let strict = 0;
  for (const [re, loose] of STRICT_TO_LOOSE) {
    text = text.replace(re, (...args: unknown[]) => {
      strict += 1;
      const match = args[0] as string;
      return match.replace(new RegExp(re.source, "u"), loose);
    });
  }
  return { text, strict };
}

/** An assertion of one exact value, with its subject: `expect(s).toBe(5)`, `assert.equal(s, 5)`, `self.assertEqual(s, 5)`, `assert s == 5`. */
const EXACT: readonly RegExp[] = [
  /\bexpect\((?<subject>.+?)\)\.(?:toBe|toEqual|toStrictEqual|toHaveLength)\(/u,
  /\bassert(?:\.strict)?\.(?:strictEqual|equal|deepStrictEqual|deepEqual)\(\s*(?<subject>[^,]+?)\s*,/u,
  /\bself\.assert(?:Equal|Equals|ListEqual|DictEqual)\(\s*(?<subject>[^,]+?)\s*,/u,
  /^\s*assert\s+(?<subject>.+?)\s*==(?!=)/u,
  /\bassert_eq!\(\s*(?<subject>[^,]+?)\s*,/u,
];
/** An assertion that accepts a range or any truthy value. */
const RANGE: readonly RegExp[] = [
  /\.(?:toBeGreaterThan|toBeGreaterThanOrEqual|toBeLessThan|toBeLessThanOrEqual|toBeCloseTo|toBeTruthy|toBeDefined|toBeFalsy|toMatch|toContain|toBeInstanceOf)\(/u,
  /\.not\.(?:toBeNull|toBeUndefined|toBe|toEqual)\(/u,
  /\bassert(?:\.ok)?\(/u,
  /\bself\.assert(?:Greater|GreaterEqual|Less|LessEqual|AlmostEqual|True|IsNotNone|In)\(/u,
  /^\s*assert\s+[^=]*?(?:[<>]=?|\bin\b|\bis not None\b)/u,
  /^\s*assert\s+[\w.()[\]]+\s*$/u,
  /\bassert!\(/u,
];

export function exactSubject(line: string): string | undefined {
  for (const re of EXACT) {
    const m = re.exec(line);
    const subject = m?.groups?.["subject"]?.trim();
    if (subject !== undefined && subject !== "") return subject;
  }
  return undefined;
}

/** Whether `line` asserts a range (or truthiness) of `subject` rather than one value. */
export function assertsRangeOf(line: string, subject: string): boolean {
  return line.includes(subject) && exactSubject(line) === undefined && RANGE.some((re) => re.test(line));
}
