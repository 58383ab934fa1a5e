// The fixture repository of the end-to-end tests: a tiny Node project with no dependencies.
// Its tests run with `node --test`, writing a JUnit report the test gate hands to the oracle.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { initGitRepo, makeTempDir } from "@omk/test-fixtures";

/** The gate's test command: spec output on stdout (the log), JUnit into junit.xml (the cases). */
export const TEST_COMMAND = [
  process.execPath,
  "--test",
  "--test-reporter=spec",
  "--test-reporter-destination=stdout",
  "--test-reporter=junit",
  "--test-reporter-destination=junit.xml",
];

/** The name of the one required gate. */
export const TEST_GATE = "test";

export const GREET_SOURCE = `/** A greeting for someone. */
export function greet(name) {
  return \`Hello, \${name}!\`;
}
`;

const GREET_TEST = `import assert from "node:assert/strict";
import test from "node:test";
import { greet } from "../src/greet.js";

test("greet says hello by name", () => {
  assert.equal(greet("Ada"), "Hello, Ada!");
});
`;

const GATES_YAML = `# The verification wall of the fixture: one required test gate.
gates:
  - name: ${TEST_GATE}
    kind: test
    command: ${JSON.stringify(TEST_COMMAND)}
    junit: junit.xml
    timeout: 60s
`;

/** The files of the fixture at its base commit. */
export function greeterFiles(): Record<string, string> {
  return {
    "README.md": "# greeter\n\nGreets people. Run the tests with `node --test`.\n",
    "package.json": `${JSON.stringify({ name: "greeter", version: "1.0.0", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
    ".gitignore": "junit.xml\nnode_modules/\n",
    "src/greet.js": GREET_SOURCE,
    "test/greet.test.js": GREET_TEST,
    ".omk/gates.yaml": GATES_YAML,
  };
}

/** A fresh git repository holding the greeter project, committed on main; returns its dir and base commit. */
export async function greeterRepo(): Promise<{ repo: string; base: string }> {
  const repo = makeTempDir("omk-e2e-repo-");
  const files = greeterFiles();
  for (const name of Object.keys(files)) mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
  // initGitRepo writes the files (relative paths; folders made above) and commits them.
  const base = await initGitRepo(repo, files);
  return { repo, base };
}
