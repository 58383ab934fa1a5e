/**
 * The deterministic task graph: a chain of stages (scaffold, tests,
 * implement, docs, reviews), each a task whose write set comes from the
 * repository inspection and whose acceptance lists the oracle criteria it
 * serves. A stage with no criterion to serve is left out.
 */
import type { Criterion, GateDescriptor, GoalClass, Oracle, TaskRole } from "@omk/state";
import type { RepoInspection } from "../inspection.js";

export type Stage = "scaffold" | "tests" | "implement" | "docs" | "review" | "security-review";
type Concrete = Exclude<GoalClass, "mixed">;

const STAGE_ORDER: readonly Stage[] = ["scaffold", "tests", "implement", "docs", "review", "security-review"];

export const STAGE_TASK: Readonly<Record<Stage, { id: string; role: TaskRole; title: string }>> = {
  scaffold: { id: "scaffold", role: "implementer", title: "Set up the project skeleton" },
  tests: { id: "write-tests", role: "tester", title: "Write the tests that define done" },
  implement: { id: "implement", role: "implementer", title: "Make the change" },
  docs: { id: "write-docs", role: "docs", title: "Write the documentation" },
  review: { id: "review", role: "reviewer", title: "Review the change" },
  "security-review": { id: "security-review", role: "security-reviewer", title: "Review the change for security" },
};

/** What each class asks of each stage it uses (one line each, joined into the task description). */
const INSTRUCTIONS: Readonly<Record<Concrete, Partial<Record<Stage, string>>>> = {
  bugfix: {
    tests: "Write a regression test that reproduces the bug; it must fail on the current code.",
    implement: "Fix the cause of the bug, so the regression test passes, without unrelated changes.",
  },
  feature: {
    tests: "Write acceptance tests that specify the new behaviour from the user's side; they must fail before the feature exists.",
    implement: "Implement the feature so the acceptance tests pass; keep existing behaviour.",
    docs: "Describe the new behaviour where users look for it.",
  },
  greenfield: {
    scaffold: "Create the project skeleton: manifest, source and test folders, and a test runner that runs green on an empty suite.",
    tests: "Write acceptance tests for the first behaviour the goal asks for; they must fail until it is implemented.",
    implement: "Implement the behaviour until the acceptance tests and the smoke check pass.",
  },
  rewrite: {
    implement: "Rewrite, port or migrate as the goal says, keeping the observable behaviour: every test that passes now must still pass.",
  },
  refactor: {
    implement: "Restructure the code as the goal says without changing behaviour: every test that passes now must still pass.",
  },
  hardening: {
    tests: "Write security tests that demonstrate the weakness (a malicious input that is not refused today); they must fail on the current code.",
    implement: "Close the weakness so the security tests pass, without breaking legitimate use.",
  },
  performance: {
    implement: "Make the measured path faster until the benchmark improves by the required amount against the base commit; keep behaviour unchanged.",
  },
  docs: {
    docs: "Write or correct the documentation the goal names, accurate against the code.",
  },
};

/** Which stages a criterion is served by, given the stages the plan has. */
function stagesFor(c: Criterion, present: ReadonlySet<Stage>, gates: readonly GateDescriptor[]): Stage[] {
  const work: Stage = present.has("implement") ? "implement" : present.has("docs") ? "docs" : "scaffold";
  switch (c.kind) {
    case "test_case":
      return c.mustFailOnBase && present.has("tests") ? ["tests", work] : [work];
    case "command":
      return c.id === "smoke" && present.has("scaffold") ? ["scaffold", work] : [work];
    case "gate": {
      const gate = gates.find((g) => g.name === c.run.gate);
      const docsGate = gate !== undefined && /\b(docs?|links?|markdown)\b/iu.test(`${gate.name} ${gate.command.join(" ")}`);
      return docsGate && present.has("docs") ? ["docs"] : [work];
    }
    case "golden":
    case "benchmark":
      return [work];
    case "review":
      return [c.run.reviewer === "security-reviewer" ? "security-review" : "review"];
  }
}

export type StageTask = { stage: Stage; instructions: string[]; acceptance: string[]; writes: string[]; reads: string[] };

const TEST_DEFAULTS: ReadonlyArray<[string, string[]]> = [
  ["TypeScript", ["**/*.test.ts", "**/*.test.tsx", "test/"]],
  ["JavaScript", ["**/*.test.js", "**/*.test.mjs", "test/"]],
  ["Python", ["tests/", "**/test_*.py"]],
  ["Go", ["**/*_test.go"]],
  ["Rust", ["tests/"]],
];

function testWrites(inspection: RepoInspection | null): string[] {
  const found = [...(inspection?.testFolders ?? []), ...(inspection?.testPatterns ?? [])];
  if (found.length > 0) return found;
  const language = inspection?.languages[0]?.name;
  return TEST_DEFAULTS.find(([name]) => name === language)?.[1] ?? ["test/", "tests/"];
}

function sourceWrites(inspection: RepoInspection | null, classes: readonly Concrete[], noNewDependencies: boolean): string[] {
  if (inspection === null || inspection.empty || classes.includes("rewrite") || classes.includes("greenfield")) return ["."];
  const sources = inspection.sourceFolders.length > 0 ? [...inspection.sourceFolders] : ["."];
  if (sources.includes(".") || noNewDependencies) return sources;
  // A change may need a dependency: the root manifests (and their lockfiles) are writable too.
  return [...sources, ...inspection.manifests.filter((m) => !m.includes("/")), ...inspection.lockfiles];
}

function docsWrites(inspection: RepoInspection | null): string[] {
  const found = inspection?.docsFolders ?? [];
  return found.length > 0 ? [...found] : ["docs/", "README.md"];
}

/** The stage tasks of a plan, in execution order, each with its criteria, reads and writes. */
export function buildStages(input: {
  classes: readonly Concrete[];
  oracle: Oracle;
  inspection: RepoInspection | null;
  gates: readonly GateDescriptor[];
  noNewDependencies: boolean;
}): StageTask[] {
  const present = new Set<Stage>();
  for (const cls of input.classes) for (const stage of Object.keys(INSTRUCTIONS[cls]) as Stage[]) present.add(stage);
  if (!present.has("implement") && !present.has("docs")) present.add("implement");
  const acceptance = new Map<Stage, string[]>();
  for (const criterion of input.oracle.criteria) {
    for (const stage of stagesFor(criterion, present, input.gates)) acceptance.set(stage, [...(acceptance.get(stage) ?? []), criterion.id]);
  }
  const lines = (stage: Stage) =>
    stage === "review" || stage === "security-review"
      ? [
          `${stage === "review" ? "Review" : "Review for security"} the integrated change against the goal and the checklist below; record a verdict, passed or blocked, with the reasons.`,
        ]
      : input.classes.map((c) => INSTRUCTIONS[c][stage]).filter((l): l is string => l !== undefined);
  const writes: Record<Stage, string[]> = {
    scaffold: ["."],
    tests: testWrites(input.inspection),
    implement: sourceWrites(input.inspection, input.classes, input.noNewDependencies),
    docs: docsWrites(input.inspection),
    review: [],
    "security-review": [],
  };
  const testReads = [...new Set([...(input.inspection?.sourceFolders ?? []), ...writes.tests])];
  return STAGE_ORDER.filter((stage) => (acceptance.get(stage)?.length ?? 0) > 0).map((stage) => ({
    stage,
    instructions: lines(stage),
    acceptance: acceptance.get(stage) ?? [],
    writes: writes[stage],
    reads: stage === "tests" && testReads.length > 0 ? testReads : ["."],
  }));
}
