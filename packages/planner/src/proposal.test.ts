import { openStore, type TaskGraph, TaskGraphSchema } from "@omk/state";
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, validateProposal } from "./proposal.js";

afterAll(cleanupTempDirs);

const BUDGET = { timeMs: 60_000, tokens: 10_000, usd: 1 };
const task = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  title: id,
  description: "",
  role: "implementer",
  dependencies: [],
  reads: [],
  writes: [],
  acceptance: ["c1"],
  budget: BUDGET,
  ...over,
});

const GRAPH: TaskGraph = TaskGraphSchema.parse({
  schemaVersion: 1,
  tasks: [
    task("tests", { writes: ["test/"], status: "done" }),
    task("implement", { dependencies: ["tests"], writes: ["src/"], status: "running" }),
    task("docs", { writes: ["docs/"], status: "pending" }),
    task("broken", { writes: ["scripts/"], status: "failed" }),
  ],
});

const propose = (tasks: unknown[], over: Record<string, unknown> = {}) => ({ proposedBy: "implement", reason: "the parser needs a fix first", tasks, ...over });
const codes = (r: ReturnType<typeof validateProposal>) => (r.ok ? [] : r.error.map((i) => i.code));

describe("validateProposal", () => {
  it("accepts a follow-up ordered after the tasks it conflicts with, as a task_graph_mutated event", () => {
    const r = validateProposal(
      GRAPH,
      propose([
        task("fix-parser", { dependencies: ["implement"], writes: ["src/parser.ts"] }),
        task("note", { dependencies: ["fix-parser", "tests"], writes: ["CHANGELOG.md"] }),
      ]),
      { criteria: ["c1"] },
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.event).toMatchObject({
        type: "task_graph_mutated",
        actor: "controller",
        data: { proposedBy: "implement", reason: "the parser needs a fix first" },
      });
      expect(r.value.tasks.map((t) => [t.id, t.status])).toEqual([
        ["fix-parser", "pending"],
        ["note", "pending"],
      ]);
    }
  });

  it("rejects a conflict with an unfinished task outside the dependency closure, naming both and the entries", () => {
    const r = validateProposal(GRAPH, propose([task("fix-parser", { writes: ["src/parser.ts"] })]));
    expect(!r.ok && r.error).toEqual([
      {
        code: "unordered_conflict",
        message: expect.stringContaining(
          'tasks "fix-parser" and "implement" touch overlapping paths but neither depends on the other: "fix-parser" writes "src/parser.ts" and "implement" writes "src/" (write-write)',
        ),
        tasks: ["fix-parser", "implement"],
        entries: ["src/parser.ts", "src/"],
      },
    ]);
    // A done task is finished: no conflict with it.
    expect(validateProposal(GRAPH, propose([task("more-tests", { writes: ["test/more.test.ts"] })])).ok).toBe(true);
    // Two proposed tasks conflict with each other unless ordered.
    expect(codes(validateProposal(GRAPH, propose([task("x", { writes: ["lib/"] }), task("y", { writes: ["lib/y.ts"] })])))).toEqual(["unordered_conflict"]);
  });

  it("requires new ids and dependencies on accepted or done tasks", () => {
    expect(codes(validateProposal(GRAPH, propose([task("docs")])))).toEqual(["id_taken"]);
    expect(codes(validateProposal(GRAPH, propose([task("a"), task("a")])))).toEqual(["duplicate_id"]);
    const failedDep = validateProposal(GRAPH, propose([task("retry", { dependencies: ["broken"] })]));
    expect(!failedDep.ok && failedDep.error[0]?.message).toBe('task "retry" depends on "broken", which is failed; depend on accepted or done tasks');
    expect(codes(validateProposal(GRAPH, propose([task("x", { dependencies: ["ghost"] })])))).toEqual(["unknown_dependency"]);
    expect(codes(validateProposal(GRAPH, propose([task("x", { dependencies: ["y"] }), task("y", { dependencies: ["x"] })])))).toEqual(["cycle"]);
    expect(codes(validateProposal(GRAPH, propose([task("x")], { proposedBy: "nobody" })))).toEqual(["unknown_proposer"]);
  });

  it("requires a budget > 0, acceptance, safe paths, and the policy's caps", () => {
    expect(codes(validateProposal(GRAPH, propose([task("x", { budget: { timeMs: 1000, tokens: 0, usd: 1 } })])))).toEqual(["no_budget"]);
    expect(codes(validateProposal(GRAPH, propose([task("x", { acceptance: [] })])))).toEqual(["no_acceptance"]);
    expect(codes(validateProposal(GRAPH, propose([task("x", { acceptance: ["c9"] })]), { criteria: ["c1"] }))).toEqual(["unknown_criterion"]);
    expect(codes(validateProposal(GRAPH, propose([task("x", { writes: ["../../etc/"] })])))).toEqual(["unsafe_path"]);
    const capped = { ...DEFAULT_POLICY, maxTaskBudget: { timeMs: 30_000, tokens: 100_000, usd: 5 }, maxTasksPerProposal: 1 };
    const r = validateProposal(GRAPH, propose([task("x"), task("y")]), { policy: capped });
    expect(codes(r)).toEqual(["too_many_tasks", "budget_over_cap", "budget_over_cap"]);
    expect(!r.ok && r.error[1]?.message).toBe('task "x" asks for more than a task may have: timeMs 60000 > 30000');
  });

  it.each([
    ["publish", "Publish the package", "run npm publish when the tests pass"],
    ["force-push", "Clean history", "git push --force origin omk/integration"],
    ["force-push", "Update the branch", "force-push the fixed branch"],
    ["history-rewrite", "Shrink the repo", "use git filter-repo to drop the fixtures"],
    ["publish", "Release", "gh release create v2.0.0"],
  ])("refuses the policy-forbidden action %s", (action, title, description) => {
    const r = validateProposal(GRAPH, propose([task("x", { title, description })]));
    expect(codes(r)).toEqual(["forbidden_action"]);
    expect(!r.ok && r.error[0]?.message).toContain(`(${action})`);
  });

  it("refuses writes to gate and CI configuration", () => {
    const r = validateProposal(
      GRAPH,
      propose([task("x", { writes: [".github/workflows/ci.yml"] }), task("y", { writes: ["."], dependencies: ["implement", "docs"] })]),
    );
    expect(!r.ok && r.error.map((i) => [i.code, i.tasks[0]])).toEqual([
      ["protected_path", "x"],
      ["protected_path", "y"],
      ["unordered_conflict", "x"],
    ]);
  });

  it("becomes a graph mutation in the goal's event log", async () => {
    const store = openStore({ root: makeTempDir() });
    const goal = await store.createGoal({ text: "Fix the parser", repoRoot: "/tmp/repo", limits: { timeMs: null, tokens: null, usd: null }, maxAgents: 1 });
    if (!goal.ok) throw new Error(goal.error.message);
    expect((await store.setTaskGraph(goal.value.id, GRAPH)).ok).toBe(true);
    const r = validateProposal(GRAPH, propose([task("fix-parser", { dependencies: ["implement"], writes: ["src/parser.ts"] })]));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const appended = await store.append(goal.value.id, () => [r.value.event]);
    expect(appended.ok && appended.value.taskGraph?.tasks.map((t) => t.id)).toEqual(["tests", "implement", "docs", "broken", "fix-parser"]);
    const events = await store.readEvents(goal.value.id);
    expect(events.at(-1)).toMatchObject({ type: "task_graph_mutated", data: { proposedBy: "implement", added: [{ id: "fix-parser" }] } });
  });
});
