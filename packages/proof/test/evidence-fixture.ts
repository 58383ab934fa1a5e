// A tiny real project for the evidence tests: node:test tests, a lint script, .omk/gates.yaml.
import { freeze } from "@omk/oracle";
import type { Criterion, FrozenOracle } from "@omk/state";
import { commitFiles, initGitRepo } from "@omk/test-fixtures";

export const TEST_ARGV = ["node", "--test", "--test-reporter=junit", "--test-reporter-destination=junit.xml"];

const GATES_YAML = `version: 1
gates:
  - name: tests
    kind: test
    command: [${TEST_ARGV.join(", ")}]
    junit: junit.xml
    timeout: 60
  - name: lint
    kind: lint
    command: [node, lint.mjs]
    timeout: 60
`;

// Fails when a source file holds the word TODO.
const LINT = `import { readdirSync, readFileSync } from "node:fs";
const bad = readdirSync(".").filter((f) => f.endsWith(".mjs") && f !== "lint.mjs" && readFileSync(f, "utf8").includes("TO" + "DO"));
if (bad.length > 0) { console.error("lint: TODO in " + bad.join(", ")); process.exit(1); }
console.log("lint: clean");
`;

const BASE_FILES: Record<string, string> = {
  ".gitignore": "junit.xml\n",
  ".omk/gates.yaml": GATES_YAML,
  "lint.mjs": LINT,
  "lib.mjs": "export const add = (a, b) => a + b;\n",
  "add.test.mjs": `import test from "node:test";\nimport assert from "node:assert/strict";\nimport * as lib from "./lib.mjs";\ntest("adds numbers", () => { assert.equal(lib.add(2, 3), 5); });\n`,
};

/** The feature: mul, with its tagged acceptance test (a namespace import, so on the base's code the case fails rather than the file). */
const FEATURE_FILES: Record<string, string> = {
  "lib.mjs": "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a * b;\n",
  "mul.test.mjs": `import test from "node:test";\nimport assert from "node:assert/strict";\nimport * as lib from "./lib.mjs";\ntest("mul multiplies [oracle:acceptance-tests]", () => { assert.equal(lib.mul(2, 3), 6); });\n`,
};

/** A base commit and a head commit with the feature. */
export async function featureRepo(dir: string): Promise<{ base: string; head: string }> {
  await initGitRepo(dir, { ".gitignore": BASE_FILES[".gitignore"] as string });
  const withProject = await commitFiles(dir, BASE_FILES, "project");
  const head = await commitFiles(dir, FEATURE_FILES, "feature: mul");
  return { base: withProject, head };
}

const CRITERIA: Criterion[] = [
  {
    id: "acceptance-tests",
    kind: "test_case",
    description: "mul is specified by a tagged acceptance test",
    mustFailOnBase: true,
    run: { command: TEST_ARGV, case: { name: "[oracle:acceptance-tests]", match: "contains" } },
  },
  {
    id: "plain-runner",
    kind: "test_case",
    description: "the add test passes under a plain node --test (no gate runs this argv)",
    mustFailOnBase: false,
    run: { command: ["node", "--test"], case: { name: "adds numbers", match: "contains" } },
  },
  {
    id: "smoke",
    kind: "command",
    description: "lib loads",
    mustFailOnBase: false,
    run: { command: ["node", "-e", "import('./lib.mjs').then((m) => process.exit(typeof m.add === 'function' ? 0 : 1))"], cwd: "." },
  },
  {
    id: "same-output",
    kind: "golden",
    description: "add prints the same",
    mustFailOnBase: false,
    run: { command: ["node", "-e", "import('./lib.mjs').then((m) => console.log(m.add(2, 2)))"], compare: "stdout" },
  },
  { id: "gate-tests", kind: "gate", description: "the tests gate passes", mustFailOnBase: false, run: { gate: "tests" } },
  {
    id: "review",
    kind: "review",
    description: "a reviewer approves",
    mustFailOnBase: false,
    run: { reviewer: "reviewer", checklist: ["does what the goal asks"] },
  },
];

export function frozenOracle(criteria: Criterion[] = CRITERIA): FrozenOracle {
  const frozen = freeze({ schemaVersion: 1, goalClass: "feature", classes: ["feature"], criteria });
  if (!frozen.ok) throw new Error(frozen.error.message);
  return frozen.value;
}
