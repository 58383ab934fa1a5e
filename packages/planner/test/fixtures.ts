// Test data for the planner: repository facts, gates and oracles as the controller would pass them.
import type { Criterion, GateDescriptor, GoalClass, Oracle } from "@omk/state";
import type { RepoInspection } from "../src/index.js";

export const TS_REPO: RepoInspection = {
  files: 40,
  bytes: 12_000,
  truncated: false,
  languages: [{ name: "TypeScript", files: 30 }],
  packageManager: "pnpm",
  manifests: ["package.json"],
  lockfiles: ["pnpm-lock.yaml"],
  testFrameworks: ["vitest"],
  testFolders: ["test/"],
  testPatterns: ["src/**/*.test.ts"],
  sourceFolders: ["src/"],
  docsFolders: ["docs/", "README.md"],
  mainFolders: [
    { path: "src/", files: 25 },
    { path: "test/", files: 8 },
  ],
  empty: false,
};

export const GATES: GateDescriptor[] = [
  { name: "unit", kind: "test", required: true, command: ["pnpm", "vitest", "run"] },
  { name: "lint", kind: "lint", required: true, command: ["pnpm", "biome", "lint"] },
  { name: "docs-links", kind: "custom", required: false, command: ["npx", "markdown-link-check", "README.md"] },
];

const TESTS = ["pnpm", "vitest", "run"];
const tagged = (id: string): Criterion => ({
  id,
  kind: "test_case",
  description: `${id}: red on base, green on head`,
  mustFailOnBase: true,
  run: { command: TESTS, case: { name: `[oracle:${id}]`, match: "contains" } },
});
const gate = (name: string): Criterion => ({
  id: `gate-${name}`,
  kind: "gate",
  description: `gate ${name} passes`,
  mustFailOnBase: false,
  run: { gate: name },
});
const unchanged = (id: string): Criterion => ({
  id,
  kind: "golden",
  description: "no passing test lost",
  mustFailOnBase: false,
  run: { command: TESTS, compare: "passing_cases" },
});
const review = (id: string, reviewer: "reviewer" | "security-reviewer" = "reviewer"): Criterion => ({
  id,
  kind: "review",
  description: `${reviewer} approves`,
  mustFailOnBase: false,
  run: { reviewer, checklist: ["the change does what the goal says"] },
});

/** Criteria of the shape @omk/oracle builds for each class (hand-written: the planner does not import the oracle). */
const SHAPES: Record<Exclude<GoalClass, "mixed">, Criterion[]> = {
  bugfix: [tagged("regression-test"), review("review")],
  feature: [tagged("acceptance-tests"), review("review")],
  greenfield: [
    tagged("acceptance-tests"),
    { id: "smoke", kind: "command", description: "builds", mustFailOnBase: false, run: { command: ["pnpm", "build"], cwd: "." } },
    review("review"),
  ],
  rewrite: [unchanged("compat-tests"), review("review")],
  refactor: [unchanged("behaviour-unchanged"), review("review")],
  hardening: [tagged("security-tests"), review("security-review", "security-reviewer")],
  performance: [
    {
      id: "benchmark-parse",
      kind: "benchmark",
      description: "faster",
      mustFailOnBase: false,
      run: { command: ["node", "bench.mjs"], metric: { source: "duration", unit: "ms" }, better: "lower", minImprovement: 0.1 },
    },
    unchanged("behaviour-unchanged"),
    review("review"),
  ],
  docs: [gate("docs-links"), review("docs-review")],
};

export function oracleFor(classes: Array<Exclude<GoalClass, "mixed">>): Oracle {
  const criteria = new Map<string, Criterion>();
  for (const c of classes) for (const criterion of SHAPES[c]) if (!criteria.has(criterion.id)) criteria.set(criterion.id, criterion);
  for (const g of ["unit", "lint"]) criteria.set(`gate-${g}`, gate(g));
  return { schemaVersion: 1, goalClass: classes.length > 1 ? "mixed" : (classes[0] as GoalClass), classes, criteria: [...criteria.values()] };
}
