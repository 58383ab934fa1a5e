// Follow-up planning: the deterministic fix-r<round> task, its validation, and the stagnation rule.
import { DEFAULT_TASK_BUDGETS, validateProposal } from "@omk/planner";
import { type TaskGraph, TaskGraphSchema } from "@omk/state";
import { describe, expect, it } from "vitest";
import { deterministicFollowUp, failingText } from "../src/index.js";
import { causeOf, type RoundVerdict, stagnated } from "../src/internal/run-verdict.js";

const graph: TaskGraph = TaskGraphSchema.parse({
  schemaVersion: 1,
  tasks: [
    {
      id: "impl",
      title: "impl",
      description: "",
      role: "implementer",
      dependencies: [],
      reads: ["package.json"],
      writes: ["src/a.js"],
      acceptance: ["acceptance-tests"],
      budget: DEFAULT_TASK_BUDGETS.implementer,
      status: "done",
    },
    {
      id: "tests",
      title: "tests",
      description: "",
      role: "tester",
      dependencies: [],
      reads: [],
      writes: ["test/a.test.js"],
      acceptance: ["acceptance-tests"],
      budget: DEFAULT_TASK_BUDGETS.tester,
      status: "done",
    },
    {
      id: "docs",
      title: "docs",
      description: "",
      role: "docs",
      dependencies: ["impl"],
      reads: ["src/"],
      writes: ["README.md"],
      acceptance: ["review"],
      budget: DEFAULT_TASK_BUDGETS.docs,
      status: "done",
    },
  ],
});

const verdict: RoundVerdict = {
  round: 1,
  headCommit: "a".repeat(40),
  ready: false,
  cause: "gates_failed",
  failing: [
    { kind: "gate", key: "gate:test", detail: "gate test failed (exit 1):\nnot ok 1 - slugify joins words" },
    { kind: "criterion", key: "criterion:acceptance-tests", detail: "criterion acceptance-tests failed: a case fails on the head" },
  ],
  evidence: ["evidence/r1-head.json"],
  failedCriteria: ["acceptance-tests", "gate-test"],
};

describe("deterministicFollowUp", () => {
  it("is one implementer task fix-r<round> with every failing item, the writers' write sets, and no dependency", () => {
    const task = deterministicFollowUp({ graph, verdict, round: 2, criteria: ["acceptance-tests", "gate-test", "review"] }) as Record<string, unknown>;
    expect(task).toMatchObject({ id: "fix-r2", role: "implementer", dependencies: [], acceptance: ["acceptance-tests", "gate-test"] });
    expect((task["writes"] as string[]).sort()).toEqual(["README.md", "src/a.js", "test/a.test.js"]);
    expect(task["description"]).toContain("not ok 1 - slugify joins words");
    expect(task["description"]).toContain("criterion acceptance-tests failed");
    const checked = validateProposal(
      graph,
      { proposedBy: "impl", reason: "round 2", tasks: [task] },
      { criteria: ["acceptance-tests", "gate-test", "review"] },
    );
    expect(checked.ok).toBe(true);
  });

  it("names the round it fixes and keeps the text bounded", () => {
    const long: RoundVerdict = { ...verdict, failing: [{ kind: "gate", key: "gate:x", detail: "x".repeat(50_000) }] };
    expect(failingText(long).length).toBeLessThan(13_000);
    expect(failingText(verdict)).toContain("Round 1 ended not ready (gates_failed)");
  });
});

describe("stagnation and causes", () => {
  it("is stagnation when the head did not move or the same items fail again", () => {
    expect(stagnated(null, verdict)).toBeNull();
    expect(stagnated(verdict, { ...verdict, round: 2 })).toContain("changed nothing");
    expect(stagnated(verdict, { ...verdict, round: 2, headCommit: "b".repeat(40) })).toContain("exactly what round 1 failed on");
    expect(stagnated(verdict, { ...verdict, round: 2, headCommit: "b".repeat(40), failing: verdict.failing.slice(1) })).toBeNull();
  });

  it("picks the most specific cause", () => {
    expect(causeOf(verdict.failing)).toBe("gates_failed");
    expect(causeOf([{ kind: "finding", key: "tamper:test/a.test.js:deleted", detail: "" }, ...verdict.failing])).toBe("tampering");
    expect(causeOf([{ kind: "task", key: "scope:impl", detail: "" }])).toBe("scope_violation");
    expect(causeOf([{ kind: "finding", key: "reviewer::bad", detail: "" }])).toBe("review_blocked");
  });
});
