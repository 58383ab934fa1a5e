/**
 * Per-test evidence with no config, against the real runners from the npm
 * registry: each runner's project has one passing and one failing test,
 * run through `npm test` as a detected gate (tests: {format: auto}). The
 * runners are installed once for this file into a shared temp folder; each
 * project links its node_modules there.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectGates, type GateResult, runGates } from "../src/index.js";

afterAll(cleanupTempDirs);

/** Pinned runner versions (the ones the parser fixtures were captured from). */
const RUNNERS = { tape: "5.10.2", mocha: "12.0.3", jest: "30.5.2", ava: "7.0.0", vitest: "4.1.12", c8: "12.0.0", tap: "21.8.0" };
let modules = "";
const HAS_PYTEST = (() => {
  try {
    execFileSync("python3", ["-m", "pytest", "--version"], { stdio: "ignore", timeout: 120_000 }); // generous: a probe timing out on a busy machine would skip the pytest cases
    return true;
  } catch {
    return false;
  }
})();

beforeAll(() => {
  const shared = makeTempDir("gates-runners-");
  writeFileSync(path.join(shared, "package.json"), JSON.stringify({ name: "runners", version: "1.0.0", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...Object.entries(RUNNERS).map(([n, v]) => `${n}@${v}`)], {
    cwd: shared,
    stdio: "pipe",
    timeout: 600_000,
  });
  modules = path.join(shared, "node_modules");
}, 660_000);

type Project = { script: string; type?: "module" | "commonjs"; files: Record<string, string>; extraScripts?: Record<string, string> };

function project(p: Project): string {
  const dir = makeTempDir("gates-runner-project-");
  symlinkSync(modules, path.join(dir, "node_modules"), "dir");
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "p", version: "1.0.0", type: p.type ?? "commonjs", scripts: { test: p.script, ...p.extraScripts } }),
  );
  for (const [rel, text] of Object.entries(p.files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** Detect the gates (no config), run the test gate, return its result. */
async function runDetectedTest(dir: string): Promise<GateResult> {
  const detected = detectGates(dir);
  if (!detected.ok) throw detected.error;
  const test = detected.value.config.gates.find((g) => g.kind === "test");
  expect(test?.tests).toEqual({ format: "auto" });
  const report = await runGates({
    root: dir,
    config: { version: 1, gates: [test as NonNullable<typeof test>] },
    outDir: makeTempDir("gates-runner-out-"),
    killGraceMs: 500,
  });
  return report.gates[0] as GateResult;
}

/** The defaults a parsed gate has (the config schema's). */
const gateDefaults = { shell: false, cwd: ".", env: [], required: true, timeout: 300_000, retries: 0, needs: [], toolVersion: false, ignore: [] };

const outcomes = (gate: GateResult) => Object.fromEntries((gate.tests ?? []).map((c) => [c.id, c.outcome]));

const CJS_PAIR = (lib: string, head: string) =>
  `${head}\n${lib}('adds', () => { assert.equal(1 + 1, 2); });\n${lib}('subtracts badly', () => { assert.equal(2 - 1, 2); });\n`;

const CASES: Array<{ name: string; project: Project; expected: Record<string, string> }> = [
  {
    name: "node:test (node --test with a folder)",
    project: {
      script: "node --test test/",
      type: "module",
      files: { "test/a.test.js": CJS_PAIR("test", "import { test } from 'node:test';\nimport assert from 'node:assert';") },
    },
    expected: { "test::adds": "passed", "test::subtracts badly": "failed" },
  },
  {
    name: "node:test run as a plain file (node test.js)",
    project: {
      script: "node test.js",
      type: "module",
      files: { "test.js": CJS_PAIR("test", "import { test } from 'node:test';\nimport assert from 'node:assert';") },
    },
    expected: { "test::adds": "passed", "test::subtracts badly": "failed" },
  },
  {
    name: "tape (c8 wrapper, glob)",
    project: {
      script: "c8 --reporter=text tape test/*.js",
      files: {
        "test/a.js":
          "const test = require('tape');\ntest('adds', (t) => { t.equal(1 + 1, 2); t.end(); });\ntest('subtracts badly', (t) => { t.equal(2 - 1, 2); t.end(); });\n",
      },
    },
    expected: { "tape::adds": "passed", "tape::subtracts badly": "failed" },
  },
  {
    name: "mocha (bare, in a chain after another script)",
    project: {
      script: "npm run lint && mocha",
      extraScripts: { lint: "node -e 0" },
      files: {
        "test/a.js":
          "const assert = require('assert');\ndescribe('math', () => { it('adds', () => assert.equal(1 + 1, 2)); it('subtracts badly', () => assert.equal(2 - 1, 2)); });\n",
      },
    },
    expected: { "math::adds": "passed", "math::subtracts badly": "failed" },
  },
  {
    name: "jest (with an option)",
    project: {
      script: "jest --ci",
      files: {
        "test/a.test.js": "describe('math', () => { test('adds', () => expect(1 + 1).toBe(2)); test('subtracts badly', () => expect(2 - 1).toBe(2)); });\n",
      },
    },
    expected: { "test/a.test.js::math > adds": "passed", "test/a.test.js::math > subtracts badly": "failed" },
  },
  {
    name: "ava",
    project: {
      script: "ava",
      type: "module",
      files: { "test/a.js": "import test from 'ava';\ntest('adds', (t) => { t.is(1 + 1, 2); });\ntest('subtracts badly', (t) => { t.is(2 - 1, 2); });\n" },
    },
    expected: { "ava::adds": "passed", "ava::subtracts badly": "failed" },
  },
  {
    name: "node-tap (tap)",
    project: {
      script: "tap --disable-coverage",
      files: {
        "test/a.js":
          "const t = require('tap');\nt.test('adds', async (t) => { t.equal(1 + 1, 2); });\nt.test('subtracts badly', async (t) => { t.equal(2 - 1, 2); });\n",
      },
    },
    expected: { "tap::test/a.js > adds": "passed", "tap::test/a.js > subtracts badly": "failed" },
  },
  {
    name: "vitest (vitest run)",
    project: {
      script: "vitest run",
      type: "module",
      files: {
        "test/a.test.js":
          "import { describe, it, expect } from 'vitest';\ndescribe('math', () => { it('adds', () => expect(1 + 1).toBe(2)); it('subtracts badly', () => expect(2 - 1).toBe(2)); });\n",
      },
    },
    expected: { "test/a.test.js::math > adds": "passed", "test/a.test.js::math > subtracts badly": "failed" },
  },
  {
    // @fastify/forwarded's shape: node:test (under c8) in a nested script first, then another runner last: the cases of both
    name: "a chain: node:test under c8 in a nested script first (NODE_OPTIONS), jest the last command (its trailing argument)",
    project: {
      script: "npm run unit && jest jest/",
      extraScripts: { unit: "c8 node --test unit/a.test.js" },
      files: {
        "unit/a.test.js":
          "const { test } = require('node:test');\nconst assert = require('node:assert');\ntest('unit adds', () => { assert.equal(1 + 1, 2); });\n",
        "jest/a.test.js": "describe('math', () => { test('adds', () => expect(1 + 1).toBe(2)); test('subtracts badly', () => expect(2 - 1).toBe(2)); });\n",
      },
    },
    expected: { "test::unit adds": "passed", "jest/a.test.js::math > adds": "passed", "jest/a.test.js::math > subtracts badly": "failed" },
  },
  {
    // process-warning's shape: jest in the middle gives no cases (no trailing argument reaches it); node:test's are had
    name: "a chain with jest in the middle: node:test's cases (jest not had)",
    project: {
      script: "npm run unit && npm run jest && npm run types",
      extraScripts: { unit: "node --test unit/a.test.js", jest: "jest jest/", types: "node -e 0" },
      files: {
        "unit/a.test.js": CJS_PAIR("test", "const { test } = require('node:test');\nconst assert = require('node:assert');"),
        "jest/a.test.js": "test('never run', () => expect(1).toBe(1));\n",
      },
    },
    expected: { "test::adds": "passed", "test::subtracts badly": "failed" },
  },
];

describe("per-test cases from `npm test` with the real runners", () => {
  for (const c of CASES) {
    it(`${c.name}: both cases, with their outcomes; the gate fails`, { timeout: 180_000 }, async () => {
      const gate = await runDetectedTest(project(c.project));
      expect(gate.outcome).toBe("failed");
      expect(outcomes(gate)).toEqual(c.expected);
      expect(gate.junit).toBeDefined();
      expect(gate.notes.some((n) => n.startsWith("per-test cases: "))).toBe(true);
    });
  }

  it("hostile: a failing tape test that prints a fake TAP pass does not pass; the gate still fails", { timeout: 180_000 }, async () => {
    const dir = project({
      script: "tape test/*.js",
      files: {
        "test/a.js":
          "const test = require('tape');\ntest('adds', (t) => { t.equal(1 + 1, 2); t.end(); });\ntest('subtracts badly', (t) => { console.log('ok 2 - should be 2'); console.log('# subtracts badly'); t.equal(2 - 1, 2, 'should be 2'); t.end(); });\n",
      },
    });
    const gate = await runDetectedTest(dir);
    expect(gate.outcome).toBe("failed");
    expect(gate.tests?.some((t) => t.id.includes("subtracts badly") && t.outcome === "passed")).not.toBe(true);
    // The forged line breaks tape's numbering: no case is trusted, and the note says why.
    expect(gate.tests).toBeUndefined();
    expect(gate.notes.join("\n")).toMatch(/TAP point|plan/);
  });

  it("hostile: a mocha test printing TAP and xunit-looking lines cannot touch the report file", { timeout: 180_000 }, async () => {
    const dir = project({
      script: "mocha",
      files: {
        "test/a.js":
          "const assert = require('assert');\ndescribe('math', () => { it('subtracts badly', () => { console.log('ok 1 - subtracts badly'); console.log('<testcase classname=\"math\" name=\"subtracts badly\"/>'); assert.equal(2 - 1, 2); }); });\n",
      },
    });
    const gate = await runDetectedTest(dir);
    expect(gate.outcome).toBe("failed");
    expect(outcomes(gate)).toEqual({ "math::subtracts badly": "failed" });
  });

  it("pnpm test (vitest) and yarn test (jest): the reporter flags go after the script name; real pnpm 10 and yarn 1", { timeout: 300_000 }, async () => {
    // pnpm and yarn are not installed on this machine: shims run the real ones from the registry through npx.
    const shims = makeTempDir("gates-pm-shims-");
    for (const [bin, pkg] of [
      ["pnpm", "pnpm@10"],
      ["yarn", "yarn@1.22.22"],
    ]) {
      writeFileSync(path.join(shims, bin as string), `#!/bin/sh\nexec npx -y ${pkg} "$@"\n`, { mode: 0o755 });
    }
    const env = { ...process.env, PATH: `${shims}${path.delimiter}${process.env["PATH"] ?? ""}` };
    const run = async (dir: string, command: string[]) => {
      const report = await runGates({
        root: dir,
        config: { version: 1, gates: [{ ...gateDefaults, name: "test", kind: "test", command, tests: { format: "auto" } }] },
        outDir: makeTempDir("gates-runner-out-"),
        env,
      });
      return report.gates[0] as GateResult;
    };
    const vitest = CASES.find((c) => c.name.startsWith("vitest")) as (typeof CASES)[number];
    const pnpm = await run(project(vitest.project), ["pnpm", "test"]);
    expect(pnpm.outcome).toBe("failed");
    expect(outcomes(pnpm)).toEqual(vitest.expected);
    const jest = CASES.find((c) => c.name.startsWith("jest")) as (typeof CASES)[number];
    const yarn = await run(project(jest.project), ["yarn", "test"]);
    expect(yarn.outcome).toBe("failed");
    expect(outcomes(yarn)).toEqual(jest.expected);
  });

  // pytest comes from PyPI, which this machine kind cannot reach: the test runs where pytest is installed (it is here).
  it.skipIf(!HAS_PYTEST)("pytest (detected from pytest.ini): both cases through --junitxml", { timeout: 120_000 }, async () => {
    const dir = makeTempDir("gates-pytest-");
    writeFileSync(path.join(dir, "pytest.ini"), "[pytest]\n");
    writeFileSync(path.join(dir, "test_math.py"), "def test_adds():\n    assert 1 + 1 == 2\n\ndef test_subtracts_badly():\n    assert 2 - 1 == 2\n");
    const gate = await runDetectedTest(dir);
    expect(gate.outcome).toBe("failed");
    expect(outcomes(gate)).toEqual({ "test_math::test_adds": "passed", "test_math::test_subtracts_badly": "failed" });
  });

  it("cargo test (detected from Cargo.toml): every binary's cases, offline", { timeout: 300_000 }, async () => {
    const dir = makeTempDir("gates-cargo-");
    mkdirSync(path.join(dir, "src"));
    mkdirSync(path.join(dir, "tests"));
    writeFileSync(path.join(dir, "Cargo.toml"), '[package]\nname = "adder"\nversion = "0.1.0"\nedition = "2021"\n');
    writeFileSync(
      path.join(dir, "src", "lib.rs"),
      'pub fn add(a: i32, b: i32) -> i32 { a + b }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn adds() { assert_eq!(add(1, 1), 2); }\n    #[test]\n    fn subtracts_badly() { println!("test tests::subtracts_badly ... ok"); assert_eq!(add(1, 0), 2); }\n}\n',
    );
    writeFileSync(path.join(dir, "tests", "it.rs"), "#[test]\nfn adds_too() { assert_eq!(adder::add(2, 2), 4); }\n");
    const detected = detectGates(dir);
    if (!detected.ok) throw detected.error;
    const test = detected.value.config.gates.find((g) => g.kind === "test");
    const config = { version: 1 as const, gates: [{ ...(test as NonNullable<typeof test>), command: ["cargo", "test", "--offline"] }] };
    const report = await runGates({ root: dir, config, outDir: makeTempDir("gates-runner-out-"), env: { ...process.env, RUST_BACKTRACE: "0" } });
    const gate = report.gates[0] as GateResult;
    expect(gate.outcome).toBe("failed");
    // The forged line is in the failing test's captured output: the counts disagree, nothing is trusted.
    expect(gate.tests).toBeUndefined();
    expect(gate.notes.join("\n")).toMatch(/do not add up/);
    writeFileSync(
      path.join(dir, "src", "lib.rs"),
      "pub fn add(a: i32, b: i32) -> i32 { a + b }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn adds() { assert_eq!(add(1, 1), 2); }\n    #[test]\n    fn subtracts_badly() { assert_eq!(add(1, 0), 2); }\n}\n",
    );
    const again = await runGates({ root: dir, config, outDir: makeTempDir("gates-runner-out-"), env: { ...process.env, RUST_BACKTRACE: "0" } });
    expect(outcomes(again.gates[0] as GateResult)).toEqual({ "tests::adds": "passed", "tests::subtracts_badly": "failed", adds_too: "passed" });
  });

  it("a script with shell syntax that is not read gets no cases, and the note names the fix", { timeout: 60_000 }, async () => {
    const gate = await runDetectedTest(
      project({ script: "tape test/*.js | cat", files: { "test/a.js": "require('tape')('adds', (t) => { t.ok(true); t.end(); });\n" } }),
    );
    expect(gate.outcome).toBe("passed");
    expect(gate.tests).toBeUndefined();
    expect(gate.notes.join("\n")).toMatch(/no per-test cases: .*tests: \{ format: tap \}/);
  });
});
