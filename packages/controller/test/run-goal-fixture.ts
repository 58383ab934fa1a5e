// Shared setup of the runGoal tests: a tiny node project in a real git repo, a store, a script book.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type BudgetLimits, type GoalStore, openStore } from "@omk/state";
import { initGitRepo, makeTempDir } from "@omk/test-fixtures";
import { scriptBookProvider } from "@omk/sessions";
import type { ControllerEvent } from "../src/types.js";
import type { EngineProvider } from "@omk/sessions";
import { bundledAgent } from "@omk/test-fixtures";

export const PROJECT: Record<string, string> = {
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

export async function makeRepo(): Promise<{ repo: string; base: string }> {
  const repo = makeTempDir();
  for (const dir of ["src", "test", ".omk"]) mkdirSync(path.join(repo, dir), { recursive: true });
  const base = await initGitRepo(repo, PROJECT);
  return { repo, base };
}

export async function makeGoal(
  repo: string,
  text: string,
  limits: BudgetLimits = { timeMs: null, tokens: null, usd: null },
): Promise<{ store: GoalStore; goalId: string }> {
  const store = openStore({ root: makeTempDir() });
  const created = await store.createGoal({ text, repoRoot: repo, limits, maxAgents: 2 });
  if (!created.ok) throw new Error(created.error.message);
  return { store, goalId: created.value.id };
}

/** The scripted engine playing `sessions` (the agent bundled once per test process; see scripted-agent.ts). */
export function bookProvider(sessions: Record<string, unknown>): EngineProvider {
  const file = path.join(makeTempDir(), "book.json");
  writeFileSync(file, JSON.stringify({ version: 1, sessions }, null, 2));
  const provider = scriptBookProvider(file, { agent: bundledAgent() });
  if (!provider.ok) throw new Error(provider.error.message);
  return provider.value;
}

/** A scenario of one turn. */
export const turn = (...steps: unknown[]) => ({ turns: [{ steps }] });
export const usage = (input: number, output: number) => ({ usage: { inputUncached: input, output } });
/** Usage reported while the turn runs (kimi's session log), not with the turn's answer. */
export const liveUsage = (input: number, output: number) => ({ usage: { inputUncached: input, output, via: "kimi_log" } });
export const write = (p: string, content: string) => ({ write: { path: p, content } });
export const message = (text: string) => ({ message: text });

export const SLUGIFY_SRC = 'export function slugify(text) {\n  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");\n}\n';
export const SLUGIFY_BUGGY = "export function slugify(text) {\n  return text.toLowerCase();\n}\n";
export const SLUGIFY_TEST =
  'import assert from "node:assert/strict";\nimport { test } from "node:test";\nconst load = () => import("../src/slugify.js");\n\ntest("[oracle:acceptance-tests] slugify joins words with dashes", async () => {\n  const { slugify } = await load();\n  assert.equal(slugify("Hello World"), "hello-world");\n});\n';

/** The engine's plan: one implementer task `slugify`, and a reviewer task (performed by the review phase). */
export function planSession(): unknown {
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
  return turn(usage(500, 200), message(`\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``));
}

export const PASSED_REVIEW = turn(usage(300, 50), message('{"verdict":"passed","findings":[]}'));

/** Sessions of a goal that ends ready in round 1. */
export function readyBook(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    plan: planSession(),
    "task:slugify": turn(usage(1000, 400), write("src/slugify.js", SLUGIFY_SRC), write("test/slugify.test.js", SLUGIFY_TEST), message("Added slugify.")),
    "review:reviewer": PASSED_REVIEW,
    "review:security-reviewer": PASSED_REVIEW,
    ...extra,
  };
}

export const GOAL_TEXT = "Add a slugify(text) helper to textkit that turns text into a URL slug";

export function collect(): { events: ControllerEvent[]; onEvent: (e: ControllerEvent) => void } {
  const events: ControllerEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}
