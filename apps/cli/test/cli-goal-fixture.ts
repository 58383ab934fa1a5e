// Shared setup of the CLI's goal-run tests: a tiny node project in a real git repo and script books for the scripted engine.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { initGitRepo, makeTempDir, omkBinPath } from "@omk/test-fixtures";
import { execa } from "execa";

const PROJECT: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "textkit", version: "1.0.0", type: "module", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
  "README.md": "# textkit\n\nSmall text helpers.\n",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source text written into the repo
  "src/truncate.js": "export function truncate(text, max) {\n  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;\n}\n",
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

export const GOAL_TEXT = "Add a slugify(text) helper to textkit that turns text into a URL slug";

export async function makeRepo(): Promise<{ repo: string; base: string }> {
  const repo = makeTempDir("omk-cli-repo-");
  for (const dir of ["src", "test", ".omk"]) mkdirSync(path.join(repo, dir), { recursive: true });
  const base = await initGitRepo(repo, PROJECT);
  return { repo, base };
}

const turn = (...steps: unknown[]) => ({ turns: [{ steps }] });
const usage = (input: number, output: number) => ({ usage: { inputUncached: input, output } });
const write = (p: string, content: string) => ({ write: { path: p, content } });

const SLUGIFY_SRC = 'export function slugify(text) {\n  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");\n}\n';
const SLUGIFY_TEST =
  'import assert from "node:assert/strict";\nimport { test } from "node:test";\nconst load = () => import("../src/slugify.js");\n\ntest("[oracle:acceptance-tests] slugify joins words with dashes", async () => {\n  const { slugify } = await load();\n  assert.equal(slugify("Hello World"), "hello-world");\n});\n';

const PLAN = {
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
const PASSED_REVIEW = turn(usage(300, 50), { message: '{"verdict":"passed","findings":[]}' });

/** A script book whose goal ends ready in round 1; `taskSleepMs` makes the task's session wait first (for Ctrl-C tests). */
export function readyBook(taskSleepMs = 0): Record<string, unknown> {
  return {
    version: 1,
    sessions: {
      plan: turn(usage(500, 200), { message: `\`\`\`json\n${JSON.stringify(PLAN)}\n\`\`\`` }),
      "task:slugify": turn(
        ...(taskSleepMs > 0 ? [{ sleep: taskSleepMs }] : []),
        usage(1000, 400),
        write("src/slugify.js", SLUGIFY_SRC),
        write("test/slugify.test.js", SLUGIFY_TEST),
        { message: "Added slugify." },
      ),
      "review:reviewer": PASSED_REVIEW,
      "review:security-reviewer": PASSED_REVIEW,
    },
  };
}

/** Write a script book as JSON into a fresh temp dir; returns its path. */
export function writeBook(book: unknown, name = "book.json"): string {
  const file = path.join(makeTempDir("omk-book-"), name);
  writeFileSync(file, typeof book === "string" ? book : JSON.stringify(book, null, 2));
  return file;
}

/** Start the built `omk` as a real process (for signals). */
export function startOmk(args: string[], options: { stateDir: string; cwd: string; env?: NodeJS.ProcessEnv }) {
  return execa(process.execPath, [omkBinPath, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { OMK_STATE_DIR: options.stateDir, NO_COLOR: "1", CI: "true", ...options.env },
    stdin: "ignore",
  });
}
