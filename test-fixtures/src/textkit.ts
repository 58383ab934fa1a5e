// textkit: the tiny node project in a real git repo that the goal-run tests (the controller's runGoal, the CLI's `omk goal run`)
// drive the scripted engine through, and the sessions of a goal that ends ready in round 1.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { initGitRepo } from "./git.js";
import { makeTempDir } from "./temp.js";

/** The project's files: a node package with one passing test and a `test` gate writing junit.xml. */
export const TEXTKIT_FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
  "README.md": "# textkit\n\nSmall text helpers.\n",
  "src/truncate.js": 'export function truncate(text, max) {\n  return text.length <= max ? text : text.slice(0, max - 1) + "...";\n}\n',
  "test/truncate.test.js":
    'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { truncate } from "../src/truncate.js";\n\ntest("truncate keeps short text", () => {\n  assert.equal(truncate("hello", 10), "hello");\n});\n',
  ".gitignore": "node_modules/\njunit.xml\n",
  ".omk/gates.yaml": [
    "version: 1",
    "gates:",
    "  - name: test",
    "    kind: test",
    '    command: ["node", "--test", "--test-reporter=spec", "--test-reporter-destination=stdout", "--test-reporter=junit", "--test-reporter-destination=junit.xml"]',
    "    junit: junit.xml",
    "",
  ].join("\n"),
};

export const TEXTKIT_GOAL = "Add a slugify(text) helper to textkit that turns text into a URL slug";

/** textkit committed in a fresh git repo (in a temp dir named `prefix`…); `base` is the commit. */
export async function makeTextkitRepo(prefix?: string): Promise<{ repo: string; base: string }> {
  const repo = makeTempDir(prefix);
  for (const dir of ["src", "test", ".omk"]) mkdirSync(path.join(repo, dir), { recursive: true });
  const base = await initGitRepo(repo, TEXTKIT_FILES);
  return { repo, base };
}

/** Steps of the scripted engine's script book: a scenario of one turn, the usage it reports, a file it writes. */
export const turn = (...steps: unknown[]) => ({ turns: [{ steps }] });
export const usage = (input: number, output: number) => ({ usage: { inputUncached: input, output } });
export const write = (p: string, content: string) => ({ write: { path: p, content } });

export const SLUGIFY_SRC = 'export function slugify(text) {\n  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");\n}\n';
export const SLUGIFY_TEST =
  'import assert from "node:assert/strict";\nimport { test } from "node:test";\nconst load = () => import("../src/slugify.js");\n\ntest("[oracle:acceptance-tests] slugify joins words with dashes", async () => {\n  const { slugify } = await load();\n  assert.equal(slugify("Hello World"), "hello-world");\n});\n';

/** The engine's plan session: one implementer task `slugify`, and a reviewer task (performed by the review phase). */
export function textkitPlanSession(): unknown {
  const plan = {
    summary: "Add slugify to textkit with an acceptance test.",
    approach: ["write src/slugify.js and its test"],
    tasks: [
      {
        id: "slugify",
        title: "Add slugify(text)",
        description: "Create src/slugify.js exporting slugify(text) and test/slugify.test.js tagged [oracle:acceptance-tests].",
        role: "implementer",
        dependencies: [],
        reads: ["package.json"],
        writes: ["src/slugify.js", "test/slugify.test.js"],
        acceptance: ["acceptance-tests", "gate-test"],
        budget: { timeMs: 600000, tokens: 200000, usd: 1 },
      },
      {
        id: "review",
        title: "Review the change",
        description: "Check slugify does what the goal asks.",
        role: "reviewer",
        dependencies: ["slugify"],
        reads: ["src/", "test/"],
        writes: [],
        acceptance: ["review"],
        budget: { timeMs: 300000, tokens: 100000, usd: 0.5 },
      },
    ],
  };
  return turn(usage(500, 200), { message: `\`\`\`json\n${JSON.stringify(plan)}\n\`\`\`` });
}

/** A reviewer's session that passes the change. */
export const PASSED_REVIEW = turn(usage(300, 50), { message: '{"verdict":"passed","findings":[]}' });

/** The sessions of a goal that ends ready in round 1; `taskSleepMs` makes the task's session wait first (for Ctrl-C tests). */
export function textkitReadySessions(taskSleepMs = 0): Record<string, unknown> {
  return {
    plan: textkitPlanSession(),
    "task:slugify": turn(
      ...(taskSleepMs > 0 ? [{ sleep: taskSleepMs }] : []),
      usage(1000, 400),
      write("src/slugify.js", SLUGIFY_SRC),
      write("test/slugify.test.js", SLUGIFY_TEST),
      { message: "Added slugify." },
    ),
    "review:reviewer": PASSED_REVIEW,
    "review:security-reviewer": PASSED_REVIEW,
  };
}
