// How the oracle gets per-test cases from a test command with no .omk/ config: the runner behind the
// command is found by @omk/gates (tests: {format: auto}); a command it cannot read is known before running.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { GatesConfigSchema } from "@omk/gates";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { runTests, testEvidenceFor } from "../src/evidence/runs.js";

afterAll(() => cleanupTempDirs());

function repo(scripts: Record<string, string>, files: Record<string, string>): string {
  const root = makeTempDir("omk-oracle-tests-");
  writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "x", private: true, type: "module", scripts }));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  return root;
}
const ctx = (root: string) => ({ env: process.env, timeoutMs: 120_000, logDir: path.join(root, "..", `${path.basename(root)}-logs`) });

describe("runTests / testEvidenceFor", () => {
  it("`npm run test` whose script is `node --test <folder>` gives its cases (red and green), run by real npm", { timeout: 120_000 }, async () => {
    const root = repo(
      { test: "node --test ." },
      {
        "a.test.js":
          'import test from "node:test";\nimport assert from "node:assert";\ntest("[oracle:regression-test] holds", () => {});\ntest("breaks", () => assert.equal(1, 2));\n',
      },
    );
    expect(testEvidenceFor(root, ["npm", "run", "test"], undefined)).toMatchObject({ ok: true, how: expect.stringMatching(/^node:test/) });
    const run = await runTests(root, ["npm", "run", "test"], undefined, makeTempDir("omk-oracle-tests-out-"), ctx(root));
    expect(run.outcome).toBe("failed");
    expect(run.cases).toEqual([
      { classname: expect.any(String), name: "[oracle:regression-test] holds", status: "passed" },
      { classname: expect.any(String), name: "breaks", status: "failed" },
    ]);
  });

  it("a script OMK cannot read is known before running, with the config line that fixes it; that config then works", { timeout: 120_000 }, async () => {
    const tap = 'console.log("TAP version 13\\nok 1 - adds\\nnot ok 2 - breaks\\n1..2"); process.exit(1);\n';
    const root = repo({ test: "node run-tests.js" }, { "run-tests.js": tap });
    const before = testEvidenceFor(root, ["npm", "test"], undefined);
    expect(before).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/no test runner OMK knows/),
      fix: expect.stringMatching(/tests: \{ format: tap \}/),
    });
    const config = GatesConfigSchema.parse({ gates: [{ name: "test", kind: "test", command: ["npm", "test"], tests: { format: "tap" } }] });
    expect(testEvidenceFor(root, ["npm", "test"], config)).toMatchObject({ ok: true });
    const run = await runTests(root, ["npm", "test"], config, makeTempDir("omk-oracle-tests-out-"), ctx(root));
    expect(run.cases.map((c) => [c.name, c.status])).toEqual([
      ["adds", "passed"],
      ["breaks", "failed"],
    ]);
  });

  it("a piped script gets no cases and says why", { timeout: 120_000 }, async () => {
    const root = repo({ test: "node --test . | cat" }, { "a.test.js": 'import test from "node:test";\ntest("x", () => {});\n' });
    expect(testEvidenceFor(root, ["npm", "test"], undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/shell syntax/) });
    const run = await runTests(root, ["npm", "test"], undefined, makeTempDir("omk-oracle-tests-out-"), ctx(root));
    expect(run.cases).toEqual([]);
    expect(run.note).toMatch(/no per-test cases: .*shell syntax/);
  });
});
