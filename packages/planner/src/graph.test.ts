import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dependenciesOf, type GraphIssue, MAX_PLAN_TASKS, validateGraph } from "./graph.js";
import { findCycles } from "./internal/graph-rules.js";

const BUDGET = { timeMs: 60_000, tokens: 10_000, usd: 1 };

function task(id: string, over: Record<string, unknown> = {}) {
  return { id, title: id, description: "", role: "implementer", dependencies: [], reads: [], writes: [], acceptance: ["c1"], budget: BUDGET, ...over };
}

function issues(tasks: unknown[], criteria?: string[]): GraphIssue[] {
  const r = validateGraph({ schemaVersion: 1, tasks }, criteria === undefined ? {} : { criteria });
  return r.ok ? [] : r.error;
}

describe("validateGraph", () => {
  it("accepts a valid graph and returns it normalized, with defaults", () => {
    const r = validateGraph(
      { schemaVersion: 1, tasks: [task("a", { writes: ["./src//a.ts"] }), task("b", { dependencies: ["a"], reads: ["src/"] })] },
      { criteria: ["c1"] },
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.tasks[0]).toMatchObject({ writes: ["src/a.ts"], status: "pending", retries: 0, maxRetries: 2, lease: null });
    }
  });

  it("rejects a cycle, naming its path", () => {
    const found = issues([task("a", { dependencies: ["c"] }), task("b", { dependencies: ["a"] }), task("c", { dependencies: ["b"] }), task("d")]);
    expect(found).toEqual([
      { code: "cycle", message: "dependency cycle: a → b → c → a (each waits for the one before it)", tasks: ["a", "b", "c"], entries: [] },
    ]);
    expect(issues([task("a", { dependencies: ["a"] })])).toEqual([expect.objectContaining({ code: "self_dependency", message: 'task "a" depends on itself' })]);
  });

  it.each([
    ["absolute", "/etc/passwd", "absolute"],
    ["parent", "../outside", ".."],
    ["home", "~/secrets", "home folder"],
    [".git", "src/.git/config", '".git"'],
    ["backslash", "src\\a.ts", "backslash"],
  ])("rejects an unsafe path (%s), naming the task and the entry", (_kind, entry, words) => {
    const found = issues([task("ok"), task("bad", { writes: [entry] })]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: "unsafe_path", tasks: ["bad"], entries: [entry] });
    expect(found[0]?.message).toContain('task "bad" writes an unsafe path');
    expect(found[0]?.message).toContain(words);
  });

  it("rejects an unordered write conflict, naming both tasks and the overlapping entries", () => {
    const found = issues([task("parser", { writes: ["src/"] }), task("tests", { writes: ["src/parser.test.ts"], reads: ["docs/"] })]);
    expect(found).toEqual([
      {
        code: "unordered_conflict",
        message:
          'tasks "parser" and "tests" touch overlapping paths but neither depends on the other: "parser" writes "src/" and "tests" writes "src/parser.test.ts" (write-write); make one depend on the other (directly or through other tasks), or narrow the paths',
        tasks: ["parser", "tests"],
        entries: ["src/", "src/parser.test.ts"],
      },
    ]);
  });

  it("rejects a write-read conflict too, and accepts conflicts ordered through the transitive closure", () => {
    expect(issues([task("a", { writes: ["src/**/*.ts"] }), task("b", { reads: ["src/x/y.ts"] })])).toEqual([
      expect.objectContaining({ code: "unordered_conflict", tasks: ["a", "b"] }),
    ]);
    const chain = [
      task("a", { writes: ["src/"] }),
      task("m", { dependencies: ["a"], writes: ["docs/"] }),
      task("z", { dependencies: ["m"], writes: ["src/z.ts"] }),
    ];
    expect(issues(chain)).toEqual([]);
    // Reads never conflict with reads; disjoint globs do not conflict.
    expect(
      issues([task("a", { reads: ["lib/"] }), task("b", { reads: ["lib/"] }), task("c", { writes: ["src/*.md"] }), task("d", { writes: ["src/*.ts"] })]),
    ).toEqual([]);
  });

  it("requires unique ids, known dependencies, acceptance and a budget", () => {
    const found = issues([
      task("a"),
      task("a"),
      task("b", { dependencies: ["ghost"] }),
      task("c", { acceptance: [] }),
      task("d", { budget: undefined }),
      task("e", { budget: { timeMs: 0, tokens: 1, usd: 1 } }),
      { title: "no id" },
    ]);
    expect([...new Set(found.map((i) => i.code))].sort()).toEqual(["duplicate_id", "no_acceptance", "no_budget", "schema", "unknown_dependency"]);
    expect(found.filter((i) => i.code === "no_budget").map((i) => i.tasks[0])).toEqual(["d", "e", "tasks[6]"]);
    expect(found.filter((i) => i.code === "schema").every((i) => i.tasks[0] === "tasks[6]")).toBe(true);
    expect(found.find((i) => i.code === "no_budget" && i.tasks[0] === "d")?.message).toBe('task "d" has no budget (timeMs, tokens and usd, each > 0)');
    expect(found.find((i) => i.code === "unknown_dependency")?.message).toBe('task "b" depends on "ghost", which is not in the graph');
  });

  it("checks acceptance against the oracle's criteria, both ways", () => {
    const found = issues([task("a", { acceptance: ["c1", "nope"] })], ["c1", "c2"]);
    expect(found).toEqual([
      expect.objectContaining({ code: "unknown_criterion", message: 'task "a" serves "nope", which is not a criterion of the oracle (c1, c2)' }),
      expect.objectContaining({ code: "uncovered_criterion", message: 'no task serves the oracle criterion "c2"' }),
    ]);
  });

  it("rejects what is not a graph", () => {
    expect(validateGraph(null)).toMatchObject({ ok: false, error: [{ code: "schema" }] });
    expect(validateGraph({ tasks: [] })).toMatchObject({ ok: false, error: [{ code: "schema", message: "the graph has no task" }] });
  });
});

describe("validateGraph on random graphs", () => {
  const arbGraph = fc.integer({ min: 1, max: 7 }).chain((n) =>
    fc.record({
      deps: fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }), { minLength: n, maxLength: n }),
      writes: fc.array(fc.constantFrom("src/", "src/a.ts", "src/b.ts", "docs/", "test/", "src/*.md"), { minLength: n, maxLength: n }),
    }),
  );

  it("accepts exactly the graphs that are acyclic and whose conflicting tasks are ordered", () => {
    fc.assert(
      fc.property(arbGraph, ({ deps, writes }) => {
        const n = deps.length;
        const tasks = deps.map((d, i) => task(`t${i}`, { dependencies: [...new Set(d)].filter((x) => x !== i).map((x) => `t${x}`), writes: [writes[i]] }));
        // A naive model: reachability by repeated relaxation.
        const reach = deps.map((d, i) => new Set([...new Set(d)].filter((x) => x !== i)));
        for (let round = 0; round < n; round++) for (const set of reach) for (const x of [...set]) for (const y of reach[x] ?? []) set.add(y);
        const cyclic = reach.some((set, i) => set.has(i));
        const overlap = (a: string, b: string) => a === b || (a === "src/" && b.startsWith("src/")) || (b === "src/" && a.startsWith("src/"));
        let unordered = false;
        for (let i = 0; i < n; i++)
          for (let j = i + 1; j < n; j++) if (overlap(writes[i] as string, writes[j] as string) && !reach[i]?.has(j) && !reach[j]?.has(i)) unordered = true;
        const result = validateGraph({ schemaVersion: 1, tasks });
        expect(result.ok).toBe(!cyclic && !unordered);
        if (!result.ok) {
          expect(result.error.some((e) => e.code === "cycle")).toBe(cyclic);
          expect(result.error.some((e) => e.code === "unordered_conflict")).toBe(unordered);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("huge graphs", () => {
  const N = 20_000;
  const chain = Array.from({ length: N }, (_, i) => task(`t${i}`, { dependencies: i === 0 ? [] : [`t${i - 1}`] }));

  it("refuses a graph over MAX_PLAN_TASKS before any graph work, naming the limit", () => {
    expect(validateGraph({ schemaVersion: 1, tasks: chain })).toEqual({
      ok: false,
      error: [
        {
          code: "too_many_tasks",
          message: `the graph has ${N} tasks, over the limit of ${MAX_PLAN_TASKS} (MAX_PLAN_TASKS): plan fewer, larger tasks`,
          tasks: [],
          entries: [],
        },
      ],
    });
    expect(validateGraph({ schemaVersion: 1, tasks: chain.slice(0, MAX_PLAN_TASKS) }, { criteria: ["c1"] }).ok).toBe(true);
  });

  it("finds cycles and one task's dependencies in a 20,000-task chain without recursion or a full closure", () => {
    const deps = new Map(chain.map((t) => [t.id, t.dependencies as string[]]));
    expect(findCycles(deps)).toEqual([]);
    deps.set("t0", [`t${N - 1}`]);
    const cycles = findCycles(deps);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.length).toBe(N + 1);
    expect([cycles[0]?.[0], cycles[0]?.[1], cycles[0]?.[N - 1], cycles[0]?.[N]]).toEqual(["t0", "t1", `t${N - 1}`, "t0"]);
    const graph = { tasks: chain as never[] };
    expect(dependenciesOf(graph, `t${N - 1}`).size).toBe(N - 1);
    expect(dependenciesOf(graph, "t1")).toEqual(new Set(["t0"]));
  });
});
