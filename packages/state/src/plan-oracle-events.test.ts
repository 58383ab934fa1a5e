// Reducer cases of the planner's and the oracle's events (issue 6), through the real store.
import { cleanupTempDirs, makeTempDir } from "@omk/test-fixtures";
import { afterAll, describe, expect, it } from "vitest";
import type { Oracle } from "./schemas/oracle.js";
import { OracleSchema } from "./schemas/oracle.js";
import type { TaskGraph } from "./schemas/task.js";
import { type GoalStore, openStore } from "./store.js";
import { newTask } from "../test/store-setup.js";

afterAll(cleanupTempDirs);

const H1 = "1".repeat(64);
const H2 = "2".repeat(64);
const H3 = "3".repeat(64);

const ORACLE: Oracle = OracleSchema.parse({
  schemaVersion: 1,
  goalClass: "bugfix",
  classes: ["bugfix"],
  criteria: [
    {
      id: "regression-test",
      description: "a regression test fails on base and passes on head",
      kind: "test_case",
      mustFailOnBase: true,
      run: { command: ["npm", "test"], case: { name: "[oracle:regression-test]", match: "contains" } },
    },
  ],
});

function task(id: string, dependencies: string[] = []) {
  return newTask(id, dependencies, { writes: [`src/${id}/`], acceptance: ["regression-test"] });
}

async function newGoal(store: GoalStore) {
  const r = await store.createGoal({
    text: "Fix the crash in the parser",
    repoRoot: "/tmp/repo",
    limits: { timeMs: null, tokens: null, usd: null },
    maxAgents: 1,
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.id;
}

describe("plan_recorded", () => {
  it("records the class and strategy on the goal, and the goal replays to the same snapshot", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    expect((await store.readGoal(id)).plan).toBeUndefined();
    const r = await store.append(id, () => [
      {
        type: "plan_recorded",
        actor: "controller",
        data: {
          goalClass: "bugfix",
          classes: ["bugfix"],
          strategy: "deterministic",
          attempts: 1,
          tasks: 3,
          artifacts: [{ file: "plan/brief.md", sha256: H1 }],
        },
      },
    ]);
    expect(r.ok && r.value.plan).toEqual({ goalClass: "bugfix", classes: ["bugfix"], strategy: "deterministic", seq: 2 });
    expect((await store.replay(id)).differences).toEqual([]);
  });
});

describe("intake_decided", () => {
  it("records the intake's decision on the goal, refuses a malformed one, and the goal replays to the same snapshot", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    expect((await store.readGoal(id)).intake).toBeUndefined();
    const data = {
      text: "Fix the crash in the parser",
      decidedBy: "engine" as const,
      status: "classified" as const,
      classes: ["bugfix" as const],
      reason: "the engine read a bug report",
      deterministic: { status: "blocked_on_human" as const, classes: [], why: "no word of the goal says what kind of change it is" },
      engine: { outcome: "classified" as const, classes: ["bugfix" as const], reason: "a crash is a bug", acceptance: ["parsing an empty file exits 0"] },
    };
    const r = await store.append(id, () => [{ type: "intake_decided", actor: "controller", data }]);
    expect(r.ok && r.value.intake).toEqual({ ...data, seq: 2 });
    expect((await store.replay(id)).differences).toEqual([]);
    const bad = await store.append(id, () => [{ type: "intake_decided", actor: "controller", data: { ...data, classes: ["mixed"] } as never }]);
    expect(bad.ok).toBe(false);
  });
});

describe("oracle_frozen and oracle_revised", () => {
  it("freezes once, then accepts only revisions that name the hash in force and the next number", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const frozen = await store.append(id, () => [{ type: "oracle_frozen", actor: "controller", data: { revision: 1, hash: H1, oracle: ORACLE } }]);
    expect(frozen.ok && frozen.value.oracle).toEqual({ revision: 1, hash: H1, seq: 2 });

    const again = await store.append(id, () => [{ type: "oracle_frozen", actor: "controller", data: { revision: 1, hash: H2, oracle: ORACLE } }]);
    expect(!again.ok && again.error).toMatchObject({ code: "oracle_conflict", message: expect.stringContaining("frozen already") });

    const stale = await store.append(id, () => [
      { type: "oracle_revised", actor: "controller", data: { revision: 2, hash: H3, previousHash: H2, reason: "more checks", oracle: ORACLE } },
    ]);
    expect(!stale.ok && stale.error).toMatchObject({ code: "oracle_conflict", message: expect.stringContaining(H1) });

    const skipped = await store.append(id, () => [
      { type: "oracle_revised", actor: "controller", data: { revision: 3, hash: H2, previousHash: H1, reason: "more checks", oracle: ORACLE } },
    ]);
    expect(!skipped.ok && skipped.error).toMatchObject({ code: "oracle_conflict", message: "revision 3 does not follow 1" });

    const same = await store.append(id, () => [
      { type: "oracle_revised", actor: "controller", data: { revision: 2, hash: H1, previousHash: H1, reason: "nothing", oracle: ORACLE } },
    ]);
    expect(!same.ok && same.error).toMatchObject({ code: "oracle_conflict", message: "the revision does not change the oracle" });

    const revised = await store.append(id, () => [
      { type: "oracle_revised", actor: "controller", data: { revision: 2, hash: H2, previousHash: H1, reason: "more checks", oracle: ORACLE } },
    ]);
    expect(revised.ok && revised.value.oracle).toEqual({ revision: 2, hash: H2, seq: 3 });
    expect((await store.replay(id)).differences).toEqual([]);
  });

  it("refuses a revision when nothing is frozen, and a first freeze once execution has begun", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const revise = await store.append(id, () => [
      { type: "oracle_revised", actor: "controller", data: { revision: 2, hash: H2, previousHash: H1, reason: "x", oracle: ORACLE } },
    ]);
    expect(!revise.ok && revise.error.code).toBe("oracle_conflict");
    expect((await store.transition(id, "running")).ok).toBe(true);
    for (const phase of ["intake", "planning", "oracle", "baseline", "execution"] as const) {
      const moved = await store.setPhase(id, phase);
      expect(moved.ok).toBe(true);
    }
    const late = await store.append(id, () => [{ type: "oracle_frozen", actor: "controller", data: { revision: 1, hash: H1, oracle: ORACLE } }]);
    expect(!late.ok && late.error).toMatchObject({ code: "oracle_conflict", message: expect.stringContaining("before execution") });
  });

  it("refuses an invalid oracle at the edge (duplicate criterion ids)", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const criterion = ORACLE.criteria[0];
    const bad = { ...ORACLE, criteria: [criterion, criterion] } as Oracle;
    const r = await store.append(id, () => [{ type: "oracle_frozen", actor: "controller", data: { revision: 1, hash: H1, oracle: bad } }]);
    expect(!r.ok && r.error).toMatchObject({ code: "invalid_input", message: expect.stringContaining("used twice") });
  });
});

describe("task_graph_mutated", () => {
  it("adds follow-up tasks to the graph", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    const none = await store.append(id, () => [
      { type: "task_graph_mutated", actor: "controller", data: { proposedBy: "a", reason: "x", added: [task("b") as never] } },
    ]);
    expect(!none.ok && none.error.code).toBe("graph_conflict");
    const graph = { schemaVersion: 1, tasks: [task("a")] } as unknown as TaskGraph;
    expect((await store.setTaskGraph(id, graph)).ok).toBe(true);
    const added = await store.append(id, () => [
      { type: "task_graph_mutated", actor: "controller", data: { proposedBy: "a", reason: "a follow-up", added: [task("b", ["a"]) as never] } },
    ]);
    expect(added.ok && added.value.taskGraph?.tasks.map((t) => [t.id, t.dependencies, t.status])).toEqual([
      ["a", [], "pending"],
      ["b", ["a"], "pending"],
    ]);
    expect((await store.replay(id)).differences).toEqual([]);
  });

  it("refuses a duplicate id and a dependency outside the graph", async () => {
    const store = openStore({ root: makeTempDir() });
    const id = await newGoal(store);
    expect((await store.setTaskGraph(id, { schemaVersion: 1, tasks: [task("a")] } as unknown as TaskGraph)).ok).toBe(true);
    const dup = await store.append(id, () => [
      { type: "task_graph_mutated", actor: "controller", data: { proposedBy: "a", reason: "x", added: [task("a") as never] } },
    ]);
    expect(!dup.ok && dup.error).toMatchObject({ code: "graph_conflict", message: 'task id "a" is already in the graph' });
    const dep = await store.append(id, () => [
      { type: "task_graph_mutated", actor: "controller", data: { proposedBy: "a", reason: "x", added: [task("b", ["zzz"]) as never] } },
    ]);
    expect(!dep.ok && dep.error).toMatchObject({ code: "graph_conflict", message: expect.stringContaining('"zzz"') });
    expect((await store.readGoal(id)).taskGraph?.tasks).toHaveLength(1);
  });
});
