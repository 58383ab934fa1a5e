import { readFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { type GoalClass, openStore } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import {
  ARTIFACT_FILES,
  type ClassifiedIntake,
  createDeterministicPlanner,
  EMPTY_INSPECTION,
  intake,
  planDeterministic,
  planRecordedEvent,
  renderArtifacts,
  validateGraph,
  writePlanArtifacts,
} from "../src/index.js";
import { GATES, oracleFor, TS_REPO } from "./fixtures.js";

afterAll(cleanupTempDirs);

function classified(text: string, inspection = TS_REPO): ClassifiedIntake {
  const r = intake({ text, inspection });
  if (r.status !== "classified") throw new Error(r.questions.join(" | "));
  return r;
}

function planFor(text: string, inspection = TS_REPO) {
  const i = classified(text, inspection);
  const oracle = oracleFor(i.classes);
  const r = planDeterministic({ intake: i, inspection, gates: GATES, oracle });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { plan: r.value, oracle };
}

const shape = (text: string, inspection = TS_REPO) =>
  planFor(text, inspection).plan.graph.tasks.map((t) => `${t.id}(${t.role})<${t.dependencies.join(",")}>[${t.acceptance.join(",")}]`);

describe("deterministic planner: a valid graph per class", () => {
  const table: Array<[GoalClass, string, string[]]> = [
    [
      "bugfix",
      "Fix the crash when `omk report` reads an empty file",
      [
        "write-tests(tester)<>[regression-test]",
        "implement(implementer)<write-tests>[regression-test,gate-unit,gate-lint]",
        "review(reviewer)<implement>[review]",
      ],
    ],
    [
      "feature",
      "Add a --json flag to the report command",
      [
        "write-tests(tester)<>[acceptance-tests]",
        "implement(implementer)<write-tests>[acceptance-tests,gate-unit,gate-lint]",
        "review(reviewer)<implement>[review]",
      ],
    ],
    [
      "refactor",
      "Refactor the store module into smaller files without changing behaviour",
      ["implement(implementer)<>[behaviour-unchanged,gate-unit,gate-lint]", "review(reviewer)<implement>[review]"],
    ],
    [
      "rewrite",
      "Port the CLI from Python to TypeScript",
      ["implement(implementer)<>[compat-tests,gate-unit,gate-lint]", "review(reviewer)<implement>[review]"],
    ],
    [
      "performance",
      "Speed up test discovery by 30%",
      ["implement(implementer)<>[benchmark-parse,behaviour-unchanged,gate-unit,gate-lint]", "review(reviewer)<implement>[review]"],
    ],
    [
      "hardening",
      "Sanitize user input in the search endpoint to prevent SQL injection",
      [
        "write-tests(tester)<>[security-tests]",
        "implement(implementer)<write-tests>[security-tests,gate-unit,gate-lint]",
        "security-review(security-reviewer)<implement>[security-review]",
      ],
    ],
    [
      "docs",
      "Document the --json flag in docs/cli.md",
      ["write-docs(docs)<>[gate-docs-links,gate-unit,gate-lint]", "review(reviewer)<write-docs>[docs-review]"],
    ],
  ];

  it.each(table)("%s", (goalClass, text, expected) => {
    const { plan, oracle } = planFor(text);
    expect(plan.goalClass).toBe(goalClass);
    expect(shape(text)).toEqual(expected);
    // The graph passes validation against the oracle it serves.
    expect(validateGraph(plan.graph, { criteria: oracle.criteria.map((c) => c.id) }).ok).toBe(true);
  });

  it("scaffolds a greenfield project in an empty repository, writing everywhere in order", () => {
    const { plan } = planFor("Create a new CLI tool from scratch that converts CSV files to JSON", EMPTY_INSPECTION);
    expect(plan.graph.tasks.map((t) => [t.id, t.writes, t.dependencies])).toEqual([
      ["scaffold", ["."], []],
      ["write-tests", ["test/", "tests/"], ["scaffold"]],
      ["implement", ["."], ["write-tests"]],
      ["review", [], ["implement"]],
    ]);
  });

  it("chains the stages of a mixed goal and keeps every conflict ordered", () => {
    expect(shape("Fix the crash in the importer and document the new --strict flag in docs/import.md")).toEqual([
      "write-tests(tester)<>[regression-test]",
      "implement(implementer)<write-tests>[regression-test,gate-unit,gate-lint]",
      "write-docs(docs)<implement>[gate-docs-links]",
      "review(reviewer)<write-docs>[review,docs-review]",
    ]);
  });

  it("takes write sets from the repository and respects a no-new-dependencies constraint", () => {
    const withDeps = planFor("Add a --json flag to the report command").plan.graph.tasks.find((t) => t.id === "implement");
    expect(withDeps?.writes).toEqual(["src/", "package.json", "pnpm-lock.yaml"]);
    const noDeps = planFor("Add a --json flag to the report command without new dependencies").plan.graph.tasks.find((t) => t.id === "implement");
    expect(noDeps?.writes).toEqual(["src/"]);
    const tests = planFor("Add a --json flag to the report command").plan.graph.tasks.find((t) => t.id === "write-tests");
    expect(tests).toMatchObject({ writes: ["test/", "src/**/*.test.ts"], budget: { timeMs: 1_800_000, tokens: 800_000, usd: 2 } });
    expect(tests?.description).toContain("Each new test's name must hold its tag, so the oracle finds it in the JUnit report: [oracle:acceptance-tests].");
  });

  it("refuses a blocked intake and an invalid oracle as input errors", async () => {
    const i = classified("Add a --json flag to the report command");
    const bad = planDeterministic({ intake: i, inspection: TS_REPO, gates: GATES, oracle: { ...oracleFor(["feature"]), criteria: [] } });
    expect(!bad.ok && bad.error.code).toBe("invalid_input");
    const planner = createDeterministicPlanner();
    const good = await planner.plan({ intake: i, inspection: TS_REPO, gates: GATES, oracle: oracleFor(["feature"]) });
    expect(good.ok && [planner.strategy, good.value.attempts]).toEqual(["deterministic", []]);
  });
});

describe("plan artifacts", () => {
  const text = "Fix the crash when `omk report` reads an empty file";

  it("are deterministic: the same input renders byte-identical files", () => {
    const a = planFor(text);
    const b = planFor(text);
    expect(renderArtifacts(a.plan, a.oracle)).toEqual(renderArtifacts(b.plan, b.oracle));
  });

  it("render the brief, the technical plan, the test spec, the decisions and the graph", async () => {
    const { plan, oracle } = planFor(text);
    const artifacts = renderArtifacts(plan, oracle, { oracleHash: "a".repeat(64) });
    expect(Object.keys(artifacts)).toEqual([...ARTIFACT_FILES]);
    for (const file of ARTIFACT_FILES) await expect(artifacts[file]).toMatchFileSnapshot(`./__snapshots__/bugfix/${file}`);
    // decisions.jsonl: one JSON object per line, each with rationale and constraints.
    const decisions = artifacts["decisions.jsonl"]
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(decisions.map((d) => d.id)).toEqual(["classification", "strategy", "task-shape", "oracle", "budgets", "gates"]);
    expect(decisions.every((d) => typeof d.rationale === "string" && Array.isArray(d.constraints))).toBe(true);
    // task-graph.json is the validated graph.
    expect(validateGraph(JSON.parse(artifacts["task-graph.json"])).ok).toBe(true);
  });

  it("are written into the goal's plan/ and recorded with their digests", async () => {
    const { plan, oracle } = planFor(text);
    const store = openStore({ root: makeTempDir() });
    const goal = await store.createGoal({ text, repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!goal.ok) throw new Error(goal.error.message);
    const goalDir = store.paths(goal.value.id).dir;
    const written = writePlanArtifacts(goalDir, renderArtifacts(plan, oracle));
    expect(written.map((w) => w.file)).toEqual(ARTIFACT_FILES.map((f) => `plan/${f}`));
    for (const w of written) {
      const bytes = readFileSync(path.join(goalDir, w.file));
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(w.sha256);
    }
    const recorded = await store.append(goal.value.id, () => [planRecordedEvent(plan, written, [])]);
    expect(recorded.ok && recorded.value.plan).toMatchObject({ goalClass: "bugfix", strategy: "deterministic" });
    expect((await store.readEvents(goal.value.id)).at(-1)).toMatchObject({
      type: "plan_recorded",
      data: { tasks: 3, attempts: 1, artifacts: written.map(({ file, sha256 }) => ({ file, sha256 })) },
    });
  });
});
